"""Real local receivers for the notifier's tests: an aiohttp server for chat and signed
webhooks, an aiosmtpd SMTP server (STARTTLS + AUTH), and an independent verifier of the
webhook signature (written from docs/notifications.md, not imported from the notifier).

Each receiver de-duplicates by the delivery key the notifier sends (`X-Leadflow-Delivery`
header; the email's Message-ID), as docs/notifications.md asks of a receiver, and keeps
the raw count too, so a test can say how many re-sends the key absorbed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any

import trustme
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from streams.broker.node import free_ports

SECRET = b"test-secret-do-not-use"
SMTP_USER, SMTP_PASSWORD = "leadflow", "s3cret"
EVENT_RE = re.compile(r"event `([^`]+)`")


def verify(headers: Any, body: bytes, now: float, tolerance_s: float = 300) -> bool:
    """The receiver's check: v1=HMAC-SHA256(secret, "<timestamp>.<body>"), fresh timestamp."""
    stamp = headers.get("X-Leadflow-Timestamp", "")
    given = headers.get("X-Leadflow-Signature", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > tolerance_s:
        return False
    mac = hmac.new(SECRET, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given, "v1=" + mac)


@dataclass
class Seen:
    """Accepted deliveries: (event_id, recipient, channel) -> delivery keys; raw counts."""

    by_item: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    raw: Counter[str] = field(default_factory=Counter)
    webhooks: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    chats: list[dict[str, Any]] = field(default_factory=list)
    emails: list[Any] = field(default_factory=list)
    rejected: int = 0

    def add(self, key: str, event_ids: list[str], channel: str) -> None:
        self.raw[key] += 1
        recipient = key.split("|")[1]
        for event_id in event_ids:
            self.by_item.setdefault((event_id, recipient, channel), set()).add(key)

    def resends(self) -> int:
        return sum(n - 1 for n in self.raw.values())


class HttpReceiver:
    """/chat/{name} and /hook/{name}. `status(path) -> int | None` may force a status."""

    def __init__(self, seen: Seen, status: Callable[[str], int | None] = lambda p: None) -> None:
        self.seen = seen
        self.status = status
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/chat/{name}", self._chat)
        app.router.add_post("/hook/{name}", self._hook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _chat(self, request: web.Request) -> web.Response:
        forced = self.status(request.path)
        if forced is not None:
            return web.Response(status=forced, text="forced by the test")
        payload = await request.json()
        key = request.headers["X-Leadflow-Delivery"]
        if key not in self.seen.raw:
            self.seen.chats.append(payload)
        events = EVENT_RE.findall(json.dumps(payload["blocks"]).replace('\\"', '"'))
        self.seen.add(key, events, "chat")
        return web.Response(text="ok")

    async def _hook(self, request: web.Request) -> web.Response:
        forced = self.status(request.path)
        if forced is not None:
            return web.Response(status=forced, text="forced by the test")
        body = await request.read()
        if not verify(request.headers, body, time.time()):
            self.seen.rejected += 1
            return web.Response(status=401, text="bad signature")
        self.seen.webhooks.append((dict(request.headers), body))
        data = json.loads(body)
        self.seen.add(data["delivery"], [m["event_id"] for m in data["messages"]], "webhook")
        return web.Response(text="ok")


class _Mailbox:
    def __init__(self, seen: Seen) -> None:
        self.seen = seen

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content)
        key = msg["X-Leadflow-Delivery"]
        if key not in self.seen.raw:
            self.seen.emails.append(msg)
        events = re.findall(r"\(event ([^)]+)\)", msg.get_payload(decode=True).decode()
                            if not msg.is_multipart() else
                            msg.get_payload(0).get_payload(decode=True).decode())
        self.seen.add(key, events, "email")
        return "250 OK"


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=ok)


class SmtpReceiver:
    """aiosmtpd on a free port: STARTTLS required (a trustme CA), AUTH required; `tls=False`
    for plain AUTH (the fault test, where thousands of TLS handshakes would only cost CPU)."""

    def __init__(self, seen: Seen, tmp: Any, tls: bool = True) -> None:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.cafile = str(tmp / "ca.pem")
        ca.cert_pem.write_to_path(self.cafile)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        secure: dict[str, Any] = (
            {"tls_context": context, "require_starttls": True} if tls
            else {"auth_require_tls": False}
        )
        self.controller = Controller(
            _Mailbox(seen), hostname="127.0.0.1", port=free_ports(1)[0], auth_required=True,
            authenticator=_auth, **secure,
        )

    def start(self) -> int:
        self.controller.start()
        return int(self.controller.port)

    def stop(self) -> None:
        self.controller.stop()

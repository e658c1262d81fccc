"""Delivery over each channel, with one verdict: sent, retry (5xx, timeout, connection) or
refused (a 4xx other than 408/429, a missing endpoint: trying again cannot help)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiohttp
import aiosmtplib
import orjson

from notifier.parcels import Parcel, message_id
from notifier.settings import NotifySettings
from notifier.signing import DELIVERY, sign


@dataclass(frozen=True)
class Verdict:
    outcome: Literal["sent", "retry", "refused"]
    reason: str = ""


SENT = Verdict("sent")


def _http_verdict(status: int, text: str) -> Verdict:
    if 200 <= status < 300:
        return SENT
    reason = f"HTTP {status}: {text[:200]}"
    if status >= 500 or status in (408, 429):
        return Verdict("retry", reason)
    return Verdict("refused", reason)


class Channels:
    def __init__(self, settings: NotifySettings, session: aiohttp.ClientSession) -> None:
        self.s = settings
        self.session = session
        secret = settings.webhook_secret
        self.secret = secret.get_secret_value().encode() if secret else None

    async def deliver(self, p: Parcel) -> Verdict:
        try:
            if p.channel == "chat":
                return await self._chat(p)
            if p.channel == "webhook":
                return await self._webhook(p)
            return await self._email(p)
        except TimeoutError as exc:
            return Verdict("retry", f"timeout: {exc}" if str(exc) else "timeout")
        except (aiohttp.ClientError, OSError) as exc:
            return Verdict("retry", f"{type(exc).__name__}: {exc}")
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                return Verdict("refused", f"SMTP {exc.code}: {exc.message}")
            return Verdict("retry", f"SMTP {exc.code}: {exc.message}")
        except aiosmtplib.SMTPException as exc:
            return Verdict("retry", f"SMTP: {exc}")

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> Verdict:
        timeout = aiohttp.ClientTimeout(total=self.s.timeout_s)
        async with self.session.post(url, data=body, headers=headers, timeout=timeout) as r:
            return _http_verdict(r.status, await r.text())

    async def _chat(self, p: Parcel) -> Verdict:
        url = self.s.chat_urls.get(p.address)
        if url is None:
            return Verdict(
                "refused", f"no chat endpoint {p.address!r} in LEADFLOW_NOTIFY_CHAT_URLS"
            )
        headers = {"Content-Type": "application/json", DELIVERY: p.key}
        return await self._post(url, orjson.dumps(p.chat), headers)

    async def _webhook(self, p: Parcel) -> Verdict:
        url = self.s.webhook_urls.get(p.address)
        if url is None:
            return Verdict("refused", f"no webhook {p.address!r} in LEADFLOW_NOTIFY_WEBHOOK_URLS")
        if self.secret is None:
            return Verdict("refused", "LEADFLOW_NOTIFY_WEBHOOK_SECRET is not set")
        body = orjson.dumps(p.body)
        return await self._post(url, body, sign(self.secret, int(time.time()), body, p.key))

    async def _email(self, p: Parcel) -> Verdict:
        s = self.s
        if s.smtp_host is None:
            return Verdict("refused", "LEADFLOW_NOTIFY_SMTP_HOST is not set")
        msg = EmailMessage()
        msg["From"] = s.smtp_from
        msg["To"] = p.address
        msg["Subject"] = p.subject
        msg["Message-ID"] = message_id(p.key)
        msg[DELIVERY] = p.key
        msg.set_content(p.text)
        if p.html is not None:
            msg.add_alternative(p.html, subtype="html")
        password = s.smtp_password.get_secret_value() if s.smtp_password else None
        await aiosmtplib.send(
            msg, hostname=s.smtp_host, port=s.smtp_port, start_tls=s.smtp_starttls,
            username=s.smtp_username, password=password, timeout=s.timeout_s,
            cert_bundle=s.smtp_cafile,
        )
        return SENT

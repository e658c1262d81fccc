"""`leadflow ingest`: leadflow's HTTP door, a standalone aiohttp service.

- `POST /v1/events`: one event, a JSON array of events, or NDJSON (one per line).
- `POST /v1/hooks/<name>`: a source's webhook, turned into events by its mapping file
  (crm.mapping); HubSpot hooks are checked by their v3 signature, others by the token.
- `GET /health` (open), `GET /metrics` (Prometheus text; token).

Every event is validated by the core's parser (`routing.events.parse_event`). The valid ones
are produced to the input topic keyed by `lead_id` (rep events by `rep_id`) and acknowledged
by every in-sync replica (`acks=all`, idempotent producer) before the answer is sent; the
answer lists each event: `accepted`, `duplicate` (its event_id was accepted before: a retried
request adds nothing) or `refused` with the reason. Refused ones also go to the dead-letter
topic with the reason. Event ids accepted are remembered (`LEADFLOW_INGEST_DEDUP` of them);
past that window, or across a restart, the worker's own de-duplication by event_id still
applies, so a retry never creates a second lead.

Why a service of its own rather than routes on the worker's web server: ingest scales with
HTTP traffic and must stay up while workers rebalance or restart (a webhook sender retries
only for so long); it needs no policy state, only the parser; and the worker's web server is
Faust's, whose lifecycle and request limits are not ours to change.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from crm import apply as mapping_
from crm.errors import CrmError
from crm.limits import Buckets, Seen
from crm.mapping import LoadedMapping
from crm.settings import CrmSettings
from crm.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from routing.errors import EventError
from routing.events import InputEvent, parse_event
from routing.policy.team import Team
from streams.settings import StreamSettings

PROMETHEUS_TEXT = "text/plain; version=0.0.4"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
STAGE = "ingest"


class IngestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "leadflow_ingest_requests", "HTTP requests answered, per route and status code",
            ["route", "code"], registry=self.registry,
        )  # fmt: skip
        self.events = Counter(
            "leadflow_ingest_events",
            "Events per outcome (accepted, duplicate, refused, ignored), per route",
            ["route", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "leadflow_ingest_request_seconds",
            "From a request's arrival to its answer (events acknowledged by Kafka), per route",
            ["route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip


@dataclass
class Item:
    """One event of a request, on its way through: raw bytes, and what became of it."""

    index: int
    raw: bytes
    record: Any = None  # the source record (hooks), dead-lettered with the reason
    rule: str | None = None
    event: InputEvent | None = None
    status: str = ""
    reason: str | None = None

    def answer(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.rule is not None:
            out["rule"] = self.rule
        if self.event is not None:
            out["event_id"] = self.event.event_id
        if self.reason is not None:
            out["reason"] = self.reason
        return out


def split_body(body: bytes, content_type: str) -> list[bytes | EventError]:
    """The events of a `/v1/events` body: a JSON array's items, NDJSON lines, or one object."""
    text = body.strip()
    if not text:
        return []
    if text[:1] == b"[":
        try:
            items = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            return [EventError(f"the body is not a valid JSON array ({exc})")]
        return [orjson.dumps(item) for item in items]
    lines = [line.strip() for line in text.split(b"\n")]
    if "ndjson" in content_type or "jsonl" in content_type or len(lines) > 1:
        if "ndjson" not in content_type and "jsonl" not in content_type:
            try:  # one pretty-printed object?
                orjson.loads(text)
                return [text]
            except orjson.JSONDecodeError:
                pass
        return [line for line in lines if line]
    return [text]


def _key(event: InputEvent) -> bytes:
    values = event.__dict__
    subject = values.get("lead_id") or values.get("rep_id") or event.event_id
    return str(subject).encode()


class Ingest:
    """The service's state: settings, producer, mappings, metrics. Built by `build_ingest`."""

    def __init__(
        self, settings: CrmSettings, stream: StreamSettings, hooks: dict[str, LoadedMapping],
        team: Team | None = None, clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        if settings.ingest_token is None:
            raise CrmError(
                "ingest: set LEADFLOW_INGEST_TOKEN (the bearer token clients send); "
                "endpoints other than /health are never open"
            )
        for name, hook in hooks.items():
            if hook.mapping.source == "hubspot" and settings.hubspot_client_secret is None:
                raise CrmError(
                    f"ingest: hook {name!r} ({hook.file}) is a HubSpot hook: set "
                    "LEADFLOW_HUBSPOT_CLIENT_SECRET (your app's client secret) to verify it"
                )
        self.settings, self.stream, self.hooks, self.clock = settings, stream, hooks, clock
        self.owners = mapping_.owners_of(team)
        self.metrics = IngestMetrics()
        self.seen = Seen(settings.ingest_dedup)
        self.inflight: set[str] = set()
        self.buckets = Buckets(settings.ingest_rate, settings.ingest_burst, time.monotonic)
        self.producer: AIOKafkaProducer | None = None
        self.started = clock()

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self, _app: web.Application | None = None) -> None:
        self.producer = AIOKafkaProducer(
            **self.stream.aiokafka_kwargs(), acks="all", enable_idempotence=True, linger_ms=2
        )
        try:
            await self.producer.start()
        except KafkaError as exc:
            await self.producer.stop()
            self.producer = None
            raise CrmError(f"ingest: Kafka at {self.stream.broker}: {exc}") from None

    async def stop(self, _app: web.Application | None = None) -> None:
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.settings.ingest_max_bytes)
        app.router.add_post("/v1/events", self.events)
        app.router.add_post("/v1/hooks/{name}", self.hook)
        app.router.add_get("/health", self.health)
        app.router.add_get("/metrics", self.metrics_view)
        app.on_startup.append(self.start)
        app.on_cleanup.append(self.stop)
        return app

    # --- views ----------------------------------------------------------------------------
    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({
            "status": "ok" if self.producer is not None else "starting",
            "topic": self.stream.topic_events,
            "hooks": {name: hook.mapping.source for name, hook in self.hooks.items()},
            "up_s": round(self.clock() - self.started, 1),
        })  # fmt: skip

    async def metrics_view(self, request: web.Request) -> web.Response:
        refusal = self._token(request)
        if refusal is not None:
            return refusal
        return web.Response(body=generate_latest(self.metrics.registry),
                            headers={"Content-Type": PROMETHEUS_TEXT})  # fmt: skip

    async def events(self, request: web.Request) -> web.Response:
        return await self._timed("events", request, self._events)

    async def hook(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        route = f"hooks/{name}" if name in self.hooks else "hooks/?"
        return await self._timed(route, request, lambda r: self._hook(r, name))

    async def _timed(self, route: str, request: web.Request, run: Any) -> web.Response:
        started = time.perf_counter()
        try:
            response: web.Response = await run(request)
        except web.HTTPRequestEntityTooLarge:
            response = _error(413, f"the body is over {self.settings.ingest_max_bytes} bytes")
        self.metrics.requests.labels(route, str(response.status)).inc()
        self.metrics.latency.labels(route).observe(time.perf_counter() - started)
        return response

    async def _events(self, request: web.Request) -> web.Response:
        refusal = self._token(request) or self._size(request)
        if refusal is not None:
            return refusal
        body = await request.read()
        items: list[Item] = []
        for index, part in enumerate(split_body(body, request.content_type)):
            item = Item(index, part if isinstance(part, bytes) else body)
            if isinstance(part, EventError):
                item.status, item.reason = "refused", str(part)
            items.append(item)
        return await self._admit("events", "token", items)

    async def _hook(self, request: web.Request, name: str) -> web.Response:
        hook = self.hooks.get(name)
        if hook is None:
            refusal = self._token(request)  # hook names are told only to token holders
            if refusal is not None:
                return refusal
            known = ", ".join(sorted(self.hooks)) or "none configured"
            return _error(404, f"no hook {name!r} (hooks: {known})")
        refusal = self._size(request)
        if refusal is not None:
            return refusal
        body = await request.read()  # the signature covers the body as sent
        if hook.mapping.source == "hubspot":
            refusal = self._signed(request, body)
        else:
            refusal = self._token(request)
        if refusal is not None:
            return refusal
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            item = Item(0, body, status="refused", reason=f"the body is not JSON ({exc})")
            return await self._admit(f"hooks/{name}", f"hook:{name}", [item], status=400)
        items: list[Item] = []
        for index, record in enumerate(mapping_.records(hook.mapping, parsed)):
            for outcome in mapping_.apply(hook.mapping, record, self.owners):
                item = Item(index, b"", record=record, rule=outcome.rule)
                if outcome.event is not None:
                    item.raw = orjson.dumps(outcome.event)
                elif outcome.ignored is not None:
                    item.status, item.reason = "ignored", outcome.ignored
                else:
                    item.status, item.reason = "refused", outcome.refused
                items.append(item)
        return await self._admit(f"hooks/{name}", f"hook:{name}", items)

    # --- checks ---------------------------------------------------------------------------
    def _token(self, request: web.Request) -> web.Response | None:
        token = self.settings.ingest_token
        assert token is not None
        given = request.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            value.strip().encode(), token.get_secret_value().encode()
        ):
            return _error(401, "send `Authorization: Bearer <LEADFLOW_INGEST_TOKEN>`",
                          headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        return None

    def _signed(self, request: web.Request, body: bytes) -> web.Response | None:
        secret = self.settings.hubspot_client_secret
        assert secret is not None
        uri = self.settings.hubspot_url or str(request.url)
        why = verify(
            secret.get_secret_value(), request.method, uri, body,
            request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER),
            self.clock() * 1000.0, self.settings.hubspot_max_age_s,
        )  # fmt: skip
        return _error(401, f"HubSpot signature refused: {why}") if why is not None else None

    def _size(self, request: web.Request) -> web.Response | None:
        length = request.content_length
        if length is not None and length > self.settings.ingest_max_bytes:
            return _error(413, f"the body is {length} bytes; the limit is "
                          f"{self.settings.ingest_max_bytes}")  # fmt: skip
        return None

    # --- admitting events -----------------------------------------------------------------
    async def _admit(
        self, route: str, client: str, items: list[Item], status: int = 200
    ) -> web.Response:
        limit = self.settings.ingest_max_events
        if len(items) > limit:
            return _error(413, f"{len(items)} events in one request; the limit is {limit}")
        wait_s = self.buckets.take(client, max(1, len(items)))
        if wait_s > 0:
            retry = "" if wait_s == float("inf") else f"{max(1, round(wait_s + 0.5))}"
            return _error(429, f"over {self.settings.ingest_rate:g} events/s; retry later",
                          headers={"Retry-After": retry or "60"})  # fmt: skip
        batch: set[str] = set()
        for item in items:
            if item.status:
                continue
            try:
                item.event = parse_event(item.raw)
            except EventError as exc:
                item.status, item.reason = "refused", str(exc)
                continue
            event_id = item.event.event_id
            if event_id in self.seen or event_id in batch or event_id in self.inflight:
                item.status = "duplicate"
            else:
                item.status = "accepted"
                batch.add(event_id)
        self.inflight |= batch  # a concurrent request with the same ids: duplicates
        try:
            await self._produce(route, items)
        except KafkaError as exc:
            for item in items:
                if item.status == "accepted":
                    item.status, item.reason = "failed", f"not stored: {type(exc).__name__}"
            status = 503
        else:
            for item in items:
                if item.status == "accepted" and item.event is not None:
                    self.seen.add(item.event.event_id)
        finally:
            self.inflight -= batch
        counts: dict[str, int] = {}
        for item in items:
            counts[item.status] = counts.get(item.status, 0) + 1
            self.metrics.events.labels(route, item.status).inc()
        body = {**counts, "results": [item.answer() for item in items]}
        return web.json_response(body, status=status, dumps=_dumps)

    async def _produce(self, route: str, items: list[Item]) -> None:
        producer = self.producer
        if producer is None:
            raise KafkaError("the producer is not started")
        pending: list[asyncio.Future[Any]] = []
        topic, dead = self.stream.topic_events, self.stream.topic_deadletter
        for item in items:
            if item.status == "accepted" and item.event is not None:
                pending.append(await producer.send(topic, item.raw, key=_key(item.event)))
            elif item.status == "refused":
                value = orjson.dumps(item.record) if item.record is not None else item.raw
                headers = [
                    ("leadflow.reason", (item.reason or "").encode()),
                    ("leadflow.stage", STAGE.encode()),
                    ("leadflow.source", f"{route}#{item.index}".encode()),
                ]
                pending.append(await producer.send(dead, value, headers=headers))
        if pending:
            await asyncio.gather(*pending)


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _error(status: int, reason: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": reason}, status=status, headers=headers)


__all__ = ["Buckets", "Ingest", "Seen", "split_body"]

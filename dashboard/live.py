"""The live dashboard inside the worker: the page at `/`, its data at `/dashboard/state`,
updates pushed at `/dashboard/events` (server-sent events), and the read-token check on
every view but `/health` (dashboard.auth).

`register(worker)` adds the routes and the middleware to the worker's aiohttp app (the
one Faust serves). Costs are paid only while a page is open: the pusher task and the
intent-spike reader start with the first page and stop after the last. The pusher looks
at the pool stage every `LEADFLOW_DASHBOARD_PUSH_S` seconds (default 1); when the stage
has applied something since the last push it renders the update once (the same
functions as the page) and hands the same bytes to every open page; a page that cannot
keep up gets only the newest update, never a backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from aiokafka import AIOKafkaConsumer, TopicPartition

from dashboard.auth import Tokens, middleware
from dashboard.page import render_page, update_of
from dashboard.settings import DashboardSettings, load_dashboard_settings, read_tokens
from routing.board import rep_board

if TYPE_CHECKING:
    from streams.app import Worker

log = logging.getLogger(__name__)
INTENT_WINDOW_S = 48 * 3600.0
PING_S = 5.0
SPIKE = b'"intent.spike"'


class IntentLog:
    """The intent spikes of the last 48 hours, read from the decisions' alerts topic (the
    pool stage's engine does not keep them); de-duplicated by `event_id`."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.spikes: dict[str, dict[str, Any]] = {}
        self.task: asyncio.Task[None] | None = None

    def recent(self, now: float) -> list[dict[str, Any]]:
        from datetime import datetime

        keep = []
        for event_id, spike in list(self.spikes.items()):
            try:
                at = datetime.fromisoformat(str(spike.get("at"))).timestamp()
            except ValueError:
                continue
            if at < now - INTENT_WINDOW_S:
                del self.spikes[event_id]
            elif at <= now + 60:
                keep.append((at, event_id, spike))
        keep.sort(reverse=True)
        return [
            {k: spike.get(k) for k in ("at", "lead_id", "rep_id", "signals")}
            for _, _, spike in keep[:50]
        ]

    async def run(self) -> None:
        w = self.worker
        topic = w.names.alerts
        consumer = AIOKafkaConsumer(
            **w.settings.aiokafka_kwargs(), group_id=None, enable_auto_commit=False
        )
        await consumer.start()
        try:
            # The worker declares its output topics with this many partitions (streams.app).
            tps = [TopicPartition(topic, p) for p in range(w.settings.partitions)]
            consumer.assign(tps)
            since_ms = int((w.options.wall() - INTENT_WINDOW_S) * 1000)
            found = await consumer.offsets_for_times({tp: since_ms for tp in tps})
            ends = await consumer.end_offsets(tps)
            for tp in tps:
                at = found.get(tp)
                consumer.seek(tp, at.offset if at is not None else ends[tp])
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=2000)
                for records in batch.values():
                    for record in records:
                        value = record.value or b""
                        if SPIKE in value:
                            decision = orjson.loads(value)
                            if decision.get("type") == "intent.spike":
                                self.spikes[str(decision.get("event_id"))] = decision
        finally:
            await consumer.stop()

    def start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._guarded())

    async def _guarded(self) -> None:
        try:
            await self.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the page says "no spikes"; the worker goes on
            log.warning("dashboard: reading intent spikes from %s failed: %s",
                        self.worker.names.alerts, exc)  # fmt: skip

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None


class Feed:
    def __init__(self, worker: Worker, settings: DashboardSettings) -> None:
        self.worker = worker
        self.settings = settings
        self.clients: set[asyncio.Queue[bytes]] = set()
        self.intent = IntentLog(worker)
        self.task: asyncio.Task[None] | None = None
        self.seq = 0
        self.pushes = 0
        # What each update cost: milliseconds holding the event loop (reading the engine),
        # and rendering in the thread (the newest 1,000 updates).
        self.loop_ms: deque[float] = deque(maxlen=1000)
        self.closing = False
        self.render_ms: deque[float] = deque(maxlen=1000)

    # --- what the page shows ------------------------------------------------------------
    def _lag(self) -> dict[str, int | None]:
        w = self.worker
        out: dict[str, int | None] = {"lead": None, "pool": None}
        for key, consumer, stages, topic in (
            ("lead", w.lead_consumer, w.leads, w.names.events),
            ("pool", w.pool_consumer, w.pools, w.names.routing),
        ):
            if consumer is None or stages is None:
                continue
            total = 0
            for partition, stage in list(stages.stages.items()):
                try:
                    high = consumer.highwater(TopicPartition(topic, partition))
                except (AssertionError, KeyError):  # moved away in a rebalance just now
                    continue
                if high is not None:
                    total += max(0, high - (int(getattr(stage, "offset", -1)) + 1))
            out[key] = total
        return out

    def data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(scorecard JSON, live data) as of now."""
        scorecard, live = self._scorecard_part()
        if "board" not in live:
            self._live_part(live)
        return scorecard, live

    def _scorecard_part(self) -> tuple[dict[str, Any], dict[str, Any]]:
        w = self.worker
        engine = w.engine()
        stage = w.stage()
        now = w.pool_now()
        health: dict[str, Any] = {
            "pool_stage": "here" if engine is not None else "elsewhere",
            "clock": w.options.clock,
            "lag": self._lag(),
        }
        if engine is None:
            scorecard: dict[str, Any] = {
                "agreement": w.loaded.policy.agreement.name, "timezone": "", "as_of": "",
                "weeks": [],
            }  # fmt: skip
            return scorecard, {"board": None, "health": health, "seq": self.seq}
        scorecard = engine.commitments.to_json(now)
        health["as_of"] = engine.fmt.text(now)
        if stage is not None and stage.last_applied_at:
            health["last_decision_at"] = engine.fmt.text(stage.last_applied_at)
        return scorecard, {"health": health, "now": now, "seq": self.seq}

    def _live_part(self, live: dict[str, Any]) -> None:
        engine = self.worker.engine()
        now = live.pop("now")
        if engine is None:
            live["board"] = None
            return
        live["board"] = rep_board(engine, now, people=self.settings.dashboard_people)
        live["intent"] = self.intent.recent(now)

    def _version(self) -> tuple[Any, ...]:
        stage = self.worker.stage()
        engine = stage.engine if stage is not None else None
        return (id(stage), stage.offset if stage else None, engine.now if engine else None)

    # --- pushing -------------------------------------------------------------------------
    async def _message(self) -> bytes:
        """The next update. Made in pieces so that the worker's event loop is never held for
        long: the scorecard, then (next turn of the loop) the board, both read from the
        engine on the loop; then rendered and encoded in a thread."""
        self.seq += 1
        started = time.perf_counter()
        scorecard, live = self._scorecard_part()
        held = time.perf_counter() - started
        if "board" not in live:
            await asyncio.sleep(0)
            started = time.perf_counter()
            self._live_part(live)
            held += time.perf_counter() - started
        self.loop_ms.append(held * 1000)
        started = time.perf_counter()
        message = await asyncio.to_thread(_encode, scorecard, live)
        self.render_ms.append((time.perf_counter() - started) * 1000)
        return message

    def costs(self) -> dict[str, Any]:
        """What the updates cost the worker (medians and p99 of the newest 1,000)."""

        def q(values: deque[float], p: float) -> float | None:
            ordered = sorted(values)
            return (
                round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3) if ordered else None
            )

        return {
            "pages": len(self.clients),
            "updates": self.seq,
            "loop_ms_p50": q(self.loop_ms, 0.5),
            "loop_ms_p99": q(self.loop_ms, 0.99),
            "render_ms_p50": q(self.render_ms, 0.5),
            "render_ms_p99": q(self.render_ms, 0.99),
        }

    def _broadcast(self, message: bytes) -> None:
        for queue in list(self.clients):
            if queue.full():  # a slow page: it gets the newest update, not a backlog
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)
        self.pushes += 1

    async def _push_loop(self) -> None:
        last: tuple[Any, ...] | None = self._version()
        while self.clients:
            await asyncio.sleep(self.settings.dashboard_push_s)
            version = self._version()
            if version != last and self.clients:
                last = version
                try:
                    message = await self._message()
                except Exception:  # a page must not stop the worker; the next push retries
                    log.exception("dashboard: making an update failed")
                    last = None
                    continue
                self._broadcast(message)
        self.intent.stop()

    def _ensure_running(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._push_loop())
        self.intent.start()

    async def close(self, app: web.Application) -> None:
        """The web server is shutting down: end every event stream now (the server would
        otherwise wait for them, up to a minute, before the worker can stop)."""
        self.closing = True
        self._broadcast(b"")
        self.intent.stop()

    # --- views ---------------------------------------------------------------------------
    async def page(self, request: web.Request) -> web.Response:
        scorecard, live = self.data()
        tv = request.query.get("tv") == "1"
        return web.Response(
            text=render_page(scorecard, live, tv=tv),
            content_type="text/html",
            headers={"Cache-Control": "no-store", "Content-Security-Policy": CSP},
        )

    async def state(self, request: web.Request) -> web.Response:
        if request.query.get("costs") == "1":  # only what the updates cost (benchmarks)
            return web.json_response(self.costs())
        scorecard, live = self.data()
        return web.json_response(
            {"scorecard": scorecard, **live}, dumps=lambda x: orjson.dumps(x).decode()
        )

    async def events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                     "X-Accel-Buffering": "no"}
        )  # fmt: skip
        await response.prepare(request)
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1)
        self.clients.add(queue)
        self._ensure_running()
        try:
            await response.write(b"retry: 2000\n" + await self._message())
            while not self.closing:
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=PING_S)
                except TimeoutError:
                    message = b'event: ping\ndata: {"at": %.3f}\n\n' % time.time()
                if not message:  # the worker is stopping (`close`)
                    break
                await response.write(message)
        except (ConnectionResetError, RuntimeError):
            pass  # the page went away
        finally:
            self.clients.discard(queue)
        return response


def _encode(scorecard: dict[str, Any], live: dict[str, Any]) -> bytes:
    return b"event: state\ndata: " + orjson.dumps(update_of(scorecard, live)) + b"\n\n"


# Inline script and style are the page's own (one file); nothing may come from elsewhere.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
)


def register(worker: Worker) -> Feed:
    """Add the dashboard's routes and the token check to the worker's web server."""
    settings = load_dashboard_settings()
    tokens, made = read_tokens(settings, worker.state_dir)
    if made is not None:
        log.warning("dashboard: no LEADFLOW_READ_TOKENS set; the read token is in %s", made)
    feed = Feed(worker, settings)
    web_app: web.Application = worker.app.web.web_app  # type: ignore[attr-defined]
    web_app.middlewares.append(middleware(Tokens(tokens)))  # type: ignore[arg-type]
    web_app.router.add_get("/", feed.page)
    web_app.router.add_get("/dashboard/state", feed.state)
    web_app.router.add_get("/dashboard/events", feed.events)
    web_app.on_shutdown.append(feed.close)
    worker.dashboard = feed  # type: ignore[attr-defined]
    return feed

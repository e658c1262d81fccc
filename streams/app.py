"""The Faust worker, built in a factory: `build_app(settings, loaded, options)`.

Topology (see docs/worker.md):

    leads.events --lead stage--> <app>-routing --pool stage--> leads.assignments
         (keyed by lead_id)  |   (one record log)   (Engine)   sla.alerts
                             +--> leads.deadletter <-----------+ (refused by a rule)
                                  (not a valid event)

- The lead stage (parallel over the input's partitions) validates each message with the
  core's `parse_event`; what fails goes to `leads.deadletter` with the raw bytes, the
  source topic/partition/offset and the reason; the rest is forwarded as a record.
- The pool stage owns the routing domain: one `Engine` on one partition of the routing
  topic, so a rep's capacity is booked in exactly one place. It applies records in offset
  order and publishes the decisions. Its state is snapshotted and recovered as described
  in `streams.pool_stage`.
- The tick task of the worker that owns the pool stage appends tick records: on the wall
  clock when a timer is due (`clock="wall"`), or when input pauses (`clock="event"`, time
  follows the events, as in `leadflow replay`).

Codecs are raw bytes on every topic: input is parsed once per stage by the core's pydantic
models (`routing.events.parse_event`); decisions are written with orjson.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import faust
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.types import TP, EventT

from routing.errors import EventError
from routing.events import parse_event
from routing.outputs import Output
from routing.policy.loader import LoadedPolicy
from streams.metrics import WorkerMetrics
from streams.pool_stage import PoolStage
from streams.records import (
    ASSIGNMENT_TYPES,
    EVENT,
    REJECTED,
    decision_key,
    event_record,
    split_event,
    tick_record,
)
from streams.settings import StreamSettings

Clock = Literal["wall", "event"]
POOL_KEY = b"pools"  # the routing domain's key (one domain: see docs/worker.md)
POOL_PARTITION = 0


@dataclass(frozen=True)
class WorkerOptions:
    clock: Clock = "wall"
    snapshot_every_s: float = 5.0
    batch: int = 2000  # records per take_events batch
    within_s: float = 0.002  # ... or what arrived within this time
    tick_every_s: float = 0.1  # how often the tick task looks at the next deadline
    idle_tick_s: float = 0.3  # event clock: tick once input has paused this long
    fork_snapshots: bool = True
    session_timeout_s: float = 10.0  # a killed worker's partitions move after this long
    wall: Callable[[], float] = time.time  # the clock adapter (tests may pass their own)


@dataclass(frozen=True)
class Topics:
    events: str
    assignments: str
    alerts: str
    deadletter: str
    routing: str

    @classmethod
    def of(cls, settings: StreamSettings) -> Topics:
        return cls(
            events=settings.topic_events,
            assignments=settings.topic_assignments,
            alerts=settings.topic_alerts,
            deadletter=settings.topic_deadletter,
            routing=f"{settings.app_id}-routing",
        )

    def all(self) -> tuple[str, ...]:
        return (self.events, self.assignments, self.alerts, self.deadletter, self.routing)


def deadletter_headers(
    reason: str, topic: str, partition: int, offset: int, stage: str, event_id: str = ""
) -> list[tuple[str, bytes]]:
    headers = [
        ("leadflow.reason", reason.encode()),
        ("leadflow.topic", topic.encode()),
        ("leadflow.partition", str(partition).encode()),
        ("leadflow.offset", str(offset).encode()),
        ("leadflow.stage", stage.encode()),
    ]
    if event_id:
        headers.append(("leadflow.event_id", event_id.encode()))
    return headers


def _source_parts(source: str) -> tuple[str, int, int]:
    topic, _, rest = source.rpartition(":")
    topic, _, part = topic.rpartition(":")
    try:
        return topic, int(part), int(rest)
    except ValueError:
        return source, -1, -1


class Worker:
    """Everything one app holds: its topics, the pool stage, metrics. Built by `build_app`."""

    def __init__(
        self, settings: StreamSettings, loaded: LoadedPolicy, options: WorkerOptions
    ) -> None:
        self.settings = settings
        self.loaded = loaded
        self.options = options
        self.names = Topics.of(settings)
        self.state_dir = settings.state_dir / settings.app_id
        (self.state_dir / "faust").mkdir(parents=True, exist_ok=True)
        self.stages: dict[int, PoolStage] = {}
        self.metrics = WorkerMetrics(self.engine)
        self.last_tick_sent = 0.0
        self.event_tick_now = float("-inf")  # engine time of the last event-clock tick
        self.app = self._build()

    # --- the app ------------------------------------------------------------------------
    def _build(self) -> faust.App:
        s, o = self.settings, self.options
        app = faust.App(
            s.app_id,
            **s.faust_kwargs(),
            autodiscover=False,
            store="memory://",
            datadir=str(self.state_dir / "faust"),
            processing_guarantee="at_least_once",
            consumer_auto_offset_reset="earliest",
            topic_partitions=s.partitions,
            topic_replication_factor=1,
            broker_commit_interval=1.0,
            broker_session_timeout=o.session_timeout_s,
            broker_heartbeat_interval=max(1.0, o.session_timeout_s / 4),
            producer_linger=0.002,
            stream_wait_empty=False,
            web_enabled=True,
            web_bind=s.web_host,
            web_port=s.web_port,
            web_host=s.web_host,
        )
        raw: dict[str, Any] = {
            "key_serializer": "raw",
            "value_serializer": "raw",
            "partitions": s.partitions,
            "internal": True,  # declared (created) by the worker with these partitions
        }
        self.events = app.topic(self.names.events, **raw)
        self.assignments = app.topic(self.names.assignments, **raw)
        self.alerts = app.topic(self.names.alerts, **raw)
        self.deadletter = app.topic(self.names.deadletter, **raw)
        # The routing topic is the pool stage's input log: kept until deleted by hand.
        self.routing = app.topic(self.names.routing, config={"retention.ms": "-1"}, **raw)
        app.agent(self.events, name="lead-stage", concurrency=1)(self._lead_stage)
        app.agent(self.routing, name="pool-stage", concurrency=1)(self._pool_stage)
        app.timer(o.tick_every_s, name="ticker")(self._tick)
        app.on_partitions_revoked.connect(self._on_revoked)  # type: ignore[arg-type]
        app.task(self._declare_outputs)
        self.app = app
        from streams.web import add_views

        add_views(self)
        return app

    def engine(self) -> Any:
        stage = self.stages.get(POOL_PARTITION)
        return stage.engine if stage is not None else None

    def pool_now(self) -> float:
        """The instant the worker's state is at: wall clock, or engine time (event clock)."""
        engine = self.engine()
        if self.options.clock == "event" and engine is not None:
            return float(engine.now)
        return self.options.wall()

    async def _declare_outputs(self) -> None:
        """Create the output topics (the agents' sources are created by Faust itself)."""
        for topic in (self.assignments, self.alerts, self.deadletter):
            await topic.maybe_declare()

    def _batches(self, stream: faust.StreamT[Any]) -> AsyncIterator[Sequence[EventT[Any]]]:
        """What arrived, `batch` events at most or whatever came within `within_s`."""
        o = self.options
        return cast(faust.Stream[Any], stream).take_events(o.batch, within=o.within_s)

    # --- lead stage ---------------------------------------------------------------------
    async def _lead_stage(self, stream: faust.StreamT[Any]) -> None:
        producer = self.app.producer
        routing = self.names.routing
        events_in = self.metrics.events_in.labels("lead")
        dead = self.metrics.deadlettered.labels("lead")
        async for batch in self._batches(stream):
            events_in.inc(len(batch))
            for event in batch:
                msg = event.message
                raw = msg.value
                source = f"{msg.topic}:{msg.partition}:{msg.offset}"
                try:
                    if not raw:
                        raise EventError("empty message: no value")
                    parse_event(raw)
                except EventError as exc:
                    dead.inc()
                    await producer.send(
                        self.names.deadletter,
                        key=msg.key,
                        value=raw or b"",
                        partition=None,
                        timestamp=None,
                        headers=deadletter_headers(
                            str(exc), msg.topic, msg.partition, msg.offset, "lead"
                        ),
                    )
                    continue
                await producer.send(
                    routing,
                    key=POOL_KEY,
                    value=event_record(source, raw),
                    partition=POOL_PARTITION,
                    timestamp=msg.timestamp,
                    headers=None,
                )

    # --- pool stage ---------------------------------------------------------------------
    def _stage(self, partition: int) -> PoolStage:
        stage = self.stages.get(partition)
        if stage is None:
            path = self.state_dir / f"pool-{partition}.snapshot"
            stage = self.stages[partition] = PoolStage(
                self.loaded, path, fork_snapshots=self.options.fork_snapshots
            )
        return stage

    async def _pool_stage(self, stream: faust.StreamT[Any]) -> None:
        events_in = self.metrics.events_in.labels("pool")
        wall = self.options.wall
        async for batch in self._batches(stream):
            events_in.inc(len(batch))
            touched: set[PoolStage] = set()
            for event in batch:
                msg = event.message
                stage = self._stage(msg.partition)
                if stage.engine is None:
                    outputs = await stage.recover(msg.offset, self._reader(msg.partition))
                    self.metrics.recovered.inc(stage.recovered)
                    await self._publish(outputs, None, None)
                outputs = stage.apply(msg.offset, msg.value or b"")
                if outputs:
                    await self._publish(outputs, msg.value, msg.timestamp)
                touched.add(stage)
            now = wall()
            for stage in touched:
                stage.last_applied_at = now
                if stage.due_snapshot(now, self.options.snapshot_every_s):
                    await self.app.producer.flush()  # outputs up to the offset are delivered
                    stage.snapshot(now)
                    self.metrics.snapshots.inc()

    def _reader(self, partition: int) -> Callable[[int, int], AsyncIterator[tuple[int, bytes]]]:
        async def read_range(start: int, end: int) -> AsyncIterator[tuple[int, bytes]]:
            """Routing records at offsets [start, end), read with a consumer of its own."""
            consumer = AIOKafkaConsumer(
                **self.settings.aiokafka_kwargs(), enable_auto_commit=False, group_id=None
            )
            await consumer.start()
            try:
                tp = TopicPartition(self.names.routing, partition)
                consumer.assign([tp])
                first = (await consumer.beginning_offsets([tp]))[tp]
                if first > start:
                    raise EventError(
                        f"routing records {start}..{first - 1} were deleted: "
                        "the pool stage cannot be rebuilt (see docs/crash-safety.md)"
                    )
                consumer.seek(tp, start)
                position = start
                while position < end:
                    got = await consumer.getmany(tp, timeout_ms=1000, max_records=5000)
                    for record in got.get(tp, []):
                        if record.offset >= end:
                            return
                        position = record.offset + 1
                        yield record.offset, record.value or b""
            finally:
                await consumer.stop()

        return read_range

    async def _publish(
        self, outputs: Iterable[Output], record: bytes | None, input_ts: float | None
    ) -> None:
        producer = self.app.producer
        out = self.metrics.decisions_out
        for decision in outputs:
            kind = decision["type"]
            if kind == REJECTED:
                await self._dead_decision(decision, record)
                continue
            topic = self.names.assignments if kind in ASSIGNMENT_TYPES else self.names.alerts
            await producer.send(
                topic,
                key=decision_key(decision),
                value=orjson.dumps(decision),
                partition=None,
                timestamp=None,
                headers=None,
            )
            out.labels(topic).inc()
        if input_ts is not None:
            self.metrics.latency.observe(max(0.0, self.options.wall() - input_ts))

    async def _dead_decision(self, decision: Output, record: bytes | None) -> None:
        """An input refused by a rule (e.g. a rejection without a listed reason)."""
        source = str(decision.get("source", ""))
        if record is not None and record[0] == EVENT:
            raw = split_event(record)[1]
        else:
            raw = str(decision.get("raw", "")).encode()
        topic, partition, offset = _source_parts(source)
        self.metrics.deadlettered.labels("pool").inc()
        await self.app.producer.send(
            self.names.deadletter,
            key=decision_key(decision),
            value=raw,
            partition=None,
            timestamp=None,
            headers=deadletter_headers(
                str(decision.get("reason", "")),
                topic,
                partition,
                offset,
                "pool",
                str(decision["event_id"]),
            ),
        )

    # --- ticks and rebalances -------------------------------------------------------------
    def owns_pool_stage(self) -> bool:
        return TP(self.names.routing, POOL_PARTITION) in self.app.consumer.assignment()

    async def _tick(self) -> None:
        if not self.owns_pool_stage():
            return
        now = self.options.wall()
        stage = self.stages.get(POOL_PARTITION)
        engine = stage.engine if stage is not None else None
        wall_clock = self.options.clock == "wall"
        if engine is None:  # not recovered yet: a record makes the agent recover
            send = now - self.last_tick_sent >= 1.0
        elif wall_clock:
            due = engine.next_deadline()
            send = due is not None and due <= now
        else:
            assert stage is not None
            send = (
                engine.now > self.event_tick_now
                and now - stage.last_applied_at >= self.options.idle_tick_s
            )
            if send:
                self.event_tick_now = engine.now
        if send:
            self.last_tick_sent = now
            await self.app.producer.send(
                self.names.routing,
                key=POOL_KEY,
                value=tick_record(now if wall_clock else None),
                partition=POOL_PARTITION,
                timestamp=now,
                headers=None,
            )

    async def _on_revoked(self, sender: Any, revoked: set[TP], **_: Any) -> None:
        for tp in revoked:
            stage = self.stages.pop(tp.partition, None) if tp.topic == self.names.routing else None
            if stage is not None and stage.engine is not None:
                await self.app.producer.flush()
                stage.snapshot(self.options.wall())
                stage.release()


def build_app(
    settings: StreamSettings, loaded: LoadedPolicy, options: WorkerOptions | None = None
) -> faust.App:
    """A new worker app (nothing is built at import time)."""
    return build_worker(settings, loaded, options).app


def build_worker(
    settings: StreamSettings, loaded: LoadedPolicy, options: WorkerOptions | None = None
) -> Worker:
    return Worker(settings, loaded, options or WorkerOptions())

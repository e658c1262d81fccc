"""The worker: a Faust app built in a factory, `build_app(settings, loaded, options)`.

Topology (docs/worker.md):

    leads.events --lead stage--> <app>-routing --pool stage--> leads.assignments
    (keyed by lead_id) (LeadDesk  (one record log)   (Engine)   sla.alerts
                        per input      |                 +--> leads.deadletter
                        partition)     +--> leads.deadletter   (refused by a rule)
                                            (not a valid event)

- The lead stage (parallel over the input's partitions) holds one lead desk
  (routing.desk) per input partition: it validates each message with the core's
  `parse_event` (what fails goes to `leads.deadletter` with the raw bytes, the source
  topic/partition/offset and the reason), de-duplicates, and decides what the input
  means for its lead (MQL, tier, pool, disqualification, intent, touches, dispositions,
  deferrals); it sends the pool stage a desk record of those decisions
  (streams.lead_stage, streams.desk_records).
- The pool stage owns the routing domain: one `Engine` on one partition of the routing
  topic, so a rep's capacity is booked in exactly one place. It applies records in offset
  order and publishes the decisions.
- Both stages' state is snapshotted and recovered from their input log as described in
  `streams.stage_state`.
- The tick timer of the worker that holds the pool stage appends tick records: on the wall
  clock when a timer is due (`clock="wall"`), or when input pauses (`clock="event"`: time
  follows the events, as in `leadflow replay`).

Faust runs the worker: service lifecycle and signals, the web views, topic declarations
with explicit partition counts, the tick timer. The two stages consume with aiokafka
`getmany` in batches (streams.stages), not through Faust agents: measured on this
machine, Faust's per-message stream machinery (event objects, acks, a consumer thread
hop) held the lead stage to ~3,100 events/s and the worker to ~1,900 events/s end to end
(docs/benchmarks.md). Messages are raw bytes on every topic: input is parsed by the core's
pydantic models (`routing.events.parse_event`); decisions are written with orjson.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from routing.engine import Engine
from routing.errors import EventError
from routing.policy.loader import LoadedPolicy
from streams import codecs, heap, quiet_logs
from streams.admin import records_between
from streams.ahead import ahead_rule
from streams.lead_stage import LeadStage
from streams.lead_stages import LeadStages
from streams.metrics import WorkerMetrics
from streams.partitions import ForkGate, PoolStages
from streams.pool_stage import PoolStage
from streams.records import tick_record
from streams.settings import StreamSettings
from streams.snapshot_topic import TOPIC_CONFIG, Shipper, latest
from streams.stages import MAX_REQUEST_BYTES, POOL_KEY, POOL_PARTITION, Names, Publisher

Clock = Literal["wall", "event"]


async def log_start(consumer: AIOKafkaConsumer, topic: str, partition: int) -> int:
    """The first offset a stage's input log still holds (it may have been trimmed), asked
    through the stage's own running consumer: a client of its own would cost a connection
    and a metadata round trip for each partition a stage takes over (the worker's first
    events waited for those, one partition after another)."""
    tp = TopicPartition(topic, partition)
    return int((await consumer.beginning_offsets([tp]))[tp])


@dataclass(frozen=True)
class WorkerOptions:
    clock: Clock = "wall"
    snapshot_every_s: float = 5.0
    batch: int = 5000  # records per getmany
    within_s: float = 0.005  # ... or what arrived within this time
    tick_every_s: float = 0.1  # how often the tick timer looks at the next deadline
    idle_tick_s: float = 0.3  # event clock: tick once input has paused this long
    fork_snapshots: bool = True
    freeze_heap: bool = True  # keep the collector off the engine's state (streams.heap)
    session_timeout_s: float = 10.0  # a killed worker's partitions move after this long
    publish_every_s: float = 60.0  # publish a snapshot to Kafka this often (0: never)
    trim_log: bool = False  # delete the routing log below the newest published snapshot
    wall: Callable[[], float] = time.time  # the clock adapter (tests may pass their own)
    clock_skew_s: float = 300.0  # wall clock: an event further ahead is dead-lettered


def topic_names(settings: StreamSettings) -> Names:
    return Names(
        events=settings.topic_events,
        assignments=settings.topic_assignments,
        alerts=settings.topic_alerts,
        deadletter=settings.topic_deadletter,
        routing=f"{settings.app_id}-routing",
    )


def snapshot_topic(settings: StreamSettings) -> str:
    return f"{settings.app_id}-snapshots"


class Worker:
    """Everything one app holds: its topics, the stages, metrics. Built by `build_app`."""

    def __init__(
        self, settings: StreamSettings, loaded: LoadedPolicy, options: WorkerOptions
    ) -> None:
        self.settings = settings
        self.loaded = loaded
        self.options = options
        self.names = topic_names(settings)
        self.state_dir = settings.state_dir / settings.app_id
        (self.state_dir / "faust").mkdir(parents=True, exist_ok=True)
        self.metrics = WorkerMetrics(self.engine)
        self.pools: PoolStages | None = None
        self.leads: LeadStages | None = None
        self.out: Publisher | None = None
        self.pool_consumer: AIOKafkaConsumer | None = None
        self.lead_consumer: AIOKafkaConsumer | None = None
        self.last_tick_sent = 0.0
        self.event_tick_now = float("-inf")  # engine time of the last event-clock tick
        self.app = self._build()

    # --- the app ------------------------------------------------------------------------
    def _build(self) -> faust.App:
        s, o = self.settings, self.options
        app = faust.App(
            s.app_id,
            **s.faust_kwargs(),
            # The app's own consumer group (it joins one even without agents) takes the
            # worker's timeouts: with Faust's 60 s, a restarted worker waited a minute
            # for a killed one's membership to expire before its stages could start.
            broker_session_timeout=o.session_timeout_s,
            broker_rebalance_timeout=o.session_timeout_s,
            broker_heartbeat_interval=max(1.0, o.session_timeout_s / 4),
            # Faust's own views (/router/, /table/, its index and statistics) are not
            # served: the worker's routes are streams.web's.
            web_router_enabled=False,
            web_tables_enabled=False,
            web_stats_enabled=False,
            web_graph_enabled=False,
            autodiscover=False,
            store="memory://",
            datadir=str(self.state_dir / "faust"),
            topic_partitions=s.partitions,
            topic_replication_factor=1,
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
        codecs.register()  # the declared topics carry the core's models (streams.codecs)
        events = {**raw, "value_serializer": codecs.EVENT_CODEC}
        decisions = {**raw, "value_serializer": codecs.DECISION_CODEC}
        self.topics = [
            app.topic(self.names.events, **events),
            app.topic(self.names.assignments, **decisions),
            app.topic(self.names.alerts, **decisions),
            app.topic(self.names.deadletter, **raw),
            # The pool stage's input log: kept, or trimmed below a published snapshot
            # (--trim-routing-log; docs/crash-safety.md).
            app.topic(self.names.routing, config={"retention.ms": "-1"}, **raw),
        ]
        if o.publish_every_s > 0:  # one partition, compacted (streams.snapshot_topic)
            snapshots = {**raw, "partitions": 1, "config": TOPIC_CONFIG}
            self.topics.append(app.topic(snapshot_topic(s), **snapshots))
        app.task(self._run_stages)
        app.timer(o.tick_every_s, name="ticker")(self._tick)
        self.app = app
        from dashboard.live import register as add_dashboard
        from streams.web import add_views

        add_views(self)
        add_dashboard(self)  # the page at / and the read-token check (dashboard.live)
        return app

    def stage(self) -> PoolStage | None:
        return self.pools.stages.get(POOL_PARTITION) if self.pools is not None else None

    def engine(self) -> Engine | None:
        stage = self.stage()
        return stage.engine if stage is not None else None

    def pool_now(self) -> float:
        """The instant the worker's state is at: wall clock, or engine time (event clock)."""
        engine = self.engine()
        if self.options.clock == "event" and engine is not None:
            return float(engine.now)
        return self.options.wall()

    # --- the stages ---------------------------------------------------------------------
    def _make_stage(self, partition: int) -> PoolStage:
        path = self.state_dir / f"pool-{partition}.snapshot"
        o = self.options
        return PoolStage(
            self.loaded, path, fork_snapshots=o.fork_snapshots, freeze_heap=o.freeze_heap
        )

    def _make_lead_stage(self, partition: int) -> LeadStage:
        o = self.options
        return LeadStage(
            self.loaded, self.names.events, partition,
            snapshot_path=self.state_dir / f"lead-{partition}.snapshot",
            fork_snapshots=o.fork_snapshots, freeze_heap=o.freeze_heap,
            ahead=ahead_rule(self.loaded, o.clock, o.wall, o.clock_skew_s),
        )  # fmt: skip

    async def _run_stages(self) -> None:
        """Declare the topics, then run both stages until the app stops."""
        for topic in self.topics:
            await topic.maybe_declare()
        # aiokafka logs each send at debug level; formatting those cost ~8% of the worker.
        logging.getLogger("aiokafka").setLevel(logging.WARNING)
        s, o = self.settings, self.options
        quiet_logs.install(s.log_every_s)  # a broker outage: one line per kind and interval
        kwargs = s.aiokafka_kwargs()
        producer = AIOKafkaProducer(
            **kwargs, acks="all", linger_ms=2, max_request_size=MAX_REQUEST_BYTES
        )
        common: dict[str, Any] = {
            **kwargs,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "session_timeout_ms": int(o.session_timeout_s * 1000),
            "rebalance_timeout_ms": int(o.session_timeout_s * 1000),
            "heartbeat_interval_ms": int(max(1.0, o.session_timeout_s / 4) * 1000),
            "max_partition_fetch_bytes": 4 * 1024 * 1024,
            "fetch_max_wait_ms": 50,  # a quiet partition must not hold a busy one's records
        }
        lead = AIOKafkaConsumer(group_id=f"{s.app_id}-lead", **common)
        pool = AIOKafkaConsumer(group_id=f"{s.app_id}-pool", **common)
        # One publisher per stage: each commits after its *own* messages are acknowledged.
        out = self.out = Publisher(producer, self.names, self.metrics, o.wall)
        lead_out = Publisher(producer, self.names, self.metrics, o.wall)
        # Forks of both stages' snapshots spaced out: at most ten per interval.
        gate = ForkGate(o.snapshot_every_s / 10)
        self.pools = PoolStages(self._make_stage, out, o.snapshot_every_s, gate)
        if o.publish_every_s > 0:
            snaps = snapshot_topic(s)
            self.pools.shipper = Shipper(
                producer, kwargs, snaps, self.names.routing, o.publish_every_s, o.trim_log
            )
            self.pools.remote = lambda p: lambda: latest(kwargs, snaps, p)
        self.pools.log_start = lambda p: log_start(pool, self.names.routing, p)
        pool.subscribe([self.names.routing], listener=self.pools)
        self.leads = LeadStages(
            self._make_lead_stage, lead_out, o.snapshot_every_s, gate,
            event_clock=o.clock == "event", idle_s=s.merge_idle_s,
        )  # fmt: skip
        self.leads.log_start = lambda p: log_start(lead, self.names.events, p)
        lead.subscribe([self.names.events], listener=self.leads)
        self.pool_consumer, self.lead_consumer = pool, lead
        pauses = self.metrics.gc_pauses
        watch = heap.PauseWatch(lambda generation, s: pauses.labels(str(generation)).observe(s))
        watch.start()
        try:
            await producer.start()
            await lead.start()
            await pool.start()
            await out.prepare()
            await lead_out.prepare()
            within_ms = max(1, int(o.within_s * 1000))
            await asyncio.gather(
                self.leads.run(lead, self._reader(self.names.events), o.batch, within_ms),
                self.pools.run(pool, self._reader(self.names.routing), o.batch, within_ms),
            )
        finally:
            watch.stop()
            try:
                await self.leads.leave()
                await self.pools.leave()
            finally:
                for client in (lead, pool, producer):
                    await client.stop()

    def _reader(
        self, topic: str
    ) -> Callable[[int], Callable[[int, int], AsyncIterator[tuple[int, bytes, int | None]]]]:
        """The reader of a stage's input log (`topic`), for each partition."""
        return lambda partition: self._read_range(topic, partition)

    def _read_range(
        self, topic: str, partition: int
    ) -> Callable[[int, int], AsyncIterator[tuple[int, bytes, int | None]]]:
        async def read_range(start: int, end: int) -> AsyncIterator[tuple[int, bytes, int | None]]:
            """Input records at offsets [start, end), read with a consumer of its own."""
            consumer = AIOKafkaConsumer(
                **self.settings.aiokafka_kwargs(), enable_auto_commit=False, group_id=None
            )
            await consumer.start()
            try:
                tp = TopicPartition(topic, partition)
                consumer.assign([tp])
                first = (await consumer.beginning_offsets([tp]))[tp]
                if first > start:
                    raise EventError(
                        f"{topic} records {start}..{first - 1} were deleted: the stage "
                        f"of partition {partition} cannot be rebuilt (see docs/crash-safety.md)"
                    )
                async for record in records_between(consumer, tp, start, end, 5000):
                    yield record.offset, record.value or b"", record.timestamp
            finally:
                await consumer.stop()

        return read_range

    def input_partitions(self) -> list[int]:
        """The input partitions this worker's lead stage holds now."""
        lead = self.lead_consumer
        return sorted(tp.partition for tp in lead.assignment()) if lead is not None else []

    def stage_watch(self) -> dict[str, dict[str, Any]]:
        """Per stage kind this worker runs: lag, last applied, stalled (streams.partitions)."""
        now, after = self.options.wall(), self.settings.stall_after_s
        return {
            stages.label: stages.watch(now, after)
            for stages in (self.leads, self.pools)
            if stages is not None
        }

    def lead_stats(self) -> dict[str, int]:
        """What the lead stage's desks did (applied / duplicate / refused), all partitions."""
        total: dict[str, int] = {}
        for stage in list(self.leads.stages.values()) if self.leads is not None else []:
            if stage.state is not None:
                for key, n in stage.state.stats.items():
                    total[key] = total.get(key, 0) + n
        return total

    # --- ticks ----------------------------------------------------------------------------
    def owns_pool_stage(self) -> bool:
        pool = self.pool_consumer
        return pool is not None and (
            TopicPartition(self.names.routing, POOL_PARTITION) in pool.assignment()
        )

    async def _tick(self) -> None:
        if self.out is None or not self.owns_pool_stage():
            return
        now = self.options.wall()
        stage = self.stage()
        engine = stage.engine if stage is not None else None
        wall_clock = self.options.clock == "wall"
        if stage is None or engine is None:  # not recovered: a record makes it recover
            send = now - self.last_tick_sent >= 1.0
        elif wall_clock:
            due = engine.next_deadline()
            send = due is not None and due <= now
        else:
            # Once the input has paused: the pool stage idle, and this worker's lead stage
            # (when it holds input partitions) caught up, not between two of its fetches
            # (a tick there would fire a timer due at the last instant before the inputs
            # of that instant still to come; replay fires it after them).
            leads = self.leads
            send = (
                engine.now > self.event_tick_now
                and now - stage.last_applied_at >= self.options.idle_tick_s
                and (leads is None or leads.caught_up())
            )
            if send:
                self.event_tick_now = engine.now
        if send:
            self.last_tick_sent = now
            record = tick_record(now if wall_clock else None)
            # Straight to the producer, not into the stages' batches (they commit input
            # offsets after their own batches are acknowledged); a lost tick is re-sent.
            await self.out.producer.send(
                self.names.routing, record, key=POOL_KEY, partition=POOL_PARTITION
            )


def build_app(
    settings: StreamSettings, loaded: LoadedPolicy, options: WorkerOptions | None = None
) -> faust.App:
    """A new worker app (nothing is built at import time)."""
    return build_worker(settings, loaded, options).app


def build_worker(
    settings: StreamSettings, loaded: LoadedPolicy, options: WorkerOptions | None = None
) -> Worker:
    return Worker(settings, loaded, options or WorkerOptions())

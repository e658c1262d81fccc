"""The two stages' consume loops (aiokafka `getmany`, one batch at a time) and the
publisher of decisions and dead letters.

Each stage is a consumer group of its own (`<app>-lead`, `<app>-pool`) with manual
commits: a batch's offsets are committed only after every message it produced is
acknowledged (at-least-once). The pool stage's state does not depend on these commits:
it recovers from its snapshot and the routing log (streams.pool_stage); the commit only
says up to where its outputs are out (recovery does not publish them again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import TopicPartition

from routing.errors import EventError
from routing.events import parse_event
from routing.outputs import Output
from streams.metrics import WorkerMetrics
from streams.pool_stage import PoolStage, Remote
from streams.records import (
    ASSIGNMENT_TYPES,
    EVENT,
    REJECTED,
    decision_key,
    event_record,
    split_event,
)
from streams.snapshot_topic import Shipper

_PARTITIONER = DefaultPartitioner()
log = logging.getLogger(__name__)
COMMIT_EVERY_S = 0.2
POOL_KEY = b"pools"  # the routing domain's key (one domain: see docs/worker.md)
POOL_PARTITION = 0


@dataclass(frozen=True)
class Names:
    events: str
    assignments: str
    alerts: str
    deadletter: str
    routing: str


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


class Publisher:
    """Appends messages to one open batch per topic partition (aiokafka `create_batch`:
    far cheaper per message than `send`); `settle()` submits the batches and waits until
    the broker has acknowledged all of them."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        names: Names,
        metrics: WorkerMetrics,
        wall: Callable[[], float],
    ) -> None:
        self.producer = producer
        self.names = names
        self.metrics = metrics
        self.wall = wall
        self.pending: list[asyncio.Future[Any]] = []
        self._open: dict[tuple[str, int], Any] = {}
        self._counts: dict[str, list[int]] = {}  # topic -> sorted partitions
        self._partitions: dict[tuple[str, bytes], int] = {}
        self._out = {
            t: metrics.decisions_out.labels(t) for t in (names.assignments, names.alerts)
        }

    async def prepare(self) -> None:
        """Learn every output topic's partitions (the topics are declared by then)."""
        n = self.names
        for topic in (n.assignments, n.alerts, n.deadletter, n.routing):
            self._counts[topic] = sorted(await self.producer.partitions_for(topic))

    async def send(
        self,
        topic: str,
        value: bytes,
        key: bytes | None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        if partition is None:
            partition = self._partition(topic, key)
        if timestamp_ms is None:
            timestamp_ms = int(self.wall() * 1000)
        batch = self._open.get((topic, partition))
        if batch is None:
            batch = self._open[topic, partition] = self.producer.create_batch()
        if batch.append(timestamp=timestamp_ms, key=key, value=value, headers=headers or []):
            return
        await self._submit(topic, partition)  # full: send it, start another
        batch = self._open[topic, partition] = self.producer.create_batch()
        if batch.append(timestamp=timestamp_ms, key=key, value=value, headers=headers or []):
            return
        # One message larger than a batch: let the producer send it on its own.
        self.pending.append(
            await self.producer.send(
                topic, value, key=key, partition=partition, timestamp_ms=timestamp_ms,
                headers=headers,
            )
        )  # fmt: skip

    async def _submit(self, topic: str, partition: int) -> None:
        batch = self._open.pop((topic, partition))
        if batch.record_count():
            self.pending.append(await self.producer.send_batch(batch, topic, partition=partition))

    def _partition(self, topic: str, key: bytes | None) -> int:
        """The default partitioner's choice (murmur2 of the key), remembered per key."""
        parts = self._counts[topic]
        if key is None:
            return parts[0]
        cached = self._partitions.get((topic, key))
        if cached is None:
            cached = _PARTITIONER(key, parts, parts)
            if len(self._partitions) > 200_000:
                self._partitions.clear()
            self._partitions[topic, key] = cached
        return cached

    async def submit(self) -> None:
        """Hand every open batch to the producer (it sends them after `linger_ms`)."""
        for topic, partition in list(self._open):
            await self._submit(topic, partition)

    async def settle(self) -> None:
        await self.submit()
        if self.pending:
            pending, self.pending = self.pending, []
            await asyncio.gather(*pending)  # raises if a delivery failed: nothing is committed

    async def decisions(
        self, outputs: Iterable[Output], record: bytes | None, input_ts_ms: int | None
    ) -> None:
        names = self.names
        for decision in outputs:
            kind = decision["type"]
            if kind == REJECTED:
                await self._refused(decision, record)
                continue
            topic = names.assignments if kind in ASSIGNMENT_TYPES else names.alerts
            await self.send(topic, orjson.dumps(decision), decision_key(decision))
            self._out[topic].inc()
        if input_ts_ms is not None:
            self.metrics.latency.observe(max(0.0, self.wall() - input_ts_ms / 1000.0))

    async def _refused(self, decision: Output, record: bytes | None) -> None:
        """An input refused by a rule (e.g. a rejection without a listed reason)."""
        if record is not None and record[0] == EVENT:
            raw = split_event(record)[1]
        else:
            raw = str(decision.get("raw", "")).encode()
        topic, partition, offset = _source_parts(str(decision.get("source", "")))
        self.metrics.deadlettered.labels("pool").inc()
        reason = str(decision.get("reason", ""))
        headers = deadletter_headers(
            reason, topic, partition, offset, "pool", str(decision["event_id"])
        )
        await self.send(self.names.deadletter, raw, decision_key(decision), headers=headers)


def _produced(msg: Any) -> tuple[int, int, int]:
    return msg.timestamp, msg.partition, msg.offset


async def run_lead_stage(
    consumer: AIOKafkaConsumer, out: Publisher, batch: int, within_ms: int
) -> None:
    """Validate every input; dead-letter what is not an event, forward the rest."""
    names, metrics = out.names, out.metrics
    checkpoint = Checkpoint(consumer, out, COMMIT_EVERY_S)
    events_in = metrics.events_in.labels("lead")
    dead = metrics.deadlettered.labels("lead")
    while True:
        got = await consumer.getmany(timeout_ms=within_ms, max_records=batch)
        records = [msg for part in got.values() for msg in part]
        if len(got) > 1:  # several input partitions: forward in the order they were produced
            records.sort(key=_produced)
        events_in.inc(len(records))
        for msg in records:
            raw = msg.value
            try:
                if not raw:
                    raise EventError("empty message: no value")
                parse_event(raw)
            except EventError as exc:
                dead.inc()
                headers = deadletter_headers(
                    str(exc), msg.topic, msg.partition, msg.offset, "lead"
                )
                await out.send(names.deadletter, raw or b"", msg.key, headers=headers)
                continue
            source = f"{msg.topic}:{msg.partition}:{msg.offset}"
            await out.send(
                names.routing,
                event_record(source, raw),
                POOL_KEY,
                partition=POOL_PARTITION,
                timestamp_ms=msg.timestamp,
            )
        await checkpoint.after(bool(got))


class Checkpoint:
    """Commit a consumer's offsets at most every `every_s` (and when input pauses), each
    time once every message produced so far is acknowledged: at-least-once without a
    round trip to the broker per batch."""

    def __init__(self, consumer: AIOKafkaConsumer, out: Publisher, every_s: float) -> None:
        self.consumer = consumer
        self.out = out
        self.every_s = every_s
        self.dirty = False
        self.last = 0.0

    async def after(self, worked: bool) -> bool:
        """Call after each poll; True when it committed (everything is acknowledged)."""
        if worked:
            self.dirty = True
            await self.out.submit()
        now = self.out.wall()
        if self.dirty and (not worked or now - self.last >= self.every_s):
            await self.out.settle()
            await commit(self.consumer)
            self.dirty, self.last = False, now
            return True
        return False


async def commit(
    consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int] | None = None
) -> None:
    """Commit (the consumed positions, or `offsets`); a commit refused because the group is
    rebalancing is not an error: what it covered is delivered, and the partitions' next
    owner reads them again from the last commit (at-least-once, same decision ids)."""
    try:
        await consumer.commit(offsets)
    except CommitFailedError as exc:
        log.info("commit skipped during a rebalance: %s", exc)


class PoolStages(ConsumerRebalanceListener):  # type: ignore[misc]
    """The pool stage of each routing partition this worker holds.

    aiokafka runs `on_partitions_revoked` in its group coordinator's task, concurrently
    with `run`, which may be half-way through a batch (awaiting the producer or the
    recovery reader). `lock` makes a batch and a handover exclusive: the handover waits
    for the batch, so it snapshots an engine whose every output is in the publisher, and
    the loop never applies a record to a stage that was released under it.
    """

    def __init__(self, make: Callable[[int], PoolStage], out: Publisher, snapshot_every_s: float):
        self.make = make
        self.out = out
        self.snapshot_every_s = snapshot_every_s
        self.stages: dict[int, PoolStage] = {}
        self.lock = asyncio.Lock()
        self.consumer: AIOKafkaConsumer | None = None
        # Set by the worker when snapshots are kept on Kafka (streams.snapshot_topic):
        self.shipper: Shipper | None = None
        self.log_start: Callable[[int], Awaitable[int]] | None = None
        self.remote: Callable[[int], Remote] | None = None

    def stage(self, partition: int) -> PoolStage:
        stage = self.stages.get(partition)
        if stage is None:
            stage = self.stages[partition] = self.make(partition)
        return stage

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        async with self.lock:
            await self.hand_over(revoked)

    async def hand_over(self, partitions: Iterable[TopicPartition]) -> None:
        """Give `partitions` up: every output acknowledged, the offsets applied committed
        (the next owner goes on from there, publishing nothing twice), then a snapshot
        (this worker recovers from it at once if the partition comes back: with eager
        rebalancing, every change of membership revokes the pool stage, even from the
        worker that gets it again). A publication of a snapshot under way finishes first:
        no trim of the routing log after the next owner started. Call with `lock` held."""
        if self.shipper is not None:
            await self.shipper.close()
        await self.out.settle()
        applied = {}
        for tp in partitions:
            stage = self.stages.pop(tp.partition, None)
            if stage is not None and stage.engine is not None:
                applied[tp] = stage.offset + 1
                if stage.offset > stage.snapshot_offset:
                    stage.snapshot(self.out.wall())
                    self.out.metrics.snapshots.inc()
                stage.release()
        if applied and self.consumer is not None:
            await commit(self.consumer, applied)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """Forget a stage the loop re-created, after the revoke, from records fetched before
        it, when its partition went to another worker (else /health would say "here")."""
        async with self.lock:
            kept = {tp.partition for tp in assigned}
            for partition in [p for p in self.stages if p not in kept]:
                self.stages.pop(partition).release()

    async def run(
        self, consumer: AIOKafkaConsumer, reader: Callable[[int], Any], batch: int, within_ms: int
    ) -> None:
        self.consumer = consumer
        checkpoint = Checkpoint(consumer, self.out, COMMIT_EVERY_S)
        while True:
            got = await consumer.getmany(timeout_ms=within_ms, max_records=batch)
            # Shielded: a stopping worker lets the batch finish, then hands over (`leave`).
            await asyncio.shield(self._locked_batch(got, reader, checkpoint))

    async def _locked_batch(
        self, got: dict[TopicPartition, list[Any]], reader: Callable[[int], Any],
        checkpoint: Checkpoint,
    ) -> None:  # fmt: skip
        async with self.lock:
            await self._batch(got, reader, checkpoint)

    async def leave(self) -> None:
        """The worker stops (aiokafka calls no revoke on `stop()`): once the batch under
        way is done, hand every partition over, so the next owner goes on from here."""
        if self.consumer is not None:
            async with self.lock:
                await self.hand_over(self.consumer.assignment())

    async def _batch(
        self, got: dict[TopicPartition, list[Any]], reader: Callable[[int], Any],
        checkpoint: Checkpoint,
    ) -> None:  # fmt: skip
        out = self.out
        now = out.wall()
        assigned = self.consumer.assignment() if self.consumer is not None else set()
        for tp, records in got.items():
            if tp not in assigned:  # revoked while this batch was on its way
                continue
            out.metrics.events_in.labels("pool").inc(len(records))
            stage = self.stage(tp.partition)
            if stage.engine is None:
                # The records before the first one delivered are below the group's
                # committed offset, which is only committed once every output of the
                # records before it is acknowledged: their decisions are out already.
                p = tp.partition
                start = await self.log_start(p) if self.log_start is not None else 0
                remote = self.remote(p) if self.remote is not None else None
                await stage.recover(records[0].offset, reader(p), start, remote)
                out.metrics.recovered.inc(stage.recovered)
            for msg in records:
                outputs = stage.apply(msg.offset, msg.value or b"")
                if outputs:
                    await out.decisions(outputs, msg.value, msg.timestamp)
            stage.last_applied_at = now
        committed = await checkpoint.after(bool(got))
        if committed or not checkpoint.dirty:  # every output so far is acknowledged
            # Also on idle polls: the last state before input pauses is snapshotted (and
            # shipped) once due, not only when more input arrives.
            for partition, stage in self.stages.items():
                if stage.due_snapshot(now, self.snapshot_every_s):
                    stage.snapshot(now)
                    out.metrics.snapshots.inc()
                ship = self.shipper
                path = stage.writer.path
                if ship and ship.due(now) and not stage.writer.busy() and path.exists():
                    ship.ship(partition, path, now)

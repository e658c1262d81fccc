"""What both stages share: the publisher of decisions, routing records and dead letters,
and the checkpoint that commits a consumer's offsets once everything produced before is
acknowledged. The consume loops are in streams.partitions.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import CommitFailedError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import TopicPartition

from routing.outputs import Output
from streams.desk_records import source_position
from streams.metrics import WorkerMetrics
from streams.records import (
    ASSIGNMENT_TYPES,
    EVENT,
    REJECTED,
    decision_key,
    split_event,
)

_PARTITIONER = DefaultPartitioner()
log = logging.getLogger(__name__)
COMMIT_EVERY_S = 0.2
POOL_KEY = b"pools"  # the routing domain's key (one domain: see docs/worker.md)
POOL_PARTITION = 0
# The largest request the worker's producer sends (aiokafka's and Kafka's default; the
# broker's own default `message.max.bytes` is 12 bytes more). A dead letter that would
# not fit is stored truncated (`fit_dead_letter`).
MAX_REQUEST_BYTES = 1024 * 1024
DEADLETTER_KEEP_BYTES = 64 * 1024  # of a truncated dead letter's value (events are smaller)
DEADLETTER_KEEP_KEY_BYTES = 1024
RECORD_OVERHEAD_BYTES = 512  # batch and record framing, with room to spare


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


def fit_dead_letter(
    value: bytes, key: bytes | None, headers: list[tuple[str, bytes]]
) -> tuple[bytes, bytes | None, list[tuple[str, bytes]]]:
    """A dead letter as stored: as received when it fits in a request, else its value cut
    to its first 64 KiB (and its key to 1 KiB), with headers saying so: `leadflow.truncated`
    (`true`), `leadflow.original_size` (bytes of the value as received), `leadflow.sha256`
    (of the value as received), `leadflow.original_key_size` when the key was cut."""
    size = len(value) + len(key or b"") + RECORD_OVERHEAD_BYTES
    size += sum(len(name) + len(text) for name, text in headers)
    if size <= MAX_REQUEST_BYTES:
        return value, key, headers
    extra = [
        ("leadflow.truncated", b"true"),
        ("leadflow.original_size", str(len(value)).encode()),
        ("leadflow.sha256", hashlib.sha256(value).hexdigest().encode()),
    ]
    if key is not None and len(key) > DEADLETTER_KEEP_KEY_BYTES:
        extra.append(("leadflow.original_key_size", str(len(key)).encode()))
        key = key[:DEADLETTER_KEEP_KEY_BYTES]
    headers = [(name, text[:DEADLETTER_KEEP_KEY_BYTES]) for name, text in headers]
    return value[:DEADLETTER_KEEP_BYTES], key, headers + extra


def _source_parts(source: str) -> tuple[str, int, int]:
    """(topic, partition, offset) of a source, or (source, -1, -1) if it names none."""
    log, offset = source_position(source)
    topic, _, part = log.rpartition(":")
    return (topic, int(part), offset) if topic and part.isdigit() else (source, -1, -1)


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
        self.failed: BaseException | None = None  # a publication failed: commit nothing
        self._open: dict[tuple[str, int], Any] = {}
        self._counts: dict[str, list[int]] = {}  # topic -> sorted partitions
        self._partitions: dict[tuple[str, bytes], int] = {}
        self._out = {t: metrics.decisions_out.labels(t) for t in (names.assignments, names.alerts)}

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
        """Wait until everything handed over so far is acknowledged; raise if a delivery
        failed (and remember it: `failed`), so that nothing is committed past it."""
        try:
            await self.submit()
            if self.pending:
                pending, self.pending = self.pending, []
                await asyncio.gather(*pending)
        except Exception as exc:  # (a cancelled wait at a stop is not a failed delivery)
            self.failed = exc
            raise

    def discard(self) -> None:
        """Forget what is not acknowledged (a stage reads its input again after a failed
        publication: what it sends again carries the same ids). `failed` stays set until
        the stage has gone back to its last commit."""
        self._open.clear()
        self.pending = []

    async def dead_letter(
        self, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        value, key, headers = fit_dead_letter(value, key, headers)
        await self.send(self.names.deadletter, value, key, headers=headers)

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
        await self.dead_letter(raw, decision_key(decision), headers)


class Checkpoint:
    """Commit a consumer's offsets at most every `every_s` (and when input pauses), each
    time once every message produced so far is acknowledged: at-least-once without a
    round trip to the broker per batch."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        out: Publisher,
        every_s: float,
        offsets: Callable[[], dict[TopicPartition, int]] | None = None,
    ) -> None:
        self.consumer = consumer
        self.out = out
        self.every_s = every_s
        self.offsets = offsets  # what to commit (None: the consumed positions)
        self.dirty = False
        self.last = 0.0
        self.commits = 0

    async def after(self, worked: bool) -> bool:
        """Call after each poll; True when it committed (everything is acknowledged)."""
        if worked:
            self.dirty = True
            await self.out.submit()
        now = self.out.wall()
        if self.dirty and (not worked or now - self.last >= self.every_s):
            await self.out.settle()
            offsets = self.offsets() if self.offsets is not None else None
            if offsets is None or offsets:
                await commit(self.consumer, offsets)
            self.dirty, self.last = False, now
            self.commits += 1
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

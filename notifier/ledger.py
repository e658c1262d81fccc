"""Reusable plumbing for a consumer of decisions that must deliver exactly once as people
see it (the notifier; meant for the CRM sink too).

`Ledger`: what was delivered, keyed by a delivery key, on a compacted Kafka topic (one
JSON value per key, the last one wins). `catch_up()` reads the topic to its end offsets
(at start and after each rebalance, so a partition taken over from another instance
sees that instance's records); `get(key)`; `write(key, value)` sends without waiting;
`flush()` waits until every write is acknowledged (acks=all). A consumer writes its
records, flushes, and only then commits its offsets (`run_batches`).

Retention (`retention_s`; None keeps every key forever). A key must be remembered as long
as the decision that planned it can be read again: (a) by this consumer group, from its
last committed offset (a crash or a rebalance re-reads what was not committed), and (b)
as a new copy the worker publishes after its own restart (it publishes again what it
decided since its last commit: minutes of event time). So a key whose delivery is over
(`sent`, `deadlettered`; never one `held`) is forgotten once both hold: the batch that
wrote it was committed (`committed()`, called by `run_batches` after each successful
commit; a key read from the topic counts from the first commit after it was read), and
its decision's time `at` is more than `retention_s` older than the newest decision
time the ledger has recorded. Forgetting writes a tombstone (the key with no value), so
a restarted instance does not read it back either, and compaction removes it. Memory
is then bounded by the deliveries of `retention_s` of event time.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError

from streams.admin import ensure_topics

COMPACTED = {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}
FINISHED = ("sent", "deadlettered")  # a delivery's last states (retention may forget them)


class Ledger:
    def __init__(
        self, kafka: dict[str, Any], topic: str, producer: AIOKafkaProducer,
        retention_s: float | None = None,
    ) -> None:  # fmt: skip
        self.kafka = kafka
        self.topic = topic
        self.producer = producer
        self.retention_s = retention_s
        self.records: dict[str, dict[str, Any]] = {}
        # Retention: (decision time, generation, key) of each finished delivery, oldest
        # first; the generation is the number of commits before it was recorded.
        self._aging: list[tuple[float, int, str]] = []
        self._generation = 0
        self.high_water = -math.inf  # the newest decision time recorded
        self.forgotten = 0
        self._pending: list[asyncio.Future[Any]] = []
        self._reader: AIOKafkaConsumer | None = None

    async def start(self, partitions: int = 1) -> None:
        await ensure_topics(self.kafka, {self.topic: partitions}, config=COMPACTED)
        self._reader = AIOKafkaConsumer(
            **self.kafka, enable_auto_commit=False, isolation_level="read_committed"
        )
        await self._reader.start()
        parts = self._reader.partitions_for_topic(self.topic)
        while not parts:
            await asyncio.sleep(0.1)  # metadata of a topic just created
            await self._reader._client.force_metadata_update()
            parts = self._reader.partitions_for_topic(self.topic)
        tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
        self._reader.assign(tps)
        await self._reader.seek_to_beginning(*tps)
        await self.catch_up()

    async def stop(self) -> None:
        if self._reader is not None:
            await self._reader.stop()

    async def catch_up(self) -> int:
        """Read every record written so far; return how many were read."""
        reader = self._reader
        assert reader is not None
        ends = await reader.end_offsets(list(reader.assignment()))
        read = 0
        idle = 0
        # A transaction's commit marker takes an offset that read_committed never returns,
        # so a partition may stay "behind" its end by markers alone: two empty polls in a
        # row end the catch-up.
        while idle < 2:
            behind = [tp for tp, end in ends.items() if await reader.position(tp) < end]
            if not behind:
                break
            batch = await reader.getmany(*behind, timeout_ms=300)
            idle = 0 if batch else idle + 1
            for records in batch.values():
                for rec in records:
                    read += 1
                    key = (rec.key or b"").decode()
                    if rec.value is None:
                        self.records.pop(key, None)
                    else:
                        self._keep(key, orjson.loads(rec.value))
        return read

    def _keep(self, key: str, value: dict[str, Any]) -> None:
        self.records[key] = value
        at = value.get("at")
        if self.retention_s is not None and isinstance(at, (int, float)) and (
            value.get("state") in FINISHED
        ):
            heapq.heappush(self._aging, (float(at), self._generation, key))
            self.high_water = max(self.high_water, float(at))

    async def committed(self) -> int:
        """The consumer committed every batch handled so far: forget what retention lets
        go (see the module docstring); return how many keys were forgotten."""
        self._generation += 1
        if self.retention_s is None:
            return 0
        horizon = self.high_water - self.retention_s
        aging, gone = self._aging, 0
        while aging and aging[0][0] < horizon and aging[0][1] < self._generation:
            at, _, key = heapq.heappop(aging)
            value = self.records.get(key)
            if value is None or value.get("at") != at or value.get("state") not in FINISHED:
                continue  # rewritten since (its newer entry is in the heap), or gone
            del self.records[key]
            self._pending.append(await self.producer.send(self.topic, None, key=key.encode()))
            gone += 1
        self.forgotten += gone
        return gone

    def get(self, key: str) -> dict[str, Any] | None:
        return self.records.get(key)

    async def write(self, key: str, value: dict[str, Any]) -> None:
        """Record `value` for `key`; a finished delivery (`state` sent or deadlettered)
        with its decision's time `at` (epoch seconds) ages out under retention."""
        self._keep(key, value)
        self._pending.append(
            await self.producer.send(self.topic, orjson.dumps(value), key=key.encode())
        )

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.gather(*pending)


class _CatchUp(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self.ledger.flush()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self.ledger.catch_up()


async def run_batches(
    kafka: dict[str, Any],
    topics: Sequence[str],
    group: str,
    ledger: Ledger,
    handle: Callable[[list[ConsumerRecord[bytes, bytes]]], Awaitable[None]],
    stop: asyncio.Event,
    idle: Callable[[], Awaitable[None]] | None = None,
    max_records: int = 500,
    session_timeout_s: float = 10.0,
) -> None:
    """Consume `topics` as `group` until `stop` is set: for each batch, `await handle(records)`
    (in offset order per partition, partitions one after another), `ledger.flush()`, then
    commit. A crash before the commit re-delivers the batch; `handle` skips what the ledger
    holds. `idle()` runs after each poll (e.g. to release held messages)."""
    consumer = AIOKafkaConsumer(
        **kafka, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest",
        isolation_level="read_committed", session_timeout_ms=int(session_timeout_s * 1000),
        heartbeat_interval_ms=int(session_timeout_s * 1000 / 3),
    )
    consumer.subscribe(list(topics), listener=_CatchUp(ledger))
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=max_records)
            records = [r for tp in sorted(batch) for r in batch[tp]]
            if records:
                await handle(records)
            if idle is not None:
                await idle()
            await ledger.flush()
            if records:
                try:
                    await consumer.commit()
                except CommitFailedError:
                    continue  # a rebalance took the partitions: their new owner re-reads them
                await ledger.committed()
    finally:
        await consumer.stop()

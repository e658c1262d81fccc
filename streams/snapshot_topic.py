"""Snapshots kept on Kafka, so that recovery does not depend on a worker's local disk.

A worker that takes the pool stage over without a usable snapshot file (another machine,
an empty state directory, or a file older than the start of a trimmed routing log) loads
the newest snapshot published here, then re-applies the routing log after it. Once a
snapshot is safely here, the routing log below it may be deleted (`trim`).

Topic `<app>-snapshots`: one partition, `cleanup.policy=compact`. A snapshot (the bytes
of a snapshot file: streams.snapshots) is published as chunks of at most `CHUNK` bytes
(below the broker's default `message.max.bytes` of 1 MiB), keyed
`<routing partition>/<routing offset>/<i>`, then a *manifest* keyed `<routing partition>`
(JSON: the routing offset covered, chunk count, size, sha256, topic offset of chunk 0).
Compaction keeps the newest manifest per key; once it is acknowledged the previous
snapshot's chunks get tombstones, so the topic holds about one snapshot per partition.
A reader takes the newest manifest, reads its chunks, and checks size and sha256.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete

from streams.admin import records_between
from streams.snapshots import SnapshotError, offset_of, offset_of_file

CHUNK = 512 * 1024
log = logging.getLogger(__name__)
# Compaction never touches the active segment: roll it every 10 minutes or 64 MiB, so the
# chunks of replaced snapshots are deleted within about that long, not after the default
# week (a 100,000-lead engine is ~45 MB a snapshot).
TOPIC_CONFIG = {
    "cleanup.policy": "compact",
    "min.compaction.lag.ms": "0",
    "segment.ms": str(10 * 60 * 1000),
    "segment.bytes": str(64 * 1024 * 1024),
}


@dataclass(frozen=True)
class Manifest:
    partition: int  # the routing partition whose pool stage this is
    offset: int  # the last routing offset the snapshot contains
    chunks: int
    size: int
    sha256: str
    first: int  # offset of chunk 0 on the snapshot topic

    def chunk_key(self, i: int) -> bytes:
        return chunk_key(self.partition, self.offset, i)

    def chunk_keys(self) -> set[bytes]:
        return {self.chunk_key(i) for i in range(self.chunks)}


def chunk_key(partition: int, offset: int, i: int) -> bytes:
    return f"{partition}/{offset}/{i}".encode()


async def publish(
    producer: AIOKafkaProducer,
    topic: str,
    partition: int,
    data: bytes,
    previous: Manifest | None,
) -> Manifest:
    """Publish one encoded snapshot; return its manifest once the broker has it all."""
    offset = offset_of(data, "snapshot to publish")
    sent = []
    for i, at in enumerate(range(0, len(data), CHUNK)):
        key = chunk_key(partition, offset, i)
        sent.append(await producer.send(topic, data[at : at + CHUNK], key=key, partition=0))
    first = (await sent[0]).offset
    for fut in sent[1:]:
        await fut
    manifest = Manifest(
        partition, offset, len(sent), len(data), hashlib.sha256(data).hexdigest(), first
    )
    value = json.dumps(asdict(manifest)).encode()
    await (await producer.send(topic, value, key=str(partition).encode(), partition=0))
    if previous is not None and previous.offset != offset:
        await tombstone(producer, topic, previous.chunk_keys())
    return manifest


async def latest(client: dict[str, Any], topic: str, partition: int) -> bytes | None:
    """The newest snapshot published for routing `partition`, or None when there is none.

    Read again when its chunks are missing: a newer snapshot may have replaced it (its
    chunks deleted) between reading the manifest and the chunks."""
    for attempt in range(3):
        try:
            return await _latest(client, topic, partition)
        except SnapshotError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _latest(client: dict[str, Any], topic: str, partition: int) -> bytes | None:
    async with _reading(client, topic) as (consumer, tp, start, end):
        manifest, _ = await _scan(consumer, tp, partition, start, end)
        if manifest is None:
            return None
        chunks: dict[bytes, bytes] = {}
        wanted = manifest.chunk_keys()
        async for record in records_between(consumer, tp, manifest.first, end):
            if record.key in wanted and record.value is not None:
                chunks[record.key] = record.value
                if len(chunks) == manifest.chunks:
                    break
        data = b"".join(chunks.get(manifest.chunk_key(i), b"") for i in range(manifest.chunks))
        if len(data) != manifest.size or hashlib.sha256(data).hexdigest() != manifest.sha256:
            raise SnapshotError(
                f"{topic}: the snapshot at routing offset {manifest.offset} is incomplete "
                f"({len(chunks)} of {manifest.chunks} chunks, {len(data)} of {manifest.size} bytes)"
            )
        return data


async def latest_manifest(client: dict[str, Any], topic: str, partition: int) -> Manifest | None:
    return (await holdings(client, topic, partition))[0]


async def holdings(
    client: dict[str, Any], topic: str, partition: int
) -> tuple[Manifest | None, set[bytes]]:
    """The newest manifest of routing `partition`, and every chunk key of that partition
    the topic still holds (no tombstone after it): the manifest's own, and any a crashed
    publisher left (chunks sent before their manifest, or a replaced snapshot's chunks
    before their tombstones)."""
    async with _reading(client, topic) as (consumer, tp, start, end):
        return await _scan(consumer, tp, partition, start, end)


async def _scan(
    consumer: AIOKafkaConsumer, tp: TopicPartition, partition: int, start: int, end: int
) -> tuple[Manifest | None, set[bytes]]:
    manifest: Manifest | None = None
    live: set[bytes] = set()
    key, prefix = str(partition).encode(), f"{partition}/".encode()
    async for record in records_between(consumer, tp, start, end):
        if record.key == key and record.value:
            manifest = Manifest(**json.loads(record.value))
        elif record.key is not None and record.key.startswith(prefix):
            (live.add if record.value is not None else live.discard)(record.key)
    return manifest, live


async def tombstone(producer: AIOKafkaProducer, topic: str, keys: Iterable[bytes]) -> None:
    """Mark `keys` deleted (compaction removes them and their values)."""
    gone = [await producer.send(topic, None, key=key, partition=0) for key in sorted(keys)]
    for fut in gone:
        await fut


@contextlib.asynccontextmanager
async def _reading(
    client: dict[str, Any], topic: str
) -> AsyncIterator[tuple[AIOKafkaConsumer, TopicPartition, int, int]]:
    consumer = AIOKafkaConsumer(
        **client, enable_auto_commit=False, group_id=None, fetch_max_wait_ms=20,
        max_partition_fetch_bytes=8 * CHUNK,
    )  # fmt: skip
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        start = (await consumer.beginning_offsets([tp]))[tp]
        yield consumer, tp, start, end
    finally:
        await consumer.stop()


async def trim(client: dict[str, Any], topic: str, partition: int, before: int) -> None:
    """Delete the records of `topic`'s `partition` before offset `before`."""
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        await admin.delete_records({TopicPartition(topic, partition): RecordsToDelete(before)})
    finally:
        await admin.close()


class Shipper:
    """Publishes the pool stage's newest snapshot file at most every `every_s` seconds, in
    a task of its own (the stage goes on meanwhile); then, with `trim_log`, deletes the
    routing log before the first record the published snapshot does not contain."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        client: dict[str, Any],
        topic: str,
        routing: str,
        every_s: float,
        trim_log: bool,
    ) -> None:
        self.producer = producer
        self.client = client
        self.topic = topic
        self.routing = routing
        self.every_s = every_s
        self.trim_log = trim_log
        self.last: dict[int, Manifest] = {}  # newest manifest known, per routing partition
        self.task: asyncio.Task[None] | None = None
        self.at = float("-inf")
        self.seconds = 0.0  # how long the last publication took (read, send, acknowledged)

    def due(self, now: float) -> bool:
        return (self.task is None or self.task.done()) and now - self.at >= self.every_s

    def ship(self, partition: int, path: Path, now: float) -> None:
        """Publish the snapshot file at `path` (a whole one: written by rename)."""
        self.at = now
        self.task = asyncio.create_task(self._ship(partition, path))

    async def _ship(self, partition: int, path: Path) -> None:
        started = time.perf_counter()
        try:
            previous = self.last.get(partition)
            stray: set[bytes] = set()
            if previous is None:  # the first publication here: what does the topic hold?
                previous, stray = await holdings(self.client, self.topic, partition)
                if previous is not None:
                    stray -= previous.chunk_keys()
            if previous is not None and previous.offset >= offset_of_file(path):
                self.last[partition] = previous
                await tombstone(self.producer, self.topic, stray)
                return  # nothing newer (an idle worker): the file is not read at all
            data = path.read_bytes()
            manifest = await publish(self.producer, self.topic, partition, data, previous)
            self.last[partition] = manifest
            await tombstone(self.producer, self.topic, stray - manifest.chunk_keys())
            if self.trim_log:
                await trim(self.client, self.routing, partition, manifest.offset + 1)
            self.seconds = time.perf_counter() - started
        except Exception:  # the next one is tried `every_s` later; recovery stays possible
            log.exception("publishing the snapshot %s failed", path)

    async def close(self) -> None:
        if self.task is not None:
            await self.task

"""Snapshots on Kafka (streams.snapshot_topic): chunked, read back whole, the previous one
replaced; and recovery from Kafka alone: snapshots published to the `<app>-snapshots`
topic, the routing log trimmed below them, and a worker with an empty state directory
(another machine) that takes the pool stage over from them.

A reader started before the first worker copies the routing log as it is written (the
trimmed records are gone from the topic afterwards); the checks of tests/worker_outcome.py
then compare the workers' decisions with an oracle applying that whole log.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from benchmarks.generate import generate
from routing.engine import Engine
from routing.events import parse_event
from routing.policy.loader import load_policy
from streams.records import apply_record, event_record
from streams.snapshot_topic import CHUNK, TOPIC_CONFIG, Shipper, holdings, latest, publish
from streams.snapshots import SnapshotError, decode, encode, fingerprint, write_file
from tests.kafka_harness import create_topic, poll_until, unique_name
from tests.worker_outcome import check_run, event_key
from tests.worker_process import POLICY, WorkerRig, sample_lines, worker_rig_fixture  # noqa: F401

LOADED = load_policy(POLICY)

ARGS = (
    "--clock", "event", "--snapshot-every", "0.5", "--session-timeout", "6",
    "--publish-snapshots", "1", "--trim-routing-log",
)  # fmt: skip


class LogCopy:
    """Copies the routing log from offset 0 while the workers run."""

    def __init__(self, rig: WorkerRig) -> None:
        self.rig = rig
        self.records: list[tuple[int, bytes]] = []
        self.task: asyncio.Task[None] | None = None
        self.reading = asyncio.Event()  # positioned at offset 0 and fetching

    async def start(self) -> None:
        """Start copying; return once the copy reads, before anything can be trimmed."""
        self.task = asyncio.create_task(self.run())
        reading = asyncio.create_task(self.reading.wait())
        await asyncio.wait({self.task, reading}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        reading.cancel()
        assert self.reading.is_set(), f"the log copy did not start: {self.task}"

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.rig.bootstrap, enable_auto_commit=False, group_id=None,
            auto_offset_reset="none",  # a record deleted before it was copied is an error
        )  # fmt: skip
        await consumer.start()
        try:
            tp = TopicPartition(self.rig.routing, 0)
            consumer.assign([tp])
            consumer.seek(tp, 0)
            while True:
                got = await consumer.getmany(tp, timeout_ms=200)
                self.reading.set()
                self.records.extend((r.offset, r.value or b"") for r in got.get(tp, []))
        finally:
            await consumer.stop()

    async def log(self, rig: WorkerRig) -> list[tuple[int, bytes]]:
        assert self.task is not None and not self.task.done(), "the log copy stopped"
        return list(self.records)


async def _log_start(rig: WorkerRig) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=rig.bootstrap, group_id=None)
    await consumer.start()
    try:
        tp = TopicPartition(rig.routing, 0)
        return int((await consumer.beginning_offsets([tp]))[tp])
    finally:
        await consumer.stop()


async def test_a_worker_with_an_empty_state_dir_recovers_from_kafka(
    worker_rig: WorkerRig, tmp_path: Path
) -> None:
    rig = worker_rig
    rig.partitions = 2
    stream = tmp_path / "data" / "stream.jsonl"
    generate(800, 40, stream, seed=31, weeks=3)
    policy = stream.parent / "policy.yaml"
    lines = [line for line in stream.read_bytes().splitlines() if line.strip()]
    half = len(lines) // 2
    await rig.create_input()
    # The routing log exists, and is being copied, before the worker can write (and trim)
    # anything: the worker finds the topic as it would have declared it.
    await create_topic(rig.bootstrap, rig.routing, rig.partitions, **{"retention.ms": "-1"})
    copy = LogCopy(rig)
    await copy.start()

    first = rig.start(*ARGS, policy=policy, slot=1)
    await rig.ready(deadline_s=120, slot=1)
    try:
        await rig.produce_keyed(lines[:half], event_key, rate=4000)
        ids = {parse_event(x).event_id for x in lines[:half] if event_key(x) != b"malformed"}

        async def routed_and_trimmed() -> bool:
            health = rig.health(1)
            stats = health.get("engine", {})
            taken = stats.get("applied", 0) + stats.get("refused", 0)
            return taken >= len(ids) and await _log_start(rig) > len(ids) // 2

        await poll_until(routed_and_trimmed, 120, interval_s=0.5, what="a trimmed log")
        trimmed_at = await _log_start(rig)
        rig.kill(first)

        # Another machine: nothing in its state directory; the log before `trimmed_at` is gone.
        second_dir = rig.slot(2)[1]
        assert not second_dir.exists() or not any(second_dir.rglob("*.snapshot"))
        rig.start(*ARGS, policy=policy, slot=2)
        health = await rig.ready(deadline_s=120, slot=2)
        assert health["recovered_from"] == "kafka"
        assert health["routing_offset"] >= trimmed_at - 1
        await rig.produce_keyed(lines[half:], event_key, rate=4000)

        outcome = await check_run(rig, policy, lines, lambda: rig.health(2), copy.log)
        config = await _topic_config(rig.bootstrap, f"{rig.app_id}-snapshots")
        assert {k: config[k] for k in TOPIC_CONFIG} == TOPIC_CONFIG  # as the worker created it
    finally:
        copy.task.cancel()
    print(outcome.line(len(lines), f"log trimmed below {trimmed_at}, fresh worker from Kafka"))


async def test_a_large_snapshot_travels_in_chunks_and_replaces_the_previous(
    kafka_bootstrap: str,
) -> None:
    client = {"bootstrap_servers": kafka_bootstrap}
    topic = unique_name("snapshots")
    await create_topic(kafka_bootstrap, topic, 1, **TOPIC_CONFIG)
    fp = fingerprint(LOADED)
    engine = Engine(LOADED)
    for i, line in enumerate(sample_lines()):
        apply_record(engine, event_record(f"in:0:{i}", line))
    big = encode(engine, 41, fp, LOADED) + b"\0" * (2 * CHUNK)  # pickle ignores what follows
    small = encode(engine, 42, fp, LOADED)
    assert await latest(client, topic, 0) is None
    producer = AIOKafkaProducer(**client, acks="all", max_request_size=2 * CHUNK)
    await producer.start()
    try:
        first = await publish(producer, topic, 0, big, None)
        assert first.chunks == 3 and await latest(client, topic, 0) == big
        second = await publish(producer, topic, 0, small, first)
        assert await latest(client, topic, 0) == small
        assert await latest(client, topic, 1) is None  # another routing partition: none
        back = decode(small, fp, topic, LOADED, Engine)
        assert back is not None and back.offset == 42
        assert back.state.leads.keys() == engine.leads.keys()
        # The previous snapshot's chunks got tombstones (compaction deletes them).
        records = await _all_records(kafka_bootstrap, topic)
        gone = {key for key, value in records if value is None}
        assert gone == {first.chunk_key(i) for i in range(3)}
        # A manifest whose chunks are missing is an error, not a silent loss.
        lost = {**asdict(second), "offset": 99, "chunks": 2, "first": len(records)}
        await (await producer.send(topic, json.dumps(lost).encode(), key=b"0", partition=0))
        with pytest.raises(SnapshotError, match="incomplete"):
            await latest(client, topic, 0)
    finally:
        await producer.stop()


async def test_a_crashed_publishers_leftover_chunks_are_deleted_by_the_next_publication(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A publisher killed between its chunks and its manifest, or between the manifest and
    the previous snapshot's tombstones, leaves chunks nobody reads. The next worker's first
    publication for that routing partition tombstones them (another partition's stay)."""
    client = {"bootstrap_servers": kafka_bootstrap}
    topic = unique_name("snapshots")
    await create_topic(kafka_bootstrap, topic, 1, **TOPIC_CONFIG)
    fp = fingerprint(LOADED)
    engine = Engine(LOADED)
    producer = AIOKafkaProducer(**client, acks="all")
    await producer.start()
    try:
        older = await publish(producer, topic, 0, encode(engine, 41, fp, LOADED), None)
        # no tombstones:
        newest = await publish(producer, topic, 0, encode(engine, 45, fp, LOADED), None)
        orphans = {b"0/50/0", b"0/50/1"}  # chunks sent, then killed before the manifest
        others = {b"1/7/0"}  # routing partition 1's, not ours to delete
        for key in sorted(orphans | others):
            await (await producer.send(topic, b"chunk", key=key, partition=0))
        left = older.chunk_keys() | newest.chunk_keys() | orphans
        assert (await holdings(client, topic, 0)) == (newest, left)
        path = tmp_path / "pool-0.snapshot"
        write_file(path, encode(engine, 60, fp, LOADED))
        shipper = Shipper(producer, client, topic, "unused", every_s=0, trim_log=False)
        shipper.ship(0, path, 0.0)
        await shipper.close()
        manifest, live = await holdings(client, topic, 0)
        assert manifest is not None and manifest.offset == 60
        assert live == manifest.chunk_keys()
        assert (await holdings(client, topic, 1))[1] == others
        assert await latest(client, topic, 0) == path.read_bytes()
    finally:
        await producer.stop()


async def _all_records(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        consumer.seek(tp, 0)
        got: list[tuple[bytes | None, bytes | None]] = []
        while len(got) < end:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            got.extend((r.key, r.value) for r in batch.get(tp, []))
        return got
    finally:
        await consumer.stop()


async def _topic_config(bootstrap: str, topic: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic)]
        )
        # resources: (error code, message, type, name, [(key, value, ...), ...])
        entries = response.resources[0][4]
        return {entry[0]: entry[1] for entry in entries}
    finally:
        await admin.close()

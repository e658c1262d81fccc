"""Must-show 4: no input crashes the worker, and nothing is committed before it is safe.

- A message of exactly the broker's maximum size (the largest record batch it accepts:
  one byte more is refused) is dead-lettered truncated, with its original size, a sha256
  of it and where it was read in headers; the worker stays up and routes the next input;
  the lead stage's committed offset passes both only once their outputs are acknowledged.
- A dead letter the broker refuses (the dead-letter topic's own limit is smaller) is
  retried, then the stage stops without committing past it; once the topic accepts it,
  the next start dead-letters it: nothing was skipped.
"""

from __future__ import annotations

import hashlib
import json

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.structs import ConsumerRecord

from routing.events import MAX_EVENT_BYTES
from streams.stages import DEADLETTER_KEEP_BYTES
from tests.kafka_harness import create_topic, poll_until
from tests.test_worker_deadletter import VALID
from tests.worker_process import WorkerRig, worker_rig_fixture  # noqa: F401

BROKER_MAX_BYTES = 1_048_588  # Kafka's default message.max.bytes (the test broker's)
KEY = b"k"
# A record batch of one record: 61 bytes of batch header, then the record: its length
# (3-byte varint), attributes, timestamp and offset deltas (1 byte each), key length and
# key (1 + 1), value length (3-byte varint), the value, header count (1).
BATCH_OVERHEAD = 61 + 3 + 1 + 1 + 1 + 1 + len(KEY) + 3 + 1
LARGEST = BROKER_MAX_BYTES - BATCH_OVERHEAD


def _big_message(size: int) -> bytes:
    head = b'{"event_id":"huge","type":"lead.upserted","note":"'
    return head + b"x" * (size - len(head) - 2) + b'"}'


async def _send_alone(bootstrap: str, topic: str, value: bytes) -> tuple[int, int]:
    """Send one record in a batch of its own, uncompressed; (partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=4 * 1024 * 1024)
    await producer.start()
    try:
        meta = await (await producer.send(topic, value, key=KEY))
        return meta.partition, meta.offset
    finally:
        await producer.stop()


def _headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def _committed(rig: WorkerRig, group: str) -> int | None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=rig.bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        return await consumer.committed(TopicPartition(rig.events, 0))
    finally:
        await consumer.stop()


async def test_a_message_of_the_brokers_maximum_size(worker_rig: WorkerRig) -> None:
    rig = worker_rig
    await rig.create_input()
    # The broker's maximum, exactly: one byte more is refused.
    with pytest.raises(MessageSizeTooLargeError):
        await _send_alone(rig.bootstrap, rig.events, _big_message(LARGEST + 1))
    rig.start("--clock", "event")
    await rig.ready()
    raw = _big_message(LARGEST)
    assert len(raw) > MAX_EVENT_BYTES
    partition, offset = await _send_alone(rig.bootstrap, rig.events, raw)
    await rig.produce([orjson.dumps(VALID)], key=KEY)

    def done(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        return any(r.topic == rig.deadletter for r in records) and any(
            r.topic == rig.assignments for r in records
        )

    records = await rig.read([rig.deadletter, rig.assignments], done)
    rig.check_alive()
    (dead,) = [r for r in records if r.topic == rig.deadletter]
    h = _headers(dead)
    assert dead.value == raw[:DEADLETTER_KEEP_BYTES]
    assert h["leadflow.truncated"] == "true"
    assert int(h["leadflow.original_size"]) == len(raw) == LARGEST
    assert h["leadflow.sha256"] == hashlib.sha256(raw).hexdigest()
    assert (h["leadflow.topic"], int(h["leadflow.partition"]), int(h["leadflow.offset"])) == (
        rig.events, partition, offset,
    )  # fmt: skip
    assert "limit is 65536" in h["leadflow.reason"]
    routed = [json.loads(r.value or b"") for r in records if r.topic == rig.assignments]
    assert [d["event_id"] for d in routed] == ["ok-1:lead.disqualified:L-ok"]
    # Both inputs are out, so the lead stage commits past them (and only then).
    group = f"{rig.app_id}-lead"
    await poll_until(lambda: _committed(rig, group), 30, what="a commit")
    assert await _committed(rig, group) == offset + 2
    assert rig.health()["status"] == "ok"


async def test_a_refused_dead_letter_stops_the_stage_without_committing(
    worker_rig: WorkerRig,
) -> None:
    rig = worker_rig
    await rig.create_input()
    await create_topic(rig.bootstrap, rig.deadletter, 1, **{"max.message.bytes": "2048"})
    bad = b"not json " + b"y" * 8000  # a 8 kB dead letter: over the topic's 2,048 bytes
    await rig.produce([orjson.dumps({**VALID, "event_id": "first"}), bad], key=KEY)
    proc = rig.start("--clock", "event", LEADFLOW_STALL_AFTER_S="1")
    # Between retries nothing is applied while input waits: /health says so.
    await poll_until(lambda: rig.get("/health")[0] == 503, 60, interval_s=0.1, what="a 503")
    returncode = await poll_until(lambda: proc.poll() is not None, 90, what="the worker stops")
    assert returncode and proc.returncode != 0
    log = rig.logs[-1].read_text(errors="replace")
    assert log.count("reading again from the last commit") == 3
    assert "stopping without committing" in log
    committed = await _committed(rig, f"{rig.app_id}-lead")
    assert committed is None or committed <= 1  # never past the bad message (offset 1)

    admin = AIOKafkaAdminClient(bootstrap_servers=rig.bootstrap)
    await admin.start()
    try:
        resource = ConfigResource(
            ConfigResourceType.TOPIC, rig.deadletter, configs={"max.message.bytes": "1048588"}
        )
        await admin.alter_configs([resource])
    finally:
        await admin.close()
    rig.start("--clock", "event")

    def out(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        return any(r.topic == rig.deadletter for r in records)

    records = await rig.read([rig.deadletter], out)
    (dead,) = records
    assert dead.value == bad and _headers(dead)["leadflow.offset"] == "1"
    await poll_until(lambda: _committed(rig, f"{rig.app_id}-lead"), 60, what="a commit")
    await poll_until(
        lambda: _committed_is(rig, 2), 60, what="the lead stage commits past the bad message"
    )


async def _committed_is(rig: WorkerRig, offset: int) -> bool:
    return await _committed(rig, f"{rig.app_id}-lead") == offset

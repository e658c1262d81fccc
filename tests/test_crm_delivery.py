"""The delivery plumbing (crm.delivery) on the real broker: what cannot be delivered is
dead-lettered with the reason and where it was read; a decision delivered once is never
delivered again, even read again from the start by another consumer group, because the
delivery records say so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer

from crm.delivery import DecisionConsumer, DeliveryLog
from crm.settings import CrmSettings
from crm.sink import TYPES, OwnerWriter
from routing.policy.loader import load_team
from streams.settings import StreamSettings
from tests.crm_rig import EXAMPLES, IngestRig
from tests.crm_server import HUBSPOT_TOKEN, SALESFORCE_TOKEN, FakeCrm
from tests.kafka_harness import create_topic, poll_until, unique_name
from tests.worker_process import settle


def _decision(event_id: str, lead_id: str, rep_id: str) -> bytes:
    return orjson.dumps({"event_id": event_id, "type": "lead.assigned",
                         "at": "2026-01-06T10:00:00-05:00", "lead_id": lead_id,
                         "rep_id": rep_id, "pool": "enterprise"})  # fmt: skip


async def _run_until(consumer: DecisionConsumer, done: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await poll_until(lambda: sum(consumer.done.values()) >= done or task.done(), 30,
                         what="decisions handled")  # fmt: skip
    finally:
        stop.set()
        await task


async def test_dead_letters_and_records(kafka_bootstrap: str, tmp_path: Path) -> None:
    topic, dead = unique_name("crm-dec"), unique_name("crm-dead")
    await create_topic(kafka_bootstrap, topic, 2)
    await create_topic(kafka_bootstrap, dead, 1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for key, value in [
            (b"hs-1", _decision("a1", "hs-1", "rep-01")),
            (b"hs-2", _decision("a2", "hs-2", "rep-nobody")),
            (b"x", b"not json at all"),
            (b"hs-1", orjson.dumps({"event_id": "q1", "type": "lead.queued",
                                    "at": "2026-01-06T10:00:00-05:00", "lead_id": "hs-1"})),
            (b"hs-1", _decision("a3", "hs-1", "rep-02")),
        ]:  # fmt: skip
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()

    crm = FakeCrm()
    server = await crm.start()
    base = str(server.make_url("")).rstrip("/")
    settings = CrmSettings(hubspot_base_url=base, hubspot_token=HUBSPOT_TOKEN,  # type: ignore[arg-type]
                           salesforce_base_url=base, salesforce_token=SALESFORCE_TOKEN)  # fmt: skip
    stream = StreamSettings(broker=f"kafka://{kafka_bootstrap}", topic_deadletter=dead)
    team = load_team(EXAMPLES / "team.yaml")
    log = DeliveryLog(tmp_path / "records.sqlite3")
    try:
        async with aiohttp.ClientSession() as session:
            writer = OwnerWriter(settings, team, session)
            first = DecisionConsumer(stream, unique_name("g"), [topic], TYPES, log, writer)
            await _run_until(first, 3)
            assert first.done == {"delivered": 2, "dead": 1}
            assert [(p.record, p.owner, p.event_id) for p in crm.patches] == [
                ("1", "51234501", "a1"), ("1", "51234502", "a3"),
            ]  # fmt: skip
            # Another group reads everything again: the records say it is all done.
            again = DecisionConsumer(stream, unique_name("g"), [topic], TYPES, log, writer)
            stop = asyncio.Event()
            task = asyncio.create_task(again.run(stop))
            await poll_until(lambda: log.counts() == {"delivered": 2, "dead": 1}, 10)
            await settle(2.0)
            stop.set()
            await task
            assert again.done == {} and len(crm.patches) == 2
    finally:
        log.close()
        await server.close()

    reader = IngestRig(kafka_bootstrap, topic, dead, None, None, None)  # type: ignore[arg-type]
    records = await reader.read(dead, 3, settle_s=0.3)
    # The decision without an owner once (the records know it); the message that is not a
    # decision (no event_id to record) once per group that read it.
    assert len(records) == 3
    reasons = [dict((k, v.decode()) for k, v in r.headers) for r in records]
    by_reason = sorted({(h["leadflow.stage"], h["leadflow.reason"][:30]) for h in reasons})
    assert by_reason == [
        ("sink", "not a decision: event: not val"),
        ("sink", "rep 'rep-nobody' has no crm_ow"),
    ]
    assert all(h["leadflow.topic"] == topic for h in reasons)

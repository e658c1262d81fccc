"""Must-show 1: the reference sample's decisions, produced to the decision topics of a real
broker, reach exactly the people the policy names on the right channels: a real aiohttp
receiver for chat and signed webhooks, a real SMTP server (STARTTLS + AUTH); every
webhook signature verifies and a tampered one is refused by the receiver's verifier."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from notifier.service import Notifier
from notifier.settings import load_notify_settings
from routing.notifications import Directory, plan
from routing.policy.loader import load_policy
from streams.records import ASSIGNMENT_TYPES
from tests.kafka_harness import create_topic, poll_until, unique_name
from tests.notify_receivers import (
    SMTP_PASSWORD,
    SMTP_USER,
    HttpReceiver,
    Seen,
    SmtpReceiver,
    verify,
)

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated"),
]
REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "examples" / "notify" / "policy.yaml"
GOLDEN = REPO / "tests" / "golden" / "sample.decisions.jsonl"
ENDPOINTS = ("sales-east", "sales-west", "leads", "leadership", "marketing")


def settings_for(base: str, smtp_port: int, cafile: str, prefix: str, **more: object):  # type: ignore[no-untyped-def]
    return load_notify_settings(
        group=f"{prefix}-group", topic_deliveries=f"{prefix}-deliveries",
        topic_deadletter=f"{prefix}-deadletter",
        chat_urls={n: f"{base}/chat/{n}" for n in ENDPOINTS},
        webhook_urls={"crm": f"{base}/hook/crm", "broken": f"{base}/hook/broken"},
        webhook_secret="test-secret-do-not-use", smtp_host="127.0.0.1", smtp_port=smtp_port,
        smtp_starttls=True, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD,
        smtp_cafile=cafile, clock="event", **more,
    )


async def produce(bootstrap: str, assignments: str, alerts: str, decisions: list[dict]) -> None:  # type: ignore[type-arg]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for d in decisions:
            topic = assignments if d["type"] in ASSIGNMENT_TYPES else alerts
            key = str(d.get("lead_id") or d.get("pool") or "").encode()
            await producer.send(topic, orjson.dumps(d), key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str) -> list[dict]:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    out = []
    try:
        empty = 0
        while empty < 2:  # until two polls in a row find nothing more
            batch = await consumer.getmany(timeout_ms=1000)
            empty = 0 if batch else empty + 1
            for records in batch.values():
                out += [orjson.loads(r.value) for r in records]
    finally:
        await consumer.stop()
    return out


async def test_the_sample_reaches_the_people_the_policy_names(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    loaded = load_policy(POLICY)
    directory = Directory(loaded)
    decisions = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    expected = {(m.event_id, m.recipient, m.channel) for d in decisions for m in plan(d, directory)}
    escalated = {(d["event_id"], who) for d in decisions if d["type"] == "sla.escalated"
                 for who in d["notify"]}

    seen = Seen()
    http = HttpReceiver(seen)
    base = await http.start()
    smtp = SmtpReceiver(seen, tmp_path)
    port = smtp.start()
    prefix = unique_name("notify-e2e")
    assignments, alerts = f"{prefix}-assignments", f"{prefix}-alerts"
    for topic in (assignments, alerts):
        await create_topic(kafka_bootstrap, topic, 2)
    # Day one first (event time stops at Tue 6 Jan evening), then the rest.
    night = [d for d in decisions if d["at"] < "2026-01-07"]
    morning = [d for d in decisions if d["at"] >= "2026-01-07"]
    waiting = ("L-1003#1/first_touch/1@at_risk:sla.at_risk:L-1003", "rep-04", "chat")
    first = {x for x in expected if x != waiting and x[0] in {d["event_id"] for d in night}}
    await produce(kafka_bootstrap, assignments, alerts, night)
    settings = settings_for(base, port, smtp.cafile, prefix)
    notifier = Notifier(directory, settings, {"bootstrap_servers": kafka_bootstrap},
                        [assignments, alerts])
    stop = asyncio.Event()
    task = asyncio.create_task(notifier.run(stop))
    try:
        await poll_until(lambda: set(seen.by_item) >= first or task.done(), 60,
                         what="day one's messages delivered")
        # the at-risk warning of 17:25 ET waits for rep-04's morning (09:00 ET)
        assert waiting not in seen.by_item and notifier.held
        await produce(kafka_bootstrap, assignments, alerts, morning)
        await poll_until(lambda: set(seen.by_item) >= expected or task.done(), 60,
                         what="every planned message delivered")
        stop.set()
        await asyncio.wait_for(task, 30)
        # the live receiver refuses a delivery whose body was changed after signing
        headers, body = seen.webhooks[0]
        async with aiohttp.ClientSession() as session:
            sent = {k: v for k, v in headers.items() if k.startswith("X-Leadflow")}
            tampered_post = await session.post(f"{base}/hook/crm", headers=sent,
                                               data=body.replace(b"L-10", b"L-99", 1))
            assert tampered_post.status == 401 and seen.rejected == 1
    finally:
        stop.set()
        smtp.stop()
        await http.stop()

    # exactly the planned messages, each once, nobody else
    assert set(seen.by_item) == expected
    assert all(len(keys) == 1 for keys in seen.by_item.values())
    assert seen.resends() == 0 and notifier.counts["deadlettered"] == 0
    # every person a rung of the ladder names got it on chat, email and webhook
    for event_id, who in escalated:
        for channel in ("chat", "email", "webhook"):
            assert (event_id, who, channel) in seen.by_item
    # on the right chat endpoint, with the mention of the person; email to their address
    west = [c for c in seen.chats if c["text"].startswith("<@rep04>")]
    assert west and all("first touch" in c["text"] or c["blocks"] for c in west)
    to = {(m["To"], m["Subject"]) for m in seen.emails}
    assert ("mgr-1@example.com", "Escalation 2: L-1003") in to
    assert all(m["Message-ID"].endswith("@leadflow>") for m in seen.emails)
    # quiet hours: L-1003's at-risk warning came in the morning batch
    held = [c for c in seen.chats if c["blocks"][0]["type"] == "header"]
    assert len(held) == 1 and "L-1003: first touch due soon" in json.dumps(held[0])
    assert held[0]["text"].startswith("<@rep04> While you were away: 1 update")
    # signatures: every accepted webhook verifies; a tampered one does not
    assert seen.rejected == 1 and len(seen.webhooks) == len(
        [x for x in expected if x[2] == "webhook"])
    headers, body = seen.webhooks[0]
    assert verify(headers, body, time.time())
    tampered = body.replace(b"L-10", b"L-99", 1)
    assert tampered != body and not verify(headers, tampered, time.time())
    forged = dict(headers, **{"X-Leadflow-Signature": "v1=" + "0" * 64})
    assert not verify(forged, body, time.time())
    stale = dict(headers, **{"X-Leadflow-Timestamp": str(int(time.time()) - 3600)})
    assert not verify(stale, body, time.time())
    # the deliveries are on the compacted ledger topic; nothing dead-lettered
    ledger = await read_all(kafka_bootstrap, settings.topic_deliveries)
    assert sum(1 for v in ledger if v["state"] == "sent") >= len(expected)


async def test_a_receiver_failing_every_try_is_dead_lettered_with_the_reason(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """5xx are retried with backoff; after MAX_TRIES the delivery goes to the dead-letter
    topic with the reason, the rest is delivered, and a restart does not try it again."""
    loaded = load_policy(POLICY)
    directory = Directory(loaded)
    decisions = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    planned = [m for d in decisions for m in plan(d, directory)]
    failing = {m.key for m in planned if m.channel == "webhook"}
    expected = {(m.event_id, m.recipient, m.channel) for m in planned if m.key not in failing}
    tries: dict[str, int] = {}

    def status(path: str) -> int | None:
        if path.startswith("/hook/"):
            tries[path] = tries.get(path, 0) + 1
            return 503
        return None

    seen = Seen()
    http = HttpReceiver(seen, status)
    base = await http.start()
    smtp = SmtpReceiver(seen, tmp_path)
    port = smtp.start()
    prefix = unique_name("notify-dead")
    assignments, alerts = f"{prefix}-assignments", f"{prefix}-alerts"
    for topic in (assignments, alerts):
        await create_topic(kafka_bootstrap, topic, 2)
    await produce(kafka_bootstrap, assignments, alerts, decisions)
    settings = settings_for(base, port, smtp.cafile, prefix, max_tries=3, backoff_s=0.05)
    kafka = {"bootstrap_servers": kafka_bootstrap}
    dead: list[dict] = []  # type: ignore[type-arg]

    async def run_once(group: str) -> Notifier:
        settings_now = settings.model_copy(update={"group": group})
        notifier = Notifier(directory, settings_now, kafka, [assignments, alerts])
        stop = asyncio.Event()
        task = asyncio.create_task(notifier.run(stop))

        async def done() -> bool:
            if not set(seen.by_item) >= expected:
                return False
            dead[:] = await read_all(kafka_bootstrap, settings.topic_deadletter)
            return len({d["key"] for d in dead}) >= len(failing) or task.done()

        try:
            await poll_until(done, 60, interval_s=0.5, what="delivered or dead-lettered")
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
        return notifier

    try:
        first = await run_once(f"{prefix}-group")
        calls = sum(tries.values())
        # As if every commit had been lost: a new group reads every decision again, and the
        # ledger alone keeps it from sending or dead-lettering anything twice.
        second = await run_once(f"{prefix}-other-group")
    finally:
        smtp.stop()
        await http.stop()
    assert {d["key"] for d in dead} == failing and len(dead) == len(failing)
    assert all(d["reason"] == "gave up after 3 tries: HTTP 503: forced by the test"
               for d in dead)
    assert calls == 3 * len(failing)  # three tries each, with backoff between
    assert set(seen.by_item) == expected and seen.resends() == 0
    assert first.counts["deadlettered"] == len(failing)
    assert sum(tries.values()) == calls  # nothing tried again
    assert second.counts["sent"] == second.counts["deadlettered"] == 0
    assert second.counts["skipped"] == len(planned)

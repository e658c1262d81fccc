"""Must-show 2: a worker killed with SIGKILL three times during a 20,000-event run.

The oracle is an offline engine that applies the routing log (the pool stage's complete,
ordered input: events and ticks) without interruption, watched by the ownership and
capacity ledger of tests/test_invariants.py. Afterwards:

- the worker published exactly the oracle's decisions (same ids, same bytes), in the
  oracle's order per topic; outputs repeated after a restart are byte-identical repeats;
- every MQL had exactly one owner at a time and no rep went over capacity (ledger);
- every timer that was due fired (nothing left due in the oracle), so every breach due
  was published;
- every input event is in the routing log, none was lost.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from benchmarks.generate import generate
from routing.errors import EventError
from routing.events import parse_event
from routing.outputs import Output
from routing.policy.loader import load_policy
from routing.replay import dumps
from streams.records import ASSIGNMENT_TYPES, EVENT, apply_record, split_event
from tests.kafka_harness import poll_until
from tests.test_invariants import Ledger, WatchedEngine, check_engine_agrees
from tests.worker_process import WorkerRig, worker_rig_fixture  # noqa: F401

KILLS = 3
LEADS = 2000  # ~21,000 events with the generator's mix


def _key(line: bytes) -> bytes:
    try:
        event = parse_event(line)
    except EventError:
        return b"malformed"
    return str(getattr(event, "lead_id", None) or getattr(event, "rep_id", "")).encode()


async def _routing_log(rig: WorkerRig) -> list[tuple[int, bytes]]:
    """Every record of the routing topic, in offset order."""
    consumer = AIOKafkaConsumer(
        rig.routing,
        bootstrap_servers=rig.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        tp = TopicPartition(rig.routing, 0)
        await poll_until(lambda: tp in consumer.assignment(), 30, what="routing assignment")
        end = (await consumer.end_offsets([tp]))[tp]
        log: list[tuple[int, bytes]] = []

        async def read_to_end() -> bool:
            got = await consumer.getmany(tp, timeout_ms=500)
            log.extend((r.offset, r.value or b"") for r in got.get(tp, []))
            return bool(log) and log[-1][0] >= end - 1

        if end > 0:
            await poll_until(read_to_end, 60, interval_s=0.0, what="the routing log")
        return log
    finally:
        await consumer.stop()


def _oracle(policy: Path, log: list[tuple[int, bytes]]) -> tuple[WatchedEngine, list[Output]]:
    """Apply the routing log without interruption, checking ownership and capacity."""
    engine = WatchedEngine(load_policy(policy))
    ledger = Ledger(engine)
    everything: list[Output] = []
    for _, record in log:
        outputs = apply_record(engine, record)
        marks = list(engine.closed_at)
        for i, o in enumerate(outputs):
            while marks and marks[0][0] <= i:
                ledger.closed(marks.pop(0)[1])
            ledger.read(o)
        for _, lead_id in marks:
            ledger.closed(lead_id)
        engine.closed_at, engine.handovers = [], []
        everything.extend(outputs)
    check_engine_agrees(engine, ledger, "end of the run")
    return engine, everything


async def _applied(rig: WorkerRig, at_least: int) -> bool:
    health = rig.health()
    return health.get("pool_stage") == "here" and health.get("routing_offset", -1) >= at_least


async def test_sigkill_three_times_loses_nothing(worker_rig: WorkerRig, tmp_path: Path) -> None:
    rig = worker_rig
    rig.partitions = 1  # input order = file order (see docs/worker.md, "Ordering")
    stream = tmp_path / "data" / "stream.jsonl"
    generate(LEADS, 60, stream, seed=11, weeks=4)
    policy = stream.parent / "policy.yaml"
    lines = [line for line in stream.read_bytes().splitlines() if line.strip()]
    assert len(lines) >= 20_000
    await rig.create_input()
    args = ("--clock", "event", "--snapshot-every", "0.5", "--session-timeout", "6")

    rounds = KILLS + 1
    chunks = [
        lines[i * len(lines) // rounds : (i + 1) * len(lines) // rounds] for i in range(rounds)
    ]
    applied = -1
    for round_, chunk in enumerate(chunks):
        proc = rig.start(*args, policy=policy)
        await rig.ready(deadline_s=120)
        producing = asyncio.create_task(rig.produce_keyed(chunk, _key, rate=5000))
        if round_ < KILLS:
            # Kill it in the middle of the chunk, while it is routing.
            target = applied + len(chunk) // 3
            await poll_until(lambda t=target: _applied(rig, t), 120, what="progress")
            applied = rig.health().get("routing_offset", applied)
            rig.kill(proc)
        await producing

    # The last worker finishes: every valid input is in the routing log and applied, and
    # the idle tick after the last event has been applied.
    valid = {parse_event(line).event_id for line in lines if _key(line) != b"malformed"}

    async def finished() -> bool:
        log = await _routing_log(rig)
        seen = {json.loads(split_event(r)[1])["event_id"] for _, r in log if r[0] == EVENT}
        health = rig.health()
        return valid <= seen and log[-1][1] == b"t" and health.get("routing_offset") == log[-1][0]

    await poll_until(finished, 180, interval_s=1.0, what="the run to finish")
    log = await _routing_log(rig)
    engine, expected = _oracle(policy, log)
    left = engine.next_deadline()
    assert left is None or left > engine.now, "a timer was due and did not fire"

    want = {d["event_id"] for d in expected if d["type"] != "event.rejected"}
    refused = {d["event_id"] for d in expected if d["type"] == "event.rejected"}
    malformed = sum(_key(line) == b"malformed" for line in lines)

    def complete(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        ids = {_decision_id(r) for r in records if r.topic != rig.deadletter}
        dead = [dict(r.headers) for r in records if r.topic == rig.deadletter]
        pool = {h[EVENT_ID].decode() for h in dead if EVENT_ID in h}
        where = {(h[PARTITION], h[OFFSET]) for h in dead if EVENT_ID not in h}
        return ids >= want and pool >= refused and len(where) >= malformed

    records = await rig.read([rig.assignments, rig.alerts, rig.deadletter], complete)
    repeats = _check_outputs(rig, records, expected)
    kinds = Counter(d["type"] for d in expected)
    print(
        f"\n{len(lines)} events, {len(log)} routing records, {KILLS} kills, "
        f"{len(expected)} decisions ({kinds['sla.breached']} breaches), {repeats} repeats"
    )


EVENT_ID, PARTITION, OFFSET = "leadflow.event_id", "leadflow.partition", "leadflow.offset"


def _decision_id(record: ConsumerRecord[bytes, bytes]) -> str:
    return str(json.loads(record.value or b"")["event_id"])


def _check_outputs(
    rig: WorkerRig, records: list[ConsumerRecord[bytes, bytes]], expected: list[Output]
) -> int:
    """The worker's outputs are the oracle's, in the oracle's order within each partition;
    a repeat (after a restart) is byte-identical to the first."""
    first: dict[tuple[str, int], list[str]] = {}
    seen: dict[str, bytes] = {}
    repeats = 0
    for record in records:
        if record.topic == rig.deadletter:
            continue
        value = record.value or b""
        event_id = json.loads(value)["event_id"]
        if event_id in seen:
            assert seen[event_id] == value, f"{event_id} repeated with other content"
            repeats += 1
            continue
        seen[event_id] = value
        first.setdefault((record.topic, record.partition), []).append(value.decode())
    decisions = [d for d in expected if d["type"] != "event.rejected"]
    assert sorted(seen) == sorted(d["event_id"] for d in decisions)  # all, and only those
    for (topic, _), got in first.items():
        ids = {json.loads(text)["event_id"] for text in got}
        in_topic = ASSIGNMENT_TYPES if topic == rig.assignments else None
        want = [
            dumps(d)
            for d in decisions
            if d["event_id"] in ids and (in_topic is None or d["type"] in in_topic)
        ]
        assert got == want
    refused = {d["event_id"] for d in expected if d["type"] == "event.rejected"}
    dead = [dict(r.headers) for r in records if r.topic == rig.deadletter]
    assert {h[EVENT_ID].decode() for h in dead if EVENT_ID in h} == refused
    return repeats

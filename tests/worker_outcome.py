"""What a run of workers must have produced, checked against an oracle: shared by the fault
tests (tests/test_worker_crash.py: one worker killed and restarted; tests/test_worker_pair.py:
two workers at once, one killed or stopped).

The oracle is an offline engine that applies the routing log (the pool stage's complete,
ordered input: events and ticks) without interruption, watched by the ownership and
capacity ledger of tests/test_invariants.py. `check_run` waits for the workers to finish
and asserts:

- the workers published exactly the oracle's decisions (same ids, same bytes), in the
  oracle's order within each output partition; a repeat (after a restart or a handover)
  is byte-identical to the first;
- every MQL had exactly one owner at a time and no rep went over its capacity (ledger, fed
  the oracle's decisions, which are the published ones);
- every timer that was due fired (nothing left due in the oracle), so every breach due
  was published;
- every valid input event is in the routing log (none lost), every refused one reached the
  dead-letter topic.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from routing.engine import Engine
from routing.errors import EventError
from routing.events import parse_event, raw_text
from routing.order import event_time_permutation
from routing.outputs import Output
from routing.policy.loader import LoadedPolicy, load_policy
from routing.replay import dumps
from streams import desk_records
from streams.records import ASSIGNMENT_TYPES, EVENT, apply_record, split_event
from tests.kafka_harness import poll_until
from tests.test_invariants import Ledger, WatchedEngine, check_engine_agrees
from tests.worker_process import WorkerRig

EVENT_ID, PARTITION, OFFSET = "leadflow.event_id", "leadflow.partition", "leadflow.offset"


def event_key(line: bytes) -> bytes:
    """The Kafka key an event is produced with: its lead, else its rep."""
    try:
        event = parse_event(line)
    except EventError:
        return b"malformed"
    return str(getattr(event, "lead_id", None) or getattr(event, "rep_id", "")).encode()


async def routing_log(rig: WorkerRig) -> list[tuple[int, bytes]]:
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


def oracle(
    policy: Path, log: list[tuple[int, bytes]], loaded: LoadedPolicy | None = None
) -> tuple[WatchedEngine, list[Output]]:
    """Apply the routing log without interruption, checking ownership and capacity.
    `loaded`: the policy with its later versions (routing.versions), instead of `policy`."""
    engine = WatchedEngine(loaded if loaded is not None else load_policy(policy))
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


def replay_in_event_time_order(engine: Engine, sent: list[tuple[bytes, str]]) -> list[Output]:
    """`leadflow replay` (routing.replay) of the events in event-time order
    (routing.order.in_event_time_order), each named by where it was read
    (`topic:partition:offset`) rather than by a line number, so that the ids of refusals
    are the worker's; every other decision does not depend on the name."""
    out: list[Output] = []
    for i in event_time_permutation([line for line, _ in sent]):
        line, source = sent[i]
        try:
            event = parse_event(line)
        except EventError as exc:
            out += engine.reject(raw_text(line), source, str(exc))
            continue
        out += engine.apply(event, source, line)
    if engine.now != float("-inf"):
        out += engine.advance(engine.now)
    return out


@dataclass(frozen=True)
class Outcome:
    routing_records: int
    decisions: int
    breaches: int
    repeats: int

    def line(self, events: int, what: str) -> str:
        return (
            f"\n{events} events, {self.routing_records} routing records, {what}, "
            f"{self.decisions} decisions ({self.breaches} breaches), {self.repeats} repeats"
        )


async def check_run(
    rig: WorkerRig,
    policy: Path,
    lines: list[bytes],
    health: Callable[[], dict[str, Any]],
    log_of: Callable[[WorkerRig], Awaitable[list[tuple[int, bytes]]]] = routing_log,
    replayed: list[Output] | None = None,
    loaded: LoadedPolicy | None = None,
) -> Outcome:
    """Wait until the worker whose `/health` is `health` has applied every valid input and
    the idle tick after the last one, then check everything against the oracle applying
    the routing log as `log_of` reads it (by default, from the topic). With `replayed`
    (`replay_in_event_time_order` of the input), that is the oracle: the routing log's
    decisions must be the same, and the published ones too."""
    valid = {parse_event(line).event_id for line in lines if event_key(line) != b"malformed"}

    last: dict[str, Any] = {}

    async def finished() -> bool:
        rig.check_alive()
        log = await log_of(rig)
        seen = {input_id(r) for _, r in log if r[0] in (EVENT, desk_records.DESK)}
        now = health()
        last.update(  # what was still missing, for the failure's message
            inputs_not_routed=len(valid - seen), routing_records=len(log),
            last_record=log[-1][1][:1] if log else None, applied=now.get("routing_offset"),
        )
        return valid <= seen and log[-1][1] == b"t" and now.get("routing_offset") == log[-1][0]

    try:
        await poll_until(finished, 180, interval_s=1.0, what="the run to finish")
    except pytest.fail.Exception:
        pytest.fail(f"the run did not finish within 180 s: {last} (finished: every valid "
                    "input routed, the last routing record an idle tick b't', and the pool "
                    "stage's /health applied up to it)")
    log = await log_of(rig)
    assert [offset for offset, _ in log] == list(range(len(log))), "a routing record is missing"
    engine, expected = oracle(policy, log, loaded)
    left = engine.next_deadline()
    assert left is None or left > engine.now, "a timer was due and did not fire"
    if replayed is not None:
        # A line that is not an event is refused by the lead stage (dead-lettered there),
        # never by the pool side: that refusal is checked by where it was read, below.
        replay_said = [d for d in replayed if not str(d["event_id"]).endswith(UNPARSED)]
        assert_same_order(expected, replay_said)
        expected = replay_said

    want = {d["event_id"] for d in expected if d["type"] != "event.rejected"}
    refused = {d["event_id"] for d in expected if d["type"] == "event.rejected"}
    malformed = sum(event_key(line) == b"malformed" for line in lines)

    def complete(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        ids = {_decision_id(r) for r in records if r.topic != rig.deadletter}
        dead = [dict(r.headers) for r in records if r.topic == rig.deadletter]
        pool = {h[EVENT_ID].decode() for h in dead if EVENT_ID in h}
        where = {(h[PARTITION], h[OFFSET]) for h in dead if EVENT_ID not in h}
        return ids >= want and pool >= refused and len(where) >= malformed

    records = await rig.read([rig.assignments, rig.alerts, rig.deadletter], complete)
    repeats = check_outputs(rig, records, expected)
    kinds = Counter(d["type"] for d in expected)
    return Outcome(len(log), len(expected), kinds["sla.breached"], repeats)


UNPARSED = ":event.rejected:input"


def assert_same_order(got: list[Output], want: list[Output]) -> None:
    """The same decisions, byte for byte, in the same order (the first difference shown)."""
    got_text, want_text = [dumps(d) for d in got], [dumps(d) for d in want]
    if got_text != want_text:
        i = next(
            (i for i, (a, b) in enumerate(zip(got_text, want_text, strict=False)) if a != b),
            min(len(got_text), len(want_text)),
        )
        raise AssertionError(
            f"the routing log decided otherwise than replay in event-time order at decision "
            f"{i} of {len(want_text)} ({len(got_text)} from the log):\n"
            f"  log:    {got_text[i] if i < len(got_text) else None}\n"
            f"  replay: {want_text[i] if i < len(want_text) else None}"
        )


def input_id(record: bytes) -> str:
    """The input a routing record carries: an event forwarded whole, or a desk record."""
    if record[0] == EVENT:
        return str(json.loads(split_event(record)[1])["event_id"])
    return desk_records.decode(record).id


def _decision_id(record: ConsumerRecord[bytes, bytes]) -> str:
    return str(json.loads(record.value or b"")["event_id"])


def check_outputs(
    rig: WorkerRig, records: list[ConsumerRecord[bytes, bytes]], expected: list[Output]
) -> int:
    """The workers' outputs are the oracle's, in the oracle's order within each partition;
    a repeat (after a restart) is byte-identical to the first. Returns the repeats."""
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

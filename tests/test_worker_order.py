"""Must-shows 1 and 3 of the production worker: with four input partitions the worker
decides what `leadflow replay` decides for the same events in event-time order (a stable
sort by `at`, then `event_id`: routing.order), however the messages were produced and
batched, and a deferred lead comes back on the stage's merged event time even when its own
partition receives nothing after it."""

from __future__ import annotations

import json
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import ConsumerRecord

from routing.engine import Engine
from routing.errors import EventError
from routing.events import parse_event
from routing.order import in_event_time_order
from routing.outputs import epoch
from routing.policy.loader import load_policy
from routing.replay import dumps, replay
from streams.records import ASSIGNMENT_TYPES
from tests.builders import Events, at, tue
from tests.worker_outcome import event_key, replay_in_event_time_order
from tests.worker_process import POLICY, WorkerRig, sample_lines, worker_rig_fixture  # noqa: F401

PARTITIONS = 4
_PARTITIONER = DefaultPartitioner()


def partition_of(key: bytes) -> int:
    every = list(range(PARTITIONS))
    return int(_PARTITIONER(key, every, every))


async def produce_at_once(
    rig: WorkerRig, lines: list[bytes], partition_order: list[int], timestamp_ms: int
) -> dict[int, str]:
    """Every line on its key's partition, partition by partition in `partition_order`,
    all with the same Kafka timestamp (one millisecond). Returns line index -> source."""
    by_partition: dict[int, list[int]] = {p: [] for p in range(PARTITIONS)}
    for i, line in enumerate(lines):
        by_partition[partition_of(event_key(line))].append(i)
    producer = AIOKafkaProducer(bootstrap_servers=rig.bootstrap, linger_ms=20)
    await producer.start()
    try:
        futures = []
        for p in partition_order:
            for i in by_partition[p]:
                fut = await producer.send(
                    rig.events, lines[i], key=event_key(lines[i]), partition=p,
                    timestamp_ms=timestamp_ms,
                )  # fmt: skip
                futures.append((i, fut))
        where = {}
        for i, fut in futures:
            meta = await fut
            where[i] = f"{rig.events}:{meta.partition}:{meta.offset}"
        return where
    finally:
        await producer.stop()


def _epoch(line: bytes) -> float | None:
    try:
        return epoch(parse_event(line).at)
    except EventError:
        return None


def published(
    rig: WorkerRig, records: list[ConsumerRecord[bytes, bytes]]
) -> dict[tuple[str, int], list[str]]:
    out: dict[tuple[str, int], list[str]] = {}
    for r in records:
        if r.topic in (rig.assignments, rig.alerts):
            out.setdefault((r.topic, r.partition), []).append((r.value or b"").decode())
    return out


def assert_same_decisions(
    rig: WorkerRig, records: list[ConsumerRecord[bytes, bytes]], expected: list[dict[str, Any]]
) -> None:
    """Exactly the expected decisions, byte for byte, in their order on each partition."""
    got = published(rig, records)
    texts = [dumps(d) for d in expected]
    assert sorted(t for ts in got.values() for t in ts) == sorted(texts)
    for (topic, _), values in got.items():
        ids = {json.loads(v)["event_id"] for v in values}
        want = [
            dumps(d)
            for d in expected
            if d["event_id"] in ids
            and (d["type"] in ASSIGNMENT_TYPES) == (topic == rig.assignments)
        ]
        assert values == want


async def test_same_millisecond_reverse_order_on_four_partitions_equals_replay(
    worker_rig: WorkerRig,
) -> None:
    rig = worker_rig
    rig.partitions = PARTITIONS
    await rig.create_input()
    lines = sample_lines()
    # The partition holding the latest events goes first: each partition reaches Kafka
    # before the ones holding earlier events, all within one millisecond.
    last_at: dict[int, float] = {}
    for line in lines:
        t, p = _epoch(line), partition_of(event_key(line))
        if t is not None:
            last_at[p] = max(last_at.get(p, 0.0), t)
    order = sorted(range(PARTITIONS), key=lambda p: -last_at.get(p, 0.0))
    assert len([p for p in order if p in last_at]) >= 3, "the sample spreads over partitions"
    where = await produce_at_once(rig, lines, order, timestamp_ms=1_767_700_000_000)
    # A load waiting on the broker when the worker starts (a bulk load, a catch-up): the
    # worker knows every partition has records to fetch, so the merge is exact whatever
    # the fetch timing. (Live, a partition whose records come more than the idle wait
    # after the others' may be passed: docs/worker.md, "Ordering".)
    rig.start("--clock", "event")
    await rig.ready()

    everything = replay_in_event_time_order(
        Engine(load_policy(POLICY)), [(line, where[i]) for i, line in enumerate(lines)]
    )
    expected = [d for d in everything if d["type"] != "event.rejected"]
    # ... which is `leadflow replay` of the lines sorted by event time (a refusal's id
    # names where its input was read, so those are compared apart).
    plain = replay(Engine(load_policy(POLICY)), in_event_time_order(lines))
    assert [dumps(d) for d in plain if d["type"] != "event.rejected"] == [
        dumps(d) for d in expected
    ]
    # ... and not what Kafka's order (partition by partition) would give.
    kafka_order = [lines[i] for p in order for i in range(len(lines))
                   if partition_of(event_key(lines[i])) == p]  # fmt: skip
    naive = replay(Engine(load_policy(POLICY)), kafka_order)
    assert [dumps(d) for d in naive if d["type"] != "event.rejected"] != [
        dumps(d) for d in expected
    ]

    def complete(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        return sum(r.topic != rig.deadletter for r in records) >= len(expected)  # type: ignore[no-any-return]

    records = await rig.read([rig.assignments, rig.alerts], complete)
    assert_same_decisions(rig, records, expected)


def _keys_on_other_partitions(avoid: int, n: int) -> list[str]:
    found: list[str] = []
    i = 0
    while len(found) < n:
        i += 1
        lead = f"L-other-{i}"
        if partition_of(lead.encode()) != avoid:
            found.append(lead)
    return found


async def test_a_deferred_lead_comes_back_when_its_partition_is_quiet(
    worker_rig: WorkerRig,
) -> None:
    """L-deferred is deferred to Monday 10:00; its partition receives nothing after that,
    other partitions receive events of Monday afternoon: the lead comes back at 10:00."""
    rig = worker_rig
    rig.partitions = PARTITIONS
    await rig.create_input()
    ev = Events("d")
    lead = "L-deferred"
    home = partition_of(lead.encode())
    others = _keys_on_other_partitions(home, 3)
    back = at(2026, 1, 12, 10)
    first = [*ev.mql(lead, tue(10)), *ev.mql(others[0], tue(10, 5))]
    text = [e.model_dump_json(exclude_unset=True).encode() for e in first]
    assigned = {
        d["lead_id"]: d["rep_id"]
        for d in replay(Engine(load_policy(POLICY)), text)
        if d["type"] == "lead.assigned"
    }
    rep = assigned[lead]
    later = [
        ev.touched(lead, tue(10, 30), rep),
        ev.disposition(lead, tue(11), rep, "deferred", defer_until=back),
        *ev.mql(others[1], at(2026, 1, 7, 9)),
        *ev.mql(others[2], at(2026, 1, 12, 14)),
    ]
    events = first + later
    lines = [e.model_dump_json(exclude_unset=True).encode() for e in events]
    assert all(partition_of(event_key(x)) != home for x in lines[-4:])
    await rig.produce_keyed(lines, event_key, rate=1000)
    rig.start("--clock", "event")  # the input waits on the broker (see the test above)
    await rig.ready()
    expected = [
        d for d in replay(Engine(load_policy(POLICY)), in_event_time_order(lines))
        if d["type"] != "event.rejected"
    ]  # fmt: skip
    comeback = [d for d in expected if d.get("lead_id") == lead and d["at"] == back.isoformat()]
    assert comeback and comeback[0]["type"] in ("lead.assigned", "lead.queued")

    def complete(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        return sum(r.topic != rig.deadletter for r in records) >= len(expected)  # type: ignore[no-any-return]

    records = await rig.read([rig.assignments, rig.alerts], complete)
    assert_same_decisions(rig, records, expected)

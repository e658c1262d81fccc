"""The lead stage's event-time merge (streams.merge), without a broker: inputs come out in
(at, event_id) order across partitions, in offset order within one, held back while a
partition has records on their way (Kafka Streams' rule on the fetched lag); a partition
caught up to its high watermark holds nothing back (or, with an idle wait set, for that
long at most); a backlog is merged the same whatever the fetch batching."""

from __future__ import annotations

import random
from dataclasses import dataclass

from routing.order import in_event_time_order, order_key
from streams.merge import EventTimeMerge, Pending


@dataclass
class Msg:
    offset: int


def pending(partition: int, offset: int, at: float | None, event_id: str = "") -> Pending:
    key = None if at is None else order_key(at, event_id or f"e{partition}-{offset}")
    return Pending(key, partition, None, Msg(offset))


def drain(
    merge: EventTimeMerge, now: float, behind: set[int] = frozenset()
) -> list[tuple[int, int]]:  # type: ignore[assignment]
    """Pop what the merge gives; the partitions in `behind` have records to fetch (lag 1),
    the others are caught up (lag 0)."""
    lags = {p: (1 if p in behind else 0) for p in range(4)}
    out = []
    while (item := merge.pop(now, lags)) is not None:
        out.append((item.partition, item.msg.offset))
    return out


def test_a_caught_up_partition_holds_nothing_back_by_default() -> None:
    """Kafka Streams' default (`max.task.idle.ms` 0): only a partition with records on the
    broker not delivered yet holds the head back."""
    merge = EventTimeMerge(idle_s=0.0)
    merge.add(3, [pending(3, 0, 300.0), pending(3, 1, 301.0)])
    merge.add(1, [pending(1, 0, 100.0)])
    assert drain(merge, now=0.0, behind={0}) == []  # partition 0 may hold earlier ones
    assert drain(merge, now=0.0) == [(1, 0), (3, 0), (3, 1)]
    assert merge.late == 0
    merge.add(1, [pending(1, 1, 200.0)])  # passed at the live edge: applied late
    assert drain(merge, now=0.0) == [(1, 1)]
    assert merge.late == 1


def test_unknown_lag_holds_the_head_back() -> None:
    merge = EventTimeMerge(idle_s=0.0)
    merge.add(0, [pending(0, 0, 10.0)])
    assert merge.pop(0.0, {0: 0, 1: None}) is None  # partition 1 not fetched yet
    item = merge.pop(0.0, {0: 0, 1: 0})
    assert item is not None and item.msg.offset == 0


def test_the_earliest_event_goes_first_whatever_the_partition() -> None:
    merge = EventTimeMerge(idle_s=0.2)
    merge.add(3, [pending(3, 0, 300.0), pending(3, 1, 301.0)])
    merge.add(2, [pending(2, 0, 200.0)])
    merge.add(1, [pending(1, 0, 100.0)])
    merge.add(0, [pending(0, 0, 50.0), pending(0, 1, 400.0)])
    assert drain(merge, now=0.0) == [(0, 0), (1, 0)]
    # With an idle wait: partition 1 has shown nothing later than 200 and is caught up: it
    # holds the head back for the idle wait, counted from when it started to.
    assert drain(merge, now=0.1) == []
    assert drain(merge, now=0.2) == [(2, 0)]
    assert drain(merge, now=0.3) == []  # partition 2 is quiet only since 0.2
    assert drain(merge, now=0.4) == [(3, 0), (3, 1)]
    assert drain(merge, now=0.7) == [(0, 1)]


def test_a_partition_with_records_on_their_way_holds_the_head_however_long() -> None:
    merge = EventTimeMerge(idle_s=0.2)
    merge.add(0, [pending(0, 0, 10.0)])
    for p in (2, 3):
        merge.add(p, [pending(p, 0, 99.0)])
    assert drain(merge, now=0.0, behind={1}) == []
    assert drain(merge, now=60.0, behind={1}) == []
    merge.add(1, [pending(1, 0, 5.0)])
    assert drain(merge, now=60.0) == [(1, 0)]
    merge.add(1, [pending(1, 1, 50.0)])  # partition 1 shows a later time: no more wait
    assert drain(merge, now=60.0) == [(0, 0)]


def test_ties_in_time_go_by_event_id_and_a_partition_keeps_its_own_order() -> None:
    merge = EventTimeMerge(idle_s=0.0)
    merge.add(0, [pending(0, 0, 10.0, "b"), pending(0, 1, 5.0, "late")])
    merge.add(1, [pending(1, 0, 10.0, "a"), pending(1, 1, 20.0, "c")])
    merge.add(2, [pending(2, 0, None)])  # not an event: goes at once
    # "late" is behind its own partition: it is released when it reaches the head.
    assert drain(merge, now=0.0) == [(2, 0), (1, 0), (0, 0), (0, 1), (1, 1)]


def test_replay_orders_lines_the_same_way() -> None:
    lines = [
        b'{"event_id":"b","type":"rep.status","at":"2026-01-06T10:00:00Z","rep_id":"r","status":"away"}',
        b"not an event",
        b'{"event_id":"a","type":"rep.status","at":"2026-01-06T10:00:00Z","rep_id":"r","status":"away"}',
        b'{"event_id":"c","type":"rep.status","at":"2026-01-06T09:00:00Z","rep_id":"r","status":"away"}',
    ]
    assert in_event_time_order(lines) == [lines[3], lines[2], lines[0], lines[1]]


def _reference_merge(parts: dict[int, list[float]]) -> list[tuple[int, int]]:
    """Every partition's next input in view: the smallest (key, partition) head goes."""
    at = {p: 0 for p in parts}
    out = []
    while any(at[p] < len(seq) for p, seq in parts.items()):
        p = min(
            (p for p in parts if at[p] < len(parts[p])),
            key=lambda q: (order_key(parts[q][at[q]], f"e{q}-{at[q]}"), q),
        )
        out.append((p, at[p]))
        at[p] += 1
    return out


def test_a_backlog_is_merged_the_same_whatever_the_fetch_batching() -> None:
    """Four partitions with late events in them (each partition not in time order), all
    on the broker: however the fetches cut them into batches, the merge gives the same
    order, the one where every partition's next input is in view."""
    shape = random.Random(7)
    parts = {
        p: [float(shape.randrange(0, 200)) for _ in range(shape.randrange(20, 60))]
        for p in range(4)
    }
    want = _reference_merge(parts)
    for seed in range(40):
        rng = random.Random(seed)
        merge = EventTimeMerge(idle_s=0.0)
        delivered = {p: 0 for p in parts}
        got: list[tuple[int, int]] = []
        while len(got) < len(want):
            # One fetch: a few records of some partitions (a caught-up one reports lag 0).
            for p in rng.sample(sorted(parts), rng.randrange(1, 5)):
                n = rng.randrange(0, 8)
                start, end = delivered[p], min(len(parts[p]), delivered[p] + n)
                merge.add(p, [pending(p, o, parts[p][o]) for o in range(start, end)])
                delivered[p] = end
            lags = {p: len(parts[p]) - delivered[p] for p in parts}
            while (item := merge.pop(0.0, lags)) is not None:
                got.append((item.partition, item.msg.offset))
        assert got == want, f"batching {seed}"

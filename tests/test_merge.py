"""The lead stage's event-time merge (streams.merge), without a broker: inputs come out in
(at, event_id) order across partitions, in offset order within one, held back while a
partition has records on their way or for a bounded idle wait, never longer."""

from __future__ import annotations

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
    out = []
    while (item := merge.pop(now, [0, 1, 2, 3], lambda p: p in behind)) is not None:
        out.append((item.partition, item.msg.offset))
    return out


def test_the_earliest_event_goes_first_whatever_the_partition() -> None:
    merge = EventTimeMerge(idle_s=0.2)
    merge.add(3, [pending(3, 0, 300.0), pending(3, 1, 301.0)])
    merge.add(2, [pending(2, 0, 200.0)])
    merge.add(1, [pending(1, 0, 100.0)])
    merge.add(0, [pending(0, 0, 50.0), pending(0, 1, 400.0)])
    assert drain(merge, now=0.0) == [(0, 0), (1, 0)]
    # Partition 1 has shown nothing later than 200 and has nothing on its way: it holds
    # the head back for the idle wait, counted from when it started to.
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

"""The worker applies the implausible-time rule in its lead stage: on the wall clock, an
event further ahead of its Kafka record's timestamp than `--clock-skew` is dead-lettered
with the reason, and a rebuild that reads the same records later judges them the same; on
the event clock, one further ahead of the partition's stream time than the policy's
`inputs.max_ahead`. (No broker needed: the lead stage's own `apply`.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path

from routing.policy.loader import load_policy
from streams.ahead import ahead_rule
from streams.lead_stage import Invalid, LeadStage
from streams.stage_state import ReadRange
from tests.replaying import EXAMPLES

LOADED = load_policy(EXAMPLES / "policy.yaml")
NOW = datetime.fromisoformat("2026-01-06T12:00:00-05:00").timestamp()
Log = Sequence[tuple[bytes, int | None]]  # input records and their Kafka timestamps (ms)


def _event(n: int, at: str) -> bytes:
    return (
        f'{{"event_id":"e{n}","type":"lead.engaged","at":"{at}","lead_id":"L-1",'
        '"activity":"email_open"}'
    ).encode()


def _stage(
    tmp_path: Path, clock: str, wall: Callable[[], float] = lambda: NOW, log: Log = ()
) -> LeadStage:
    """A lead stage recovered (rebuilt) from the input records `log`, with no snapshot."""
    rule = ahead_rule(LOADED, clock, wall, clock_skew_s=300.0)
    stage = LeadStage(
        LOADED, "in", 0, ahead=rule, snapshot_path=tmp_path / "s", fork_snapshots=False
    )

    async def records(start: int, end: int) -> AsyncIterator[tuple[int, bytes, int | None]]:
        for offset in range(start, end):
            yield offset, *log[offset]

    reader: ReadRange = records
    asyncio.run(stage.recover(len(log), reader))
    return stage


def test_wall_clock_dead_letters_an_event_from_the_future(tmp_path: Path) -> None:
    stage = _stage(tmp_path, "wall")
    stamp = int(NOW * 1000)  # the record's Kafka timestamp: sent at NOW
    fine = stage.apply(0, _event(1, "2026-01-06T12:04:00-05:00"), stamp)  # within 5 minutes
    assert not any(isinstance(r, Invalid) for r in fine)
    (dead,) = stage.apply(1, _event(2, "2026-01-06T12:10:00-05:00"), stamp)
    assert isinstance(dead, Invalid)
    assert "10 minutes ahead of its Kafka timestamp" in dead.reason
    assert "worker --clock-skew" in dead.reason
    # A record without a timestamp is judged against the worker's clock.
    (dead,) = stage.apply(2, _event(3, "2026-01-06T12:10:00-05:00"), -1)
    assert isinstance(dead, Invalid)
    assert "10 minutes ahead of the worker's clock" in dead.reason


def test_a_rebuild_judges_by_the_record_timestamp_not_by_when_it_reads(
    tmp_path: Path,
) -> None:
    """Read live at NOW, an event 10 minutes ahead of its record is refused and one 4
    minutes ahead is applied. A restart rebuilds the stage from the same records an hour
    later (the worker's clock has moved on): the same judgement, so the same desk (the
    refused event is not taken into the lead's record) and the same records for the next
    input. Judged by the wall clock at read time, the rebuild took the refused event in."""
    stamp = int(NOW * 1000)
    log: Log = [
        (_event(1, "2026-01-06T11:59:00-05:00"), stamp),
        (_event(2, "2026-01-06T12:10:00-05:00"), stamp),  # 10 minutes ahead: refused
        (_event(3, "2026-01-06T12:04:00-05:00"), stamp),
    ]
    live = _stage(tmp_path / "live", "wall")
    said = [live.apply(i, record, ts) for i, (record, ts) in enumerate(log)]
    assert [any(isinstance(r, Invalid) for r in out) for out in said] == [False, True, False]
    later = _stage(tmp_path / "rebuilt", "wall", wall=lambda: NOW + 3600, log=log)
    assert later.offset == live.offset == 2
    live_host, rebuilt_host = live.loaded_state, later.loaded_state
    # 2 applied (e2 never reached the desk); judged at read time, the rebuild applied 3
    assert rebuilt_host.stats == live_host.stats == {"applied": 2}
    nxt = (_event(4, "2026-01-06T12:06:00-05:00"), stamp)
    assert later.apply(3, *nxt) == live.apply(3, *nxt)


def test_event_clock_uses_the_policys_max_ahead(tmp_path: Path) -> None:
    stage = _stage(tmp_path, "event")
    first = stage.apply(0, _event(1, "2026-01-06T12:00:00-05:00"))
    assert not any(isinstance(r, Invalid) for r in first)
    soon = stage.apply(1, _event(2, "2026-01-20T12:00:00-05:00"))  # 14 days: fine
    assert not any(isinstance(r, Invalid) for r in soon)
    (dead,) = stage.apply(2, _event(3, "2062-01-20T12:00:00-05:00"))
    assert isinstance(dead, Invalid)
    assert "36.0 years ahead of the stream's time" in dead.reason
    assert "inputs.max_ahead" in dead.reason

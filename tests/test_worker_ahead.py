"""The worker applies the implausible-time rule in its lead stage: on the wall clock, an
event further ahead of the worker's clock than `--clock-skew` is dead-lettered with the
reason; on the event clock, one further ahead of the partition's stream time than the
policy's `inputs.max_ahead`. (No broker needed: the lead stage's own `apply`.)"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from routing.policy.loader import load_policy
from streams.ahead import ahead_rule
from streams.lead_stage import Invalid, LeadStage
from streams.stage_state import ReadRange
from tests.replaying import EXAMPLES

LOADED = load_policy(EXAMPLES / "policy.yaml")
NOW = datetime.fromisoformat("2026-01-06T12:00:00-05:00").timestamp()


def _event(n: int, at: str) -> bytes:
    return (
        f'{{"event_id":"e{n}","type":"lead.engaged","at":"{at}","lead_id":"L-1",'
        '"activity":"email_open"}'
    ).encode()


def _stage(tmp_path: Path, clock: str) -> LeadStage:
    rule = ahead_rule(LOADED, clock, lambda: NOW, clock_skew_s=300.0)
    stage = LeadStage(
        LOADED, "in", 0, ahead=rule, snapshot_path=tmp_path / "s", fork_snapshots=False
    )

    async def nothing(start: int, end: int):  # type: ignore[no-untyped-def]
        return
        yield

    reader: ReadRange = nothing
    asyncio.run(stage.recover(0, reader))
    return stage


def test_wall_clock_dead_letters_an_event_from_the_future(tmp_path: Path) -> None:
    stage = _stage(tmp_path, "wall")
    fine = stage.apply(0, _event(1, "2026-01-06T12:04:00-05:00"))  # within the 5 minutes
    assert not any(isinstance(r, Invalid) for r in fine)
    (dead,) = stage.apply(1, _event(2, "2026-01-06T12:10:00-05:00"))
    assert isinstance(dead, Invalid)
    assert "10 minutes ahead of the worker's clock" in dead.reason
    assert "worker --clock-skew" in dead.reason


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

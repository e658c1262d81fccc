"""A worker restarted with a later policy version (`--policy P1 --policy P2@TIME`) takes it
on over the snapshot it took under P1 alone: no rebuild from the routing log, the same
decisions as an engine given both versions from the start; a version that would take
effect before what was decided already is refused. Without a broker (the Kafka test is
tests/test_worker_policy_change.py)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from routing.engine import Engine
from routing.policy.loader import LoadedPolicy, load_policy
from routing.replay import dumps
from streams.pool_stage import PoolStage
from streams.records import apply_record, event_record, tick_record
from streams.stage_state import VersionError
from tests.streams import log_reader
from tests.worker_process import POLICY, sample_lines

P1 = load_policy(POLICY)
SNAPSHOT_AT = 8  # the snapshot covers routing records 0..8 (up to 2026-01-06 08:56)


def _p2(tmp_path: Path) -> Path:
    text = POLICY.read_text().replace(
        "first_touch: {within: 1h, clock: calendar}", "first_touch: {within: 30m, clock: calendar}"
    )  # demo requests: L-1003's, at 16:40
    path = tmp_path / "policy-v2.yaml"
    path.write_text(text.replace("team: team.yaml", f"team: {POLICY.parent / 'team.yaml'}"))
    return path


def _with(p2: Path, when: str) -> LoadedPolicy:
    return dataclasses.replace(
        P1, later=((datetime.fromisoformat(when).timestamp(), load_policy(p2)),)
    )


def _log() -> list[bytes]:
    records = [event_record(f"in:0:{i}", line) for i, line in enumerate(sample_lines())]
    return [*records, tick_record(None)]


async def _snapshot_under_p1(path: Path, log: list[bytes]) -> float:
    stage = PoolStage(P1, path, fork_snapshots=False)
    await stage.recover(0, log_reader(log))
    for offset in range(SNAPSHOT_AT + 1):
        stage.apply(offset, log[offset])
    stage.snapshot(0.0)
    return stage.loaded_engine.now


async def test_a_later_version_is_taken_on_over_the_snapshot(tmp_path: Path) -> None:
    log = _log()
    path = tmp_path / "pool-0.snapshot"
    now = await _snapshot_under_p1(path, log)
    both = _with(_p2(tmp_path), "2026-01-06T10:45:00-05:00")
    assert datetime.fromisoformat("2026-01-06T10:45:00-05:00").timestamp() > now

    stage = PoolStage(both, path, fork_snapshots=False)
    await stage.recover(SNAPSHOT_AT + 1, log_reader(log))
    assert (stage.recovered_from, stage.offset, stage.recovered) == ("file", SNAPSHOT_AT, 0)
    got = [dumps(o) for i in range(SNAPSHOT_AT + 1, len(log)) for o in stage.apply(i, log[i])]

    whole = Engine(both)
    want = [dumps(o) for record in log for o in apply_record(whole, record)]
    assert got == want[len(want) - len(got) :]
    p1_only = Engine(P1)
    before = [dumps(o) for record in log for o in apply_record(p1_only, record)]
    assert before != want  # the version changed something after 10:45
    assert before[: len(want) - len(got)] == want[: len(want) - len(got)]


async def test_a_version_before_what_was_decided_is_refused(tmp_path: Path) -> None:
    log = _log()
    path = tmp_path / "pool-0.snapshot"
    await _snapshot_under_p1(path, log)
    p2 = _p2(tmp_path)
    stage = PoolStage(_with(p2, "2026-01-06T08:30:00-05:00"), path, fork_snapshots=False)
    with pytest.raises(VersionError) as caught:
        await stage.recover(SNAPSHOT_AT + 1, log_reader(log))
    text = str(caught.value)
    assert text.startswith(f"{p2}: the version in force from 2026-01-06T08:30:00-05:00 starts")
    assert "choose a later instant" in text


def test_a_rep_event_sent_again_far_behind_is_applied_once() -> None:
    """A lead stage restarting far behind sends a rep event again after its id left the
    7-day window: dropped by its position in its input partition."""
    engine = Engine(P1)
    status = b'{"event_id":"r1","type":"rep.status","at":"2026-01-06T08:30:00-05:00",' + (
        b'"rep_id":"rep-02","status":"pto"}'
    )
    back = status.replace(b'"r1"', b'"r2"').replace(b"pto", b"available")
    assert apply_record(engine, event_record("in:0:0", status)) == []
    apply_record(engine, event_record("in:0:1", back))
    apply_record(engine, tick_record(datetime.fromisoformat("2026-02-20T09:00:00-05:00")
                                     .timestamp()))  # fmt: skip
    before = dict(engine.stats)
    assert apply_record(engine, event_record("in:0:0", status)) == []
    assert engine.router.reps["rep-02"].status == "available"
    assert engine.stats["duplicate"] == before.get("duplicate", 0) + 1


async def test_a_version_before_what_was_published_after_the_snapshot_is_refused(
    tmp_path: Path,
) -> None:
    """The records between the snapshot and the committed offset were decided, and
    published, under the old terms: a version starting among them is refused too."""
    log = _log()
    path = tmp_path / "pool-0.snapshot"
    await _snapshot_under_p1(path, log)
    stage = PoolStage(_with(_p2(tmp_path), "2026-01-06T12:00:00-05:00"), path,
                      fork_snapshots=False)  # fmt: skip
    with pytest.raises(VersionError, match="starts before what this worker has decided"):
        await stage.recover(len(log) - 1, log_reader(log))


async def test_a_restart_after_a_run_that_took_the_version_on_re_applies_past_it(
    tmp_path: Path,
) -> None:
    """A run took P2 on over the P1 snapshot and decided past P2's instant, then was killed
    before it wrote a snapshot under both: the next run finds the P1 snapshot again and
    re-applies records past the instant. Those were decided knowing P2 (the run noted
    where it took it on), so they are not refused, and what follows is what an engine
    given both versions from the start decides. The records before that run still must
    come before the instant (the test above)."""
    log = _log()
    path = tmp_path / "pool-0.snapshot"
    await _snapshot_under_p1(path, log)
    both = _with(_p2(tmp_path), "2026-01-06T10:45:00-05:00")
    switch = both.later[0][0]

    took = PoolStage(both, path, fork_snapshots=False)
    await took.recover(SNAPSHOT_AT + 1, log_reader(log))
    cut = len(log) - 3
    for i in range(SNAPSHOT_AT + 1, cut):  # decided past the switch, no snapshot written
        took.apply(i, log[i])
    assert took.loaded_engine.now > switch
    assert took.adopted_path.read_text().split()[1] == str(SNAPSHOT_AT)

    again = PoolStage(both, path, fork_snapshots=False)
    await again.recover(cut, log_reader(log))
    assert (again.recovered_from, again.recovered) == ("file", cut - SNAPSHOT_AT - 1)
    got = [dumps(o) for i in range(cut, len(log)) for o in again.apply(i, log[i])]
    whole = Engine(both)
    want = [dumps(o) for record in log for o in apply_record(whole, record)]
    assert got and got == want[len(want) - len(got) :]

    # A note for another list of versions says nothing about this one.
    took.adopted_path.write_text(f"{'00' * 32} {cut}\n")
    refused = PoolStage(both, path, fork_snapshots=False)
    with pytest.raises(VersionError, match="starts before what this worker has decided"):
        await refused.recover(cut, log_reader(log))

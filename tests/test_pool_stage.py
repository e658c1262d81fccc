"""The pool stage's state without a broker: routing records, snapshots, recovery.

A stage that snapshots, "crashes" and recovers from its snapshot plus the records after
it decides exactly what an uninterrupted stage decides (the property the Kafka fault test
checks end to end)."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import dumps, replay
from streams.pool_stage import PoolStage
from streams.records import apply_record, event_record, tick_record
from streams.snapshots import SnapshotError, SnapshotWriter, encode, fingerprint, read
from tests.streams import log_reader
from tests.worker_process import POLICY, sample_lines

LOADED = load_policy(POLICY)


def _log() -> list[bytes]:
    records = [event_record(f"in:0:{i}", line) for i, line in enumerate(sample_lines())]
    return [*records, tick_record(None)]


def test_the_routing_log_of_a_file_gives_the_replay() -> None:
    lines = sample_lines()
    engine = Engine(LOADED)
    got = [o for record in _log() for o in apply_record(engine, record)]
    want = list(replay(Engine(LOADED), lines))
    # Same decisions; the rejections name where the input was read (file line vs offset).
    assert [dumps(o) for o in got if o["type"] != "event.rejected"] == [
        dumps(o) for o in want if o["type"] != "event.rejected"
    ]
    assert [o["reason"] for o in got if o["type"] == "event.rejected"] == [
        o["reason"] for o in want if o["type"] == "event.rejected"
    ]


@pytest.mark.parametrize("fork", [False, True])
async def test_recovery_from_a_snapshot_decides_what_an_uninterrupted_stage_does(
    tmp_path: Path, fork: bool
) -> None:
    log = _log()
    whole = PoolStage(LOADED, tmp_path / "whole.snapshot", fork_snapshots=False)
    await whole.recover(0, log_reader(log))
    expected = [dumps(o) for i, r in enumerate(log) for o in whole.apply(i, r)]

    first = PoolStage(LOADED, tmp_path / "pool-0.snapshot", fork_snapshots=fork)
    await first.recover(0, log_reader(log))
    before = [dumps(o) for i, r in enumerate(log[:10]) for o in first.apply(i, r)]
    first.snapshot(now=1.0)
    first.writer.wait()
    # Applied after the snapshot, then lost in the crash: they come back from the log.
    for i in range(10, 15):
        first.apply(i, log[i])

    second = PoolStage(LOADED, tmp_path / "pool-0.snapshot", fork_snapshots=fork)
    gap = [dumps(o) for o in await second.recover(20, log_reader(log))]
    assert second.recovered == 10  # records 10..19
    rest = [dumps(o) for i, r in enumerate(log) if i >= 15 for o in second.apply(i, r)]
    # Records 15..19 are already in the engine (re-applied from the log): skipped.
    assert before + gap + rest == expected
    assert second.apply(5, log[5]) == []  # a record below the snapshot changes nothing


def test_a_snapshot_of_another_policy_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot"
    SnapshotWriter(path, b"x" * 32, LOADED, fork=False).write(Engine(LOADED), 7)
    assert read(path, fingerprint(LOADED), LOADED, Engine) is None
    assert read(path, b"x" * 32, LOADED, Engine) is not None


def test_a_damaged_snapshot_is_an_error_that_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot"
    SnapshotWriter(path, fingerprint(LOADED), LOADED, fork=False).write(Engine(LOADED), 7)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(SnapshotError, match=r"s\.snapshot"):
        read(path, fingerprint(LOADED), LOADED, Engine)
    path.write_bytes(b"not a snapshot")
    with pytest.raises(SnapshotError, match="bad header"):
        read(path, fingerprint(LOADED), LOADED, Engine)


async def test_recovery_takes_the_file_else_the_published_snapshot_else_the_log(
    tmp_path: Path,
) -> None:
    log = _log()
    fp = fingerprint(LOADED)
    at_10, at_20 = Engine(LOADED), Engine(LOADED)
    for i, record in enumerate(log[:21]):
        if i <= 10:
            apply_record(at_10, record)
        apply_record(at_20, record)
    published = encode(at_20, 20, fp, LOADED)
    asked: list[int] = []

    async def remote() -> bytes:
        asked.append(1)
        return published

    def stage(name: str, file_at: int | None) -> PoolStage:
        path = tmp_path / name
        if file_at is not None:
            SnapshotWriter(path, fp, LOADED, fork=False).write(at_10, file_at)
        return PoolStage(LOADED, path, fork_snapshots=False)

    usable = stage("usable.snapshot", 10)
    await usable.recover(25, log_reader(log), log_start=5, remote=remote)
    assert (usable.recovered_from, usable.offset, usable.recovered, asked) == ("file", 24, 14, [])

    trimmed = stage("trimmed.snapshot", 10)  # the log now starts after the file's offset
    await trimmed.recover(25, log_reader(log), log_start=21, remote=remote)
    assert (trimmed.recovered_from, trimmed.recovered, len(asked)) == ("kafka", 4, 1)

    empty = stage("empty.snapshot", None)  # another machine: no file
    await empty.recover(25, log_reader(log), log_start=0, remote=remote)
    assert (empty.recovered_from, empty.recovered) == ("kafka", 4)

    nothing = stage("nothing.snapshot", None)
    await nothing.recover(25, log_reader(log), log_start=0, remote=None)
    assert (nothing.recovered_from, nothing.recovered) == ("log", 25)
    # Whichever way, the same state: the same decisions for what comes next.
    tail = [
        [dumps(o) for i in range(25, len(log)) for o in s.apply(i, log[i])]
        for s in (usable, trimmed, empty, nothing)
    ]
    assert tail[0] and tail.count(tail[0]) == 4

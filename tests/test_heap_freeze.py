"""What the pool stage's state costs the worker's event loop: the garbage collector is kept
off its engine (streams.heap: once recovered and at each snapshot, the engine's objects
are in the permanent generation, which no collection traverses; a released stage hands
them back to the collector), and the forked snapshot writer runs at idle priority."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from routing.policy.loader import load_policy
from streams.heap import PauseWatch
from streams.pool_stage import PoolStage
from streams.records import event_record
from streams.snapshots import _background
from tests.worker_process import POLICY, sample_lines

LOADED = load_policy(POLICY)


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def collected(obj: object) -> bool:
    """`obj` is in one of the generations a collection traverses."""
    return any(o is obj for generation in range(3) for o in gc.get_objects(generation))


async def _nothing(start: int, end: int) -> AsyncIterator[tuple[int, bytes, int | None]]:
    for offset in range(start, end):
        yield offset, b"", None


def _apply_sample(stage: PoolStage) -> None:
    for i, line in enumerate(sample_lines()):
        stage.apply(i, event_record(f"in:0:{i}", line))


async def test_a_recovered_engine_is_frozen_and_released_thawed(tmp_path: Path) -> None:
    stage = PoolStage(LOADED, tmp_path / "pool.snapshot", fork_snapshots=False, freeze_heap=True)
    await stage.recover(0, _nothing)
    engine = stage.loaded_engine
    assert gc.is_tracked(engine)
    assert gc.get_freeze_count() > 0
    assert not collected(engine)
    stage.release()
    assert gc.get_freeze_count() == 0
    assert collected(engine)


@pytest.mark.parametrize("fork", [False, True])
async def test_what_the_engine_gained_is_frozen_at_each_snapshot(
    tmp_path: Path, fork: bool
) -> None:
    stage = PoolStage(LOADED, tmp_path / "pool.snapshot", fork_snapshots=fork, freeze_heap=True)
    await stage.recover(0, _nothing)
    _apply_sample(stage)
    lead = next(iter(stage.loaded_engine.leads.values()))  # created after the recovery
    assert gc.is_tracked(lead)
    gc.collect()  # a full collection would have moved it to generation 2 at most
    assert collected(lead)
    stage.snapshot(0.0)
    assert not collected(lead)
    stage_offset, leads = stage.offset, set(stage.loaded_engine.leads)
    stage.release()  # waits for a forked writer; the snapshot it wrote loads
    again = PoolStage(LOADED, tmp_path / "pool.snapshot", fork_snapshots=False)
    await again.recover(stage.snapshot_offset + 1, _nothing)
    assert again.recovered_from == "file"
    assert again.offset == stage_offset
    assert set(again.loaded_engine.leads) == leads


async def test_a_stage_used_as_a_library_leaves_the_collector_be(tmp_path: Path) -> None:
    stage = PoolStage(LOADED, tmp_path / "pool.snapshot", fork_snapshots=False)
    await stage.recover(0, _nothing)
    _apply_sample(stage)
    stage.snapshot(0.0)
    assert gc.get_freeze_count() == 0
    assert collected(stage.loaded_engine.leads)


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling classes")
def test_the_forked_writer_takes_the_cpu_only_when_it_is_idle() -> None:
    pid = os.fork()
    if pid == 0:
        _background()
        os._exit(0 if os.sched_getscheduler(0) == os.SCHED_IDLE else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_pause_watch_times_each_collection_until_stopped() -> None:
    seen: list[tuple[int, float]] = []
    watch = PauseWatch(lambda generation, seconds: seen.append((generation, seconds)))
    watch.start()
    try:
        gc.collect()
        gc.collect(1)
    finally:
        watch.stop()
    timed = len(seen)
    gc.collect()
    assert {2, 1} <= {g for g, _ in seen}  # (automatic young collections may come too)
    assert all(seconds >= 0 for _, seconds in seen)
    assert len(seen) == timed

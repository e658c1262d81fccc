"""Must-show 2: a worker killed with SIGKILL three times during a 20,000-event run, its
input keyed by lead (or rep) and spread over four partitions.

Afterwards the checks of tests/worker_outcome.py hold: the worker published exactly the
decisions of an uninterrupted oracle applying the routing log (same ids, same bytes, the
oracle's order per partition; repeats byte-identical), every MQL had one owner at a time,
no rep went over capacity, every due timer fired, no input was lost.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from benchmarks.generate import generate
from streams.snapshots import offset_of
from tests.kafka_harness import poll_until
from tests.worker_outcome import check_run, event_key
from tests.worker_process import WorkerRig, sample_lines, worker_rig_fixture  # noqa: F401

KILLS = 3
LEADS = 2000  # ~21,000 events with the generator's mix


async def _applied(rig: WorkerRig, at_least: int) -> bool:
    health = rig.health()
    return health.get("pool_stage") == "here" and health.get("routing_offset", -1) >= at_least


async def test_sigkill_three_times_loses_nothing(worker_rig: WorkerRig, tmp_path: Path) -> None:
    rig = worker_rig
    rig.partitions = 4  # keyed events spread over several input partitions
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
        producing = asyncio.create_task(rig.produce_keyed(chunk, event_key, rate=5000))
        if round_ < KILLS:
            # Kill it in the middle of the chunk, while it is routing.
            target = applied + len(chunk) // 3
            await poll_until(lambda t=target: _applied(rig, t), 120, what="progress")
            applied = rig.health().get("routing_offset", applied)
            rig.kill(proc)
        await producing

    outcome = await check_run(rig, policy, lines, rig.health)
    print(outcome.line(len(lines), f"{KILLS} kills"))


async def test_the_last_state_is_snapshotted_once_input_pauses(worker_rig: WorkerRig) -> None:
    """Input arrives in two bursts less than `--snapshot-every` apart, then stops: the
    state after the second burst still reaches the snapshot once it is due (a worker
    that snapshotted only when more input came would keep the first burst's state, and
    a restart would re-apply, and re-publish, everything after it)."""
    rig = worker_rig
    await rig.create_input()
    rig.start("--clock", "event", "--snapshot-every", "2", "--publish-snapshots", "0")
    await rig.ready()
    lines = sample_lines()
    await rig.produce(lines[:10])
    await poll_until(lambda: rig.health().get("routing_offset", -1) >= 9, 60, what="burst 1")
    await rig.produce(lines[10:])
    path = rig.state_dir / rig.app_id / "pool-0.snapshot"

    def snapshot_covers_the_log() -> tuple[int, int] | None:
        routed = rig.health().get("routing_offset", -1)
        if routed < len(lines) - 1 or not path.exists():
            return None
        covered = offset_of(path.read_bytes(), str(path))
        return (covered, routed) if covered == routed else None

    covered, routed = await poll_until(
        snapshot_covers_the_log, 60, interval_s=0.2, what="a snapshot of the last state"
    )
    assert covered == routed >= len(lines) - 1

"""Must-show 2: a worker killed with SIGKILL three times during a 20,000-event run, its
input keyed by lead (or rep) and spread over four partitions (the default), produced in
event-time order.

Afterwards the checks of tests/worker_outcome.py hold against `leadflow replay` of the
input in event-time order (routing.order): the routing log decides exactly what replay
decides, and the worker published exactly those decisions (same ids, same bytes, replay's
order per partition; repeats byte-identical); every MQL had one owner at a time, no rep
went over capacity, every due timer fired, no input was lost. After each kill the
restarted worker routes again within `--session-timeout` + 5 s.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from benchmarks.generate import generate
from routing.engine import Engine
from routing.order import in_event_time_order
from routing.policy.loader import load_policy
from streams.snapshots import offset_of
from tests.kafka_harness import poll_until
from tests.worker_outcome import check_run, event_key, replay_in_event_time_order
from tests.worker_process import WorkerRig, sample_lines, worker_rig_fixture  # noqa: F401

KILLS = 3
LEADS = 2000  # ~21,000 events with the generator's mix
SESSION_TIMEOUT_S = 6
# The lead stage holds an input back for a quiet partition this long at most: longer than
# the test producer's pauses on a busy machine, so that its input stays in event-time
# order (a partition whose input pauses longer lets the others go on: worker.md).
MERGE_IDLE_S = "2"


async def routing_end(rig: WorkerRig) -> int:
    """The routing log's end offset now."""
    consumer = AIOKafkaConsumer(bootstrap_servers=rig.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(rig.routing, 0)
        return int((await consumer.end_offsets([tp]))[tp])
    finally:
        await consumer.stop()


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
    args = (
        "--clock",
        "event",
        "--snapshot-every",
        "0.5",
        "--session-timeout",
        str(SESSION_TIMEOUT_S),
    )

    rounds = KILLS + 1
    lines = in_event_time_order(lines)
    chunks = [
        lines[i * len(lines) // rounds : (i + 1) * len(lines) // rounds] for i in range(rounds)
    ]
    where: list[str] = []
    recoveries: list[float] = []
    applied = -1
    proc = rig.start(*args, policy=policy, LEADFLOW_MERGE_IDLE_S=MERGE_IDLE_S)
    await rig.ready(deadline_s=120)
    for round_, chunk in enumerate(chunks):
        producing = asyncio.create_task(rig.produce_keyed(chunk, event_key, rate=5000))
        if round_ < KILLS:
            # Kill it in the middle of the chunk, while it is routing; start another at once.
            target = applied + len(chunk) // 3
            await poll_until(lambda t=target: _applied(rig, t), 120, what="progress")
            rig.kill(proc)
            killed = time.monotonic()
            end = await routing_end(rig)  # nothing more is appended by the dead worker
            proc = rig.start(*args, policy=policy, LEADFLOW_MERGE_IDLE_S=MERGE_IDLE_S)
            where += await producing
            # Routing again: the new worker applied a record appended after the kill.
            await poll_until(lambda e=end: _applied(rig, e), 120, what="routing again")
            recoveries.append(time.monotonic() - killed)
            applied = rig.health().get("routing_offset", applied)
        else:
            where += await producing

    replayed = replay_in_event_time_order(
        Engine(load_policy(policy)), list(zip(lines, where, strict=True))
    )
    outcome = await check_run(rig, policy, lines, rig.health, replayed=replayed)
    print(outcome.line(len(lines), f"{KILLS} kills"))
    print("kill to routing again: " + ", ".join(f"{s:.1f} s" for s in recoveries))
    limit = SESSION_TIMEOUT_S + 5
    assert all(s < limit for s in recoveries), f"routing again took {recoveries} (> {limit} s)"


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

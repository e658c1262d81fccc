"""Issue 16, must-show 3: a live policy change on the real broker, mid-stream.

A worker runs on P1 for the first third of a generated stream (all of it before the
switch instant). It is then killed and restarted with `--policy P1 --policy P2@SWITCH`,
and takes the new version on over its snapshot (taken under P1 alone: it re-decides
nothing of the routing log before it) (P2: tier1
touched within 2 business hours instead of 4, the follow-up cadence within 5 business
days instead of 10, an MQL needs a score of 70 instead of 50), the rest of the stream is
produced, and once the worker has routed past the switch it is killed with SIGKILL and
started again at once with the same two versions.

The checks of tests/worker_outcome.py hold against `leadflow replay` with the same two
versions and switch instant (in event-time order): the published decisions equal the
replay's byte for byte by `event_id`, and a decision published twice (before the switch,
at the restart with P2, or after the kill) is byte-identical each time. And the switch
did change decisions: the replay with both versions differs from P1's alone, only in
decisions at or after the switch.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

from benchmarks.generate import generate
from routing.engine import Engine
from routing.order import in_event_time_order
from routing.policy.loader import load_policy
from routing.policy.versioned import load_versions
from routing.replay import dumps
from streams.snapshots import offset_of_file
from tests.kafka_harness import poll_until
from tests.worker_outcome import check_run, event_key, replay_in_event_time_order
from tests.worker_process import POLICY, WorkerRig, sample_lines, worker_rig_fixture  # noqa: F401

TEAM = POLICY.parent / "team.yaml"
LEADS = 800
SESSION_TIMEOUT_S = 6
MERGE_IDLE_S = "2"  # as tests/test_worker_crash.py: keeps the input in event-time order


def new_terms(text: str) -> str:
    changed = (
        text.replace("first_touch: {within: 4h, clock: business}",
                     "first_touch: {within: 2h, clock: business}")
        .replace("    within: 10d\n", "    within: 5d\n")
        .replace("score: {min: 50}", "score: {min: 70}")
    )  # fmt: skip
    assert changed.count("2h, clock: business") == 1 and "within: 5d" in changed
    assert "score: {min: 70}" in changed
    return changed


def _at(line: bytes) -> float:
    return datetime.fromisoformat(json.loads(line)["at"]).timestamp()


def _snapshot_covers(rig: WorkerRig) -> bool:
    path = rig.state_dir / rig.app_id / "pool-0.snapshot"
    routed = rig.health().get("routing_offset", -1)
    return path.exists() and offset_of_file(path) == routed


async def _applied(rig: WorkerRig, at_least: int) -> bool:
    health = rig.health()
    return health.get("pool_stage") == "here" and health.get("routing_offset", -1) >= at_least


async def test_a_live_policy_change_then_a_kill_publishes_what_replay_decides(
    worker_rig: WorkerRig, tmp_path: Path
) -> None:
    rig = worker_rig
    rig.partitions = 4
    stream = tmp_path / "data" / "stream.jsonl"
    generate(LEADS, 40, stream, seed=16, weeks=2)
    p1 = stream.parent / "policy.yaml"
    p2 = stream.parent / "policy-v2.yaml"
    p2.write_text(new_terms(p1.read_text()))
    lines = in_event_time_order(
        [line for line in stream.read_bytes().splitlines() if line.strip()]
    )
    valid = [line for line in lines if event_key(line) != b"malformed"]
    switch = _at(valid[len(valid) // 2])  # the switch: the middle of the stream's time
    switch_text = datetime.fromtimestamp(switch).astimezone().isoformat()
    first, rest = lines[: len(lines) // 3], lines[len(lines) // 3 :]
    assert all(_at(line) < switch for line in first if event_key(line) != b"malformed")
    versions = ("--policy", f"{p2}@{switch_text}")
    args = ("--clock", "event", "--snapshot-every", "0.5",
            "--session-timeout", str(SESSION_TIMEOUT_S))  # fmt: skip
    await rig.create_input()

    # P1 alone, the first third of the stream.
    proc = rig.start(*args, policy=p1, LEADFLOW_MERGE_IDLE_S=MERGE_IDLE_S)
    await rig.ready(deadline_s=120)
    where = await rig.produce_keyed(first, event_key, rate=5000)
    await poll_until(lambda: _applied(rig, len(first) // 2), 120, what="the first third")
    # The change: the worker is restarted with the new version (killed, to make it hard).
    rig.kill(proc)
    proc = rig.start(*args, *versions, policy=p1, LEADFLOW_MERGE_IDLE_S=MERGE_IDLE_S)
    producing = asyncio.create_task(rig.produce_keyed(rest, event_key, rate=4000))
    # It took P2 on over its snapshot (taken under P1 alone), re-deciding nothing.
    health = await rig.ready(deadline_s=120)
    assert health["recovered_from"] == "file", health
    assert health["recovered_records"] < len(first) // 2, health
    # Killed again once it has routed well past the switch (two thirds of the records).
    target = len(first) + len(rest) // 2
    await poll_until(lambda: _applied(rig, target), 180, what="routing past the switch")
    rig.kill(proc)
    rig.start(*args, *versions, policy=p1, LEADFLOW_MERGE_IDLE_S=MERGE_IDLE_S)
    where += await producing

    loaded = load_versions([str(p1), f"{p2}@{switch_text}"])
    sent = list(zip(lines, where, strict=True))
    replayed = replay_in_event_time_order(Engine(loaded), sent)
    outcome = await check_run(rig, p1, lines, rig.health, replayed=replayed, loaded=loaded)
    print(outcome.line(len(lines), "a policy change and 2 kills"))

    # The switch changed decisions, and only from its instant on.
    p1_only = {d["event_id"]: dumps(d) for d in replay_in_event_time_order(
        Engine(load_policy(p1)), sent)}  # fmt: skip
    both = {d["event_id"]: dumps(d) for d in replayed}
    changed = [i for i in both if p1_only.get(i) != both[i]]
    assert len(changed) > 50, "the new terms changed nothing: the test shows nothing"
    before = [i for i in changed if datetime.fromisoformat(
        json.loads(both[i])["at"]).timestamp() < switch]  # fmt: skip
    assert before == [], f"decisions before the switch changed: {before[:5]}"
    assert any('"first_touch_due"' in both[i] and '"tier":"tier1"' in both[i] for i in changed)


async def test_a_version_before_what_the_worker_decided_stops_it(
    worker_rig: WorkerRig, tmp_path: Path
) -> None:
    """Restarted with a version whose instant is before what it decided already (the
    sample ends on 2026-01-07), the worker refuses to start: it exits non-zero, saying
    why, and publishes nothing more."""
    rig = worker_rig
    await rig.create_input()
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.read_text().replace("team: team.yaml", f"team: {TEAM}"))
    p2 = tmp_path / "policy-v2.yaml"
    p2.write_text(new_terms(policy.read_text()))
    args = ("--clock", "event", "--snapshot-every", "0.2")
    proc = rig.start(*args, policy=policy)
    await rig.ready()
    lines = sample_lines()
    await rig.produce(lines)
    await poll_until(lambda: rig.health().get("routing_offset", -1) >= len(lines) - 2, 60,
                     what="the sample routed")  # fmt: skip
    await poll_until(lambda: _snapshot_covers(rig), 60, what="a snapshot of it")
    rig.stop_all()
    assert proc.returncode in (0, -15)
    late = rig.start(*args, "--policy", f"{p2}@2026-01-06T12:00:00-05:00", policy=policy)

    def exited() -> int | None:
        return late.poll()

    await poll_until(lambda: exited() is not None, 90, what="the worker to stop")
    assert late.returncode != 0
    log = rig.logs[-1].read_text(errors="replace")
    assert "the version in force from 2026-01-06T12:00:00-05:00 starts before what this " \
        "worker has decided already" in log.replace("\n", " ")

"""Two workers of the same app at once, against the real broker: the input's four
partitions are shared between their lead stages, the pool stage is on one of them.

- The worker holding the pool stage is killed (SIGKILL) in the middle of the run; the
  other takes over the pool stage and every input partition while the input keeps
  coming; the killed one is restarted (its own state directory) and rejoins.
- One of two workers is stopped gracefully (SIGTERM): it hands over (outputs
  acknowledged, offsets committed, snapshot), the other goes on.

Afterwards the checks of tests/worker_outcome.py hold (the decisions of an uninterrupted
oracle applying the routing log, byte for byte; one owner per MQL; no rep over capacity;
every due timer fired; nothing lost), and after the graceful stop nothing was published
twice.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from benchmarks.generate import generate
from routing.events import parse_event
from tests.kafka_harness import poll_until
from tests.worker_outcome import check_run, event_key
from tests.worker_process import WorkerRig, worker_rig_fixture  # noqa: F401

PARTITIONS = 4
LEADS = 1200  # ~12,500 events with the generator's mix
ARGS = ("--clock", "event", "--snapshot-every", "0.5", "--session-timeout", "6")
SLOTS = (1, 2)


def _stream(tmp_path: Path, seed: int) -> tuple[Path, list[bytes]]:
    stream = tmp_path / "data" / "stream.jsonl"
    generate(LEADS, 60, stream, seed=seed, weeks=3)
    lines = [line for line in stream.read_bytes().splitlines() if line.strip()]
    return stream.parent / "policy.yaml", lines


def _thirds(lines: list[bytes]) -> list[list[bytes]]:
    return [lines[i * len(lines) // 3 : (i + 1) * len(lines) // 3] for i in range(3)]


def _pool_owner(rig: WorkerRig, slots: tuple[int, ...] = SLOTS) -> int | None:
    """The slot whose worker holds the pool stage (recovered), if any."""
    rig.check_alive()
    for slot in slots:
        if rig.health(slot).get("pool_stage") == "here":
            return slot
    return None


def _owner_health(rig: WorkerRig) -> dict[str, Any]:
    owner = _pool_owner(rig)
    return rig.health(owner) if owner is not None else {}


def _sharing(rig: WorkerRig, slots: tuple[int, ...]) -> bool:
    """Every input partition is held, by the workers in `slots` only, each holding some."""
    held = [rig.health(slot).get("input_partitions") or [] for slot in slots]
    return all(held) and sorted(p for h in held for p in h) == list(range(PARTITIONS))


async def _two_workers(
    rig: WorkerRig, tmp_path: Path, seed: int
) -> tuple[Path, list[bytes], dict[int, Any]]:
    """A generated stream, its input topic, and two workers sharing it."""
    rig.partitions = PARTITIONS
    policy, lines = _stream(tmp_path, seed)
    await rig.create_input()
    procs = {slot: rig.start(*ARGS, policy=policy, slot=slot) for slot in SLOTS}
    await poll_until(lambda: _pool_owner(rig), 120, interval_s=0.2, what="a pool stage owner")
    await poll_until(lambda: _sharing(rig, SLOTS), 120, interval_s=0.2, what="input shared")
    return policy, lines, procs


def _valid(lines: list[bytes]) -> int:
    """How many distinct valid events `lines` hold (the generator repeats some on purpose)."""
    return len({parse_event(line).event_id for line in lines if event_key(line) != b"malformed"})


async def _routed(rig: WorkerRig, at_least: int) -> bool:
    """The pool stage's engine has taken (applied or refused) `at_least` input events."""
    stats = _owner_health(rig).get("engine", {})
    return stats.get("applied", 0) + stats.get("refused", 0) >= at_least


async def test_pool_owner_killed_the_other_takes_over(
    worker_rig: WorkerRig, tmp_path: Path
) -> None:
    rig = worker_rig
    policy, lines, procs = await _two_workers(rig, tmp_path, seed=21)
    first, second, third = _thirds(lines)

    await rig.produce_keyed(first, event_key, rate=4000)
    producing = asyncio.create_task(rig.produce_keyed(second, event_key, rate=2000))
    await poll_until(lambda: _routed(rig, _valid(first)), 120, what="progress")
    owner = _pool_owner(rig)
    assert owner is not None
    survivor = next(slot for slot in SLOTS if slot != owner)
    rig.kill(procs[owner])  # in the middle of the second third, while it routes

    # The survivor takes the pool stage and every input partition over.
    await poll_until(lambda: _pool_owner(rig, (survivor,)), 120, what="pool stage moved")
    await poll_until(lambda: _sharing(rig, (survivor,)), 120, what="input moved")
    await producing

    # The killed worker comes back with its own state directory and rejoins.
    procs[owner] = rig.start(*ARGS, policy=policy, slot=owner)
    await poll_until(lambda: _sharing(rig, SLOTS), 120, interval_s=0.2, what="rejoined")
    await rig.produce_keyed(third, event_key, rate=4000)

    outcome = await check_run(rig, policy, lines, lambda: _owner_health(rig))
    print(outcome.line(len(lines), "pool owner killed, survivor took over, restarted"))


async def test_graceful_stop_hands_over_without_repeats(
    worker_rig: WorkerRig, tmp_path: Path
) -> None:
    rig = worker_rig
    policy, lines, procs = await _two_workers(rig, tmp_path, seed=22)
    half = len(lines) // 2

    await rig.produce_keyed(lines[:half], event_key, rate=4000)
    await poll_until(lambda: _routed(rig, _valid(lines[:half])), 120, what="half routed")
    owner = _pool_owner(rig)
    assert owner is not None
    survivor = next(slot for slot in SLOTS if slot != owner)
    procs[owner].send_signal(signal.SIGTERM)
    assert procs[owner].wait(timeout=60) == 0, rig.log_tail()

    await poll_until(lambda: _sharing(rig, (survivor,)), 120, what="input moved")
    await rig.produce_keyed(lines[half:], event_key, rate=4000)
    await poll_until(lambda: _pool_owner(rig, (survivor,)), 120, what="pool stage moved")

    outcome = await check_run(rig, policy, lines, lambda: rig.health(survivor))
    print(outcome.line(len(lines), "pool owner stopped (SIGTERM)"))
    assert outcome.repeats == 0, "a graceful handover published a decision twice"

"""The worker's snapshot forks are spaced out across all its stages (streams.partitions)."""

from __future__ import annotations

from itertools import pairwise

from streams.partitions import ForkGate


def test_a_fork_closes_the_gate_for_its_gap_then_it_opens_again() -> None:
    gate = ForkGate(0.5)
    assert gate.open(100.0)  # nothing forked yet
    gate.forked(100.0)
    assert not gate.open(100.0)
    assert not gate.open(100.49)
    assert gate.open(100.5)


def test_five_stages_due_at_once_fork_one_per_gap() -> None:
    """What the consume loops do with one shared gate: every stage is due at t = 0, and
    polls come every 10 ms; the forks fall one gap apart, not in one poll."""
    gate = ForkGate(0.5)
    due = {p: True for p in range(5)}
    forks: list[tuple[float, int]] = []
    for tick in range(300):
        now = tick * 0.01
        for p in due:
            if due[p] and gate.open(now):
                due[p] = False
                gate.forked(now)
                forks.append((now, p))
    times = [t for t, _ in forks]
    assert len(forks) == 5
    assert all(b - a >= 0.5 - 1e-9 for a, b in pairwise(times))


def test_no_gap_never_holds_a_fork_back() -> None:
    gate = ForkGate(0.0)
    gate.forked(3.0)
    assert gate.open(3.0)

"""Pacing on a given clock: the token bucket never outruns its rate, bursts multiply it
inside their windows, and a replay keeps the recorded timeline scaled by the speed."""

from __future__ import annotations

import pytest

from streams.pacing import BANK_S, Bursts, RatePacer, TimelinePacer, TokenBucket


def send_greedily(pacer: RatePacer, until_s: float, step_s: float = 0.0001) -> list[float]:
    """Send whenever the pacer allows, on a simulated clock; return the send times."""
    now, times = 0.0, []
    while now < until_s:
        wait = pacer.delay(now)
        now += wait
        times.append(now)
        now += step_s  # the cost of one send
    return times


@pytest.mark.parametrize("rate", [50.0, 2000.0, 10_000.0])
def test_bucket_never_exceeds_its_rate(rate: float) -> None:
    times = send_greedily(RatePacer(rate, 0.0), 3.0, step_s=1 / rate / 10)
    bank = max(1.0, rate * BANK_S)
    for window in (0.25, 1.0, 3.0):
        in_window = sum(1 for t in times if t < window)
        assert in_window <= rate * window + bank + 1
    assert len(times) >= rate * 3.0 - 1  # and it does not fall behind when it can keep up


def test_bucket_catches_up_after_a_stall_but_only_by_its_bank() -> None:
    bucket = TokenBucket(1000.0, 0.0)
    assert bucket.take(0.0) == 0.0
    # The sender stalls for half a second: at most 0.1 s of tokens were banked.
    free = 0
    while bucket.take(0.5) == 0.0:
        free += 1
    assert free == pytest.approx(1000.0 * BANK_S, abs=1)


def test_bucket_waits_exactly_the_interval() -> None:
    bucket = TokenBucket(100.0, 0.0, burst=1.0)
    assert bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == pytest.approx(0.01)
    assert bucket.take(0.0) == pytest.approx(0.02)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0.0, 0.0)


def test_bursts_are_seeded_and_multiply_the_rate() -> None:
    plan = Bursts(every_s=5.0, for_s=1.0, factor=4.0, seed=3)
    windows = plan.windows(60.0)
    assert windows == Bursts(every_s=5.0, for_s=1.0, factor=4.0, seed=3).windows(60.0)
    assert windows != Bursts(every_s=5.0, for_s=1.0, factor=4.0, seed=4).windows(60.0)
    assert len(windows) >= 3
    assert all(b - a == 1.0 for a, b in windows)
    pacer = RatePacer(100.0, 10.0, bursts=plan, horizon_s=60.0)
    a, b = windows[0]
    assert b > a
    assert pacer.rate_at(10.0 + a + 0.5) == 400.0
    assert pacer.in_burst(10.0 + a + 1e-6)
    assert not pacer.in_burst(10.0 + a - 1e-6)
    assert pacer.rate_at(10.0 + a - 1e-6) == 100.0


def test_burst_windows_carry_more_sends() -> None:
    plan = Bursts(every_s=4.0, for_s=1.0, factor=5.0, seed=1)
    pacer = RatePacer(200.0, 0.0, bursts=plan, horizon_s=20.0)
    times = send_greedily(pacer, 20.0)
    windows = plan.windows(20.0)
    inside = sum(1 for t in times if any(a <= t < b for a, b in windows))
    burst_s = sum(min(b, 20.0) - a for a, b in windows)
    assert inside / burst_s > 3 * 200.0  # about 5x the base rate inside the windows
    outside = len(times) - inside
    assert outside / (20.0 - burst_s) < 1.2 * 200.0


def test_timeline_pacer_scales_the_recorded_gaps() -> None:
    pacer = TimelinePacer(speed=2.0, start=100.0)
    assert pacer.delay(100.0, at_s=5000.0) == 0.0  # the first event goes at once
    assert pacer.delay(100.0, at_s=5010.0) == pytest.approx(5.0)  # 10 s of event time / 2
    assert pacer.delay(104.0, at_s=5010.0) == pytest.approx(1.0)
    assert pacer.delay(200.0, at_s=5004.0) == 0.0  # late: never a negative wait


def test_timeline_pacer_speed_zero_never_waits() -> None:
    pacer = TimelinePacer(speed=0.0, start=0.0)
    assert pacer.delay(0.0, at_s=0.0) == 0.0
    assert pacer.delay(0.0, at_s=86_400.0) == 0.0
    with pytest.raises(ValueError, match="speed"):
        TimelinePacer(speed=-1.0, start=0.0)


def test_planned_rate_counts_the_burst_seconds() -> None:
    plan = Bursts(every_s=4.0, for_s=1.0, factor=5.0, seed=1)
    pacer = RatePacer(200.0, 0.0, bursts=plan, horizon_s=20.0)
    burst_s = sum(min(b, 20.0) - a for a, b in plan.windows(20.0))
    assert pacer.planned_rate(20.0) == pytest.approx(200.0 * (1 + 4 * burst_s / 20.0))
    assert RatePacer(200.0, 0.0).planned_rate(20.0) == 200.0
    times = send_greedily(pacer, 20.0)
    assert len(times) / 20.0 == pytest.approx(pacer.planned_rate(20.0), rel=0.05)


@pytest.mark.parametrize(("every", "length", "factor"), [(0, 1, 2), (5, 0, 2), (5, 1, 0.5)])
def test_bursts_refuse_a_plan_that_makes_no_sense(
    every: float, length: float, factor: float
) -> None:
    with pytest.raises(ValueError, match="bursts need"):
        Bursts(every_s=every, for_s=length, factor=factor)

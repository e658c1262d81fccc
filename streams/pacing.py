"""When to send the next event: a token bucket at a target rate (with optional campaign
bursts), or a recorded stream's own timeline scaled by a speed. Times are monotonic
seconds passed in by the caller; nothing here reads a clock."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

BANK_S = 0.1


class TokenBucket:
    """`rate` tokens per second, at most `burst` banked. `take(now)` spends one token and
    says how long to wait until it was due (0 when one was banked). The bank (0.1 s of
    tokens by default) lets the sender catch up after a stall of the event loop or the
    machine without ever exceeding the rate over any window longer than that."""

    def __init__(self, rate: float, now: float, *, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError(f"the rate must be positive, got {rate}")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate * BANK_S)
        self.tokens = 1.0
        self.last = now

    def take(self, now: float, rate: float | None = None) -> float:
        current = rate if rate is not None else self.rate
        if now > self.last:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * current)
            self.last = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / current


@dataclass(frozen=True)
class Bursts:
    """Campaign spikes: about every `every_s` seconds (exponential gaps, seeded), the rate
    is multiplied by `factor` for `for_s` seconds."""

    every_s: float = 30.0
    for_s: float = 3.0
    factor: float = 4.0
    seed: int = 7

    def __post_init__(self) -> None:
        if not (self.every_s > 0 and self.for_s > 0 and self.factor >= 1):
            raise ValueError(
                "bursts need a positive period and length and a factor of at least 1; got "
                f"every {self.every_s} s, for {self.for_s} s, x{self.factor}"
            )

    def windows(self, horizon_s: float) -> list[tuple[float, float]]:
        """[start, end) seconds after the run's start, up to `horizon_s`."""
        rng = np.random.default_rng([self.seed, 0xB0057])
        out: list[tuple[float, float]] = []
        t = float(rng.exponential(self.every_s))
        while t < horizon_s:
            out.append((t, t + self.for_s))
            t += self.for_s + float(rng.exponential(self.every_s))
        return out


class RatePacer:
    """A fixed rate, or a fixed rate with burst windows."""

    def __init__(
        self, rate: float, start: float, *, bursts: Bursts | None = None, horizon_s: float = 86400
    ) -> None:
        self.rate = rate
        self.start = start
        self.bucket = TokenBucket(rate, start)
        self.windows = bursts.windows(horizon_s) if bursts is not None else []
        self._starts = [a for a, _ in self.windows]
        self.factor = bursts.factor if bursts is not None else 1.0

    def in_burst(self, now: float) -> bool:
        elapsed = now - self.start
        i = bisect.bisect_right(self._starts, elapsed) - 1
        return i >= 0 and elapsed < self.windows[i][1]

    def planned_rate(self, elapsed_s: float) -> float:
        """The average rate the plan asks for over the first `elapsed_s` seconds."""
        if elapsed_s <= 0:
            return self.rate
        burst_s = sum(max(0.0, min(b, elapsed_s) - a) for a, b in self.windows)
        return self.rate * (1 + (self.factor - 1) * burst_s / elapsed_s)

    def rate_at(self, now: float) -> float:
        return self.rate * self.factor if self.in_burst(now) else self.rate

    def delay(self, now: float, at_s: float | None = None) -> float:
        rate = self.rate_at(now)
        self.bucket.burst = max(1.0, rate * BANK_S)
        return self.bucket.take(now, rate)


class TimelinePacer:
    """A recorded stream's own timing: the event at `at_s` goes out `(at_s - first) / speed`
    seconds after the first one; speed 0 sends as fast as possible."""

    def __init__(self, speed: float, start: float) -> None:
        if speed < 0:
            raise ValueError(f"the speed must be 0 (as fast as possible) or positive, got {speed}")
        self.speed = speed
        self.start = start
        self.first: float | None = None

    def in_burst(self, now: float) -> bool:
        return False

    def delay(self, now: float, at_s: float | None = None) -> float:
        if self.speed == 0 or at_s is None:
            return 0.0
        if self.first is None:
            self.first = at_s
        due = self.start + (at_s - self.first) / self.speed
        return max(0.0, due - now)

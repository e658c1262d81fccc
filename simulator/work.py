"""The work model's numbers: duration distributions and what a connected lead becomes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np

from simulator.scenario import AfterConnect, Distribution, Exponential, Fixed, Lognormal

BATCH = 256
Channel = Literal["call", "email", "linkedin", "sms", "meeting"]
Outcome = Literal["accepted", "rejected", "deferred"]


class Sampler:
    """Whole seconds drawn from a distribution given in minutes (drawn in batches)."""

    __slots__ = ("_buf", "_draw", "_i")

    def __init__(self, dist: Distribution, rng: np.random.Generator) -> None:
        self._draw: Callable[[], np.ndarray]
        if isinstance(dist, Fixed):
            value = dist.value * 60.0
            self._draw = lambda: np.full(BATCH, value)
        elif isinstance(dist, Exponential):
            scale = dist.mean * 60.0
            self._draw = lambda: rng.exponential(scale, BATCH)
        else:
            mu, sigma = lognormal_params(dist)
            self._draw = lambda: np.exp(rng.normal(mu, sigma, BATCH)) * 60.0
        self._buf: list[int] = []
        self._i = 0

    def __call__(self) -> int:
        if self._i >= len(self._buf):
            self._buf = np.rint(self._draw()).astype(np.int64).tolist()
            self._i = 0
        value = self._buf[self._i]
        self._i += 1
        return value


def lognormal_params(dist: Lognormal) -> tuple[float, float]:
    """(mu, sigma) of the underlying normal, from the mean and sd of the lognormal."""
    sigma2 = math.log1p((dist.sd / dist.mean) ** 2)
    return math.log(dist.mean) - sigma2 / 2.0, math.sqrt(sigma2)


def mean_minutes(dist: Distribution) -> float:
    return dist.value if isinstance(dist, Fixed) else dist.mean


class Outcomes:
    """Turns a uniform draw into a disposition: ("accepted", "accepted") or
    ("rejected", reason), by the `after_connect` shares."""

    def __init__(self, spec: AfterConnect, accepted_reason: str) -> None:
        self.cuts: list[tuple[float, Outcome, str]] = []
        acc = spec.accepted
        self.cuts.append((acc, "accepted", accepted_reason))
        for reason, share in spec.rejected.items():
            acc += share
            self.cuts.append((acc, "rejected", reason))

    def pick(self, u: float) -> tuple[Outcome, str]:
        for cut, outcome, reason in self.cuts:
            if u < cut:
                return outcome, reason
        return self.cuts[-1][1], self.cuts[-1][2]

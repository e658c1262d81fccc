"""Compare scenarios on the same random numbers: one seed and one replication count for
all, so each replication of every scenario sees the same arrivals (where the sources are
the same) and the same rep draws."""

from __future__ import annotations

from typing import Any

from simulator.aggregate import aggregate
from simulator.run import Progress, run_many
from simulator.scenario import Scenario


def compare(scenarios: list[Scenario], progress: Progress | None = None) -> list[dict[str, Any]]:
    first = scenarios[0]
    aligned = [s.with_runs(first.replications, first.seed) for s in scenarios]
    n = first.replications
    runs = run_many([(s, i) for s in aligned for i in range(n)], progress)
    return [aggregate(s, runs[k * n : (k + 1) * n]) for k, s in enumerate(aligned)]

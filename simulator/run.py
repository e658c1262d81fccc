"""Run a scenario's replications (in parallel when there are several) and aggregate them."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from simulator.aggregate import aggregate
from simulator.driver import run_replication
from simulator.leadgen import tier_templates
from simulator.scenario import Scenario

Progress = Callable[[int, int], None]


def _job(args: tuple[Scenario, int]) -> dict[str, Any]:
    scenario, index = args
    return run_replication(scenario, index, tier_templates(scenario.loaded.policy))


def workers(jobs: int) -> int:
    """Processes to use: one per core, at most one per job (LEADFLOW_SIM_WORKERS overrides)."""
    wanted = os.environ.get("LEADFLOW_SIM_WORKERS")
    cores = int(wanted) if wanted else (os.cpu_count() or 1)
    return max(1, min(cores, jobs))


def run_many(
    jobs: list[tuple[Scenario, int]], progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Run (scenario, replication) jobs; results in job order."""
    n = workers(len(jobs))
    results: list[dict[str, Any]] = []
    if n == 1:
        for i, job in enumerate(jobs):
            results.append(_job(job))
            if progress:
                progress(i + 1, len(jobs))
        return results
    ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ctx.Pool(n) as pool:
        for i, result in enumerate(pool.imap(_job, jobs)):
            results.append(result)
            if progress:
                progress(i + 1, len(jobs))
    return results


def simulate(scenario: Scenario, progress: Progress | None = None) -> dict[str, Any]:
    """Every replication of the scenario, aggregated into the results JSON."""
    started = time.perf_counter()
    runs = run_many([(scenario, i) for i in range(scenario.replications)], progress)
    result = aggregate(scenario, runs)
    result["wall_seconds"] = round(time.perf_counter() - started, 3)
    return result


class ProgressBar:
    """A progress line on stderr: `label [#####.....] 5/10, 3.2 s`."""

    def __init__(self, label: str, stream: Any = None) -> None:
        self.label = label
        self.out = stream or sys.stderr
        self.start = time.perf_counter()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        elapsed = time.perf_counter() - self.start
        self.out.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}, "
            f"{elapsed:.1f} s"
        )
        self.out.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.out.write("\n")
            self.out.flush()

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

Progress = Callable[[float, int], None]  # (replications done, in fractions; of how many)
POLL_S = 0.25

_shares: Any = None  # in pool workers: the shared array of each job's share done


def _init(shares: Any) -> None:
    global _shares
    _shares = shares


def _job(args: tuple[Scenario, int, int]) -> dict[str, Any]:
    scenario, index, slot = args

    def tick(share: float) -> None:
        if _shares is not None:
            _shares[slot] = share

    return run_replication(scenario, index, tier_templates(scenario.loaded.policy), tick)


def workers(jobs: int) -> int:
    """Processes to use: one per core, at most one per job (LEADFLOW_SIM_WORKERS overrides)."""
    wanted = os.environ.get("LEADFLOW_SIM_WORKERS")
    cores = int(wanted) if wanted else (os.cpu_count() or 1)
    return max(1, min(cores, jobs))


def run_many(
    jobs: list[tuple[Scenario, int]], progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Run (scenario, replication) jobs; results in job order. PROGRESS hears how many
    replications are done, counting the share of the horizon each running one has done."""
    n = workers(len(jobs))
    total = len(jobs)
    if n == 1:
        results: list[dict[str, Any]] = []
        for i, (scenario, index) in enumerate(jobs):
            tick = None if progress is None else (lambda s, i=i: progress(i + s, total))
            templates = tier_templates(scenario.loaded.policy)
            results.append(run_replication(scenario, index, templates, tick))
        return results
    ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    shares = ctx.Array("d", total, lock=False)
    with ctx.Pool(n, initializer=_init, initargs=(shares,)) as pool:
        pending = [
            pool.apply_async(_job, ((scenario, index, slot),))
            for slot, (scenario, index) in enumerate(jobs)
        ]
        for job in pending:
            while not job.ready():
                job.wait(POLL_S)
                if progress:
                    progress(sum(shares), total)
        results = [job.get() for job in pending]
    if progress:
        progress(total, total)
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

    def __call__(self, done: float, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        elapsed = time.perf_counter() - self.start
        self.out.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done:.1f}/{total} "
            f"replications, {elapsed:.1f} s"
        )
        self.out.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.out.write("\n")
            self.out.flush()

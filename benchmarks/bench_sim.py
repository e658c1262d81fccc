"""Simulator benchmark: simulated leads per wall-clock second.

    python -m benchmarks.bench_sim            # the reference scenario + the M/M/c case vs ciw
    python -m benchmarks.bench_sim --quick    # a smoke run: 2 replications, 2 weeks of M/M/c

1. The reference scenario (examples/scenario.yaml: 13 weeks, 10 replications) through
   `simulator.run.simulate`, replications spread over the cores, and again on one
   process (the in-run baseline for the parallel speed-up). Target: under 10 s.
2. The M/M/c case (examples/mmc/scenario.yaml: c = 8, rho = 0.9, 28 weeks, ~203,000 leads)
   run by leadflow (the routing core on SimPy, one process) and by ciw (the same lambda,
   mu, c and horizon, one process), alternately for --rounds rounds; plus leadflow with
   the same leads split into one replication per core. Target: leadflow at least as
   fast as ciw. Both runs' mean waits are printed next to Erlang C as a check that they
   simulated the same queue.
3. The M/M/c case on one process again in a child with LEADFLOW_PURE=1: the routing core
   as pure Python against the compiled one (when built), with the results' sha256 compared.

Medians over rounds and ratios of medians; the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.bench_replay import machine

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "examples" / "scenario.yaml"
MMC = REPO / "examples" / "mmc" / "scenario.yaml"
TARGET_REFERENCE_S = 10.0


def erlang_c_wait(lam: float, aht: float, c: int) -> float:
    a = lam * aht
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return (c * b / (c - a * (1 - b))) * aht / (c - a)


def _timed(kind: str, scenario: Any, workers: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Simulate on WORKERS processes; the row and the results."""
    from simulator.run import simulate

    os.environ["LEADFLOW_SIM_WORKERS"] = str(workers)
    started = time.perf_counter()
    result = simulate(scenario)
    seconds = time.perf_counter() - started
    leads = sum(result["marketing"]["mqls_per_week"]) * scenario.replications
    return {"kind": kind, "seconds": seconds, "leads": leads, "per_s": leads / seconds}, result


def run_reference(workers: int, replications: int) -> dict[str, Any]:
    from simulator.scenario import load_scenario

    scenario = load_scenario(REFERENCE).with_runs(replications, None)
    return _timed(f"reference x{workers}", scenario, workers)[0]


def run_leadflow_mmc(weeks: float, workers: int) -> dict[str, Any]:
    """The M/M/c case, its leads split into one replication per worker."""
    from simulator.scenario import load_scenario

    scenario = load_scenario(MMC).with_runs(workers, None)
    scenario = dataclasses.replace(scenario, end=scenario.start + weeks * 7 * 86400 / workers)
    row, result = _timed(f"leadflow x{workers}", scenario, workers)
    row["mean_wait_min"] = result["tiers"]["all"]["first_touch_minutes"]["mean"]
    same = {k: v for k, v in result.items() if k != "wall_seconds"}  # all but the timing
    row["sha256"] = hashlib.sha256(json.dumps(same, sort_keys=True).encode()).hexdigest()
    return row


def run_pure_mmc(weeks: float) -> dict[str, Any]:
    """`run_leadflow_mmc(weeks, 1)` in a child process on the pure-Python routing core."""
    env = {**os.environ, "LEADFLOW_PURE": "1"}
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_sim", "--pure-child", str(weeks)],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout
    row: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    row["kind"] = "leadflow x1 pure"
    return row


def run_ciw_mmc(weeks: float, lam: float, mu: float, c: int, seed: int) -> dict[str, Any]:
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(lam)],
        service_distributions=[ciw.dists.Exponential(mu)],
        number_of_servers=[c],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    started = time.perf_counter()
    sim.simulate_until_max_time(weeks * 7 * 24 * 60)
    seconds = time.perf_counter() - started
    records = sim.get_all_records()
    waits = [r.waiting_time for r in records]
    return {
        "kind": "ciw",
        "seconds": seconds,
        "leads": len(records),
        "per_s": len(records) / seconds,
        "mean_wait_min": sum(waits) / len(waits),
    }


def _median(rows: list[dict[str, Any]], kind: str, key: str) -> float:
    values = [r[key] for r in rows if r["kind"] == kind]
    return statistics.median(values) if values else math.nan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke run, minutes not seconds")
    parser.add_argument("--json", help="also write every run as JSON here")
    parser.add_argument("--pure-child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pure_child is not None:
        print(json.dumps(run_leadflow_mmc(args.pure_child, 1)))
        return 0
    cores = os.cpu_count() or 1
    reps = 2 if args.quick else 10
    weeks = 2.0 if args.quick else 28.0
    from simulator.scenario import load_scenario

    mmc = load_scenario(MMC)
    lam = mmc.spec.arrivals[0].mqls_per_week / (7 * 24 * 60)  # type: ignore[union-attr]
    aht = mmc.spec.work.touch_minutes.mean  # type: ignore[union-attr]
    c = len(mmc.loaded.team.reps)
    rows: list[dict[str, Any]] = []
    for r in range(args.rounds):
        jobs: list[Callable[[], dict[str, Any]]] = [
            lambda: run_reference(cores, reps),
            lambda: run_reference(1, reps),
            partial(run_ciw_mmc, weeks, lam, 1 / aht, c, seed=r),
            lambda: run_leadflow_mmc(weeks, 1),
            lambda: run_leadflow_mmc(weeks, cores),
            lambda: run_pure_mmc(weeks),
        ]
        for job in jobs:
            row = job()
            row["round"] = r
            rows.append(row)
            print(
                f"round {r}: {row['kind']:<14} {row['leads']:>9,.0f} leads "
                f"{row['seconds']:>7.2f} s {row['per_s']:>9,.0f} leads/s",
                flush=True,
            )
    ref_s = _median(rows, f"reference x{cores}", "seconds")
    ciw_rate = _median(rows, "ciw", "per_s")
    lf_rate = _median(rows, "leadflow x1", "per_s")
    lfp_rate = _median(rows, f"leadflow x{cores}", "per_s")
    print()
    print(f"machine: {machine()}")
    print(
        f"reference scenario, {reps} replications on {cores} process(es): median "
        f"{ref_s:.2f} s ({_median(rows, f'reference x{cores}', 'per_s'):,.0f} leads/s); "
        f"on 1 process {_median(rows, 'reference x1', 'seconds'):.2f} s; target "
        f"< {TARGET_REFERENCE_S:.0f} s: {'met' if ref_s < TARGET_REFERENCE_S else 'MISSED'}"
    )
    print(
        f"M/M/c c={c} rho={lam * aht / c:.2f}, {weeks:g} weeks: ciw {ciw_rate:,.0f} leads/s, "
        f"leadflow {lf_rate:,.0f} leads/s (x{lf_rate / ciw_rate:.2f} of ciw), "
        f"leadflow on {cores} processes {lfp_rate:,.0f} leads/s (x{lfp_rate / ciw_rate:.2f}); "
        f"target >= ciw: {'met' if lf_rate >= ciw_rate else 'MISSED'}"
    )
    print(
        f"mean wait (min): Erlang C {erlang_c_wait(lam, aht, c):.2f}, ciw "
        f"{_median(rows, 'ciw', 'mean_wait_min'):.2f}, leadflow "
        f"{_median(rows, 'leadflow x1', 'mean_wait_min'):.2f}"
    )
    pure_rate = _median(rows, "leadflow x1 pure", "per_s")
    digests = {r["sha256"] for r in rows if r["kind"] in ("leadflow x1", "leadflow x1 pure")}
    from routing._native import loaded_compiled

    print(
        f"routing core {'compiled' if loaded_compiled() else 'NOT compiled'}: M/M/c on 1 "
        f"process {lf_rate:,.0f} leads/s vs pure Python {pure_rate:,.0f} leads/s "
        f"(x{lf_rate / pure_rate:.2f}); results "
        f"{'identical' if len(digests) == 1 else 'DIFFERENT: ' + ', '.join(sorted(digests))}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "runs": rows}, indent=2))
    return 0 if len(digests) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Simulator benchmark: simulated leads per wall-clock second.

    python -m benchmarks.bench_sim            # the reference scenario + the M/M/c case vs ciw
    python -m benchmarks.bench_sim --quick    # a smoke run: 2 replications, 2 weeks of M/M/c

1. The reference scenario (examples/scenario.yaml: 13 weeks, 10 replications) through
   `simulator.run.simulate`, replications spread over the cores, and again on one
   process (the in-run baseline for the parallel speed-up). Target: under 10 s.
2. The M/M/c case (examples/mmc/scenario.yaml: c = 8, rho = 0.9, 28 weeks, ~203,000 leads)
   run by leadflow (the routing core on SimPy) and by ciw (the same lambda, mu, c and
   horizon) on the same footing: on 1 process, and on one process per core with the
   horizon split into one independent run per process (leadflow: one replication each;
   ciw: one simulation each, on the same kind of fork pool). The two of a pair run back
   to back, who goes first alternating by round. Leads = arrivals, for both. Target:
   leadflow at least as fast as ciw. Both mean waits are printed next to Erlang C as a
   check that they simulated the same queue.
3. The M/M/c case on one process again in a child with LEADFLOW_PURE=1: the routing core
   and the simulator as pure Python against the compiled ones (when built), with the
   results' sha256 compared.

Medians over rounds, ratios of medians, and the ratio in each round (same-run pairs);
the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import multiprocessing
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
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_sim", "--pure-child", str(weeks)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    row: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    row["kind"] = "leadflow x1 pure"
    return row


def _ciw_job(args: tuple[float, float, float, int, int]) -> tuple[int, float, int]:
    """One ciw run of WEEKS: (leads arrived, summed wait of the completed, completed)."""
    import ciw

    weeks, lam, mu, c, seed = args
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(lam)],
        service_distributions=[ciw.dists.Exponential(mu)],
        number_of_servers=[c],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(weeks * 7 * 24 * 60)
    waits = [r.waiting_time for r in sim.get_all_records()]
    return sim.nodes[0].number_of_individuals, sum(waits), len(waits)


def run_ciw_mmc(
    weeks: float, lam: float, mu: float, c: int, seed: int, workers: int
) -> dict[str, Any]:
    """The same case in ciw, on the same footing as `run_leadflow_mmc`: the horizon split
    into one independent run per worker, on a pool of WORKERS processes (the same fork
    pool as leadflow's `run_many`) or in this process for one; leads = arrivals."""
    jobs = [(weeks / workers, lam, mu, c, seed * 1000 + k) for k in range(workers)]
    started = time.perf_counter()
    if workers == 1:
        parts = [_ciw_job(jobs[0])]
    else:
        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        with ctx.Pool(workers) as pool:
            parts = pool.map(_ciw_job, jobs)
    seconds = time.perf_counter() - started
    leads = sum(p[0] for p in parts)
    return {
        "kind": f"ciw x{workers}",
        "seconds": seconds,
        "leads": leads,
        "per_s": leads / seconds,
        "mean_wait_min": sum(p[1] for p in parts) / max(1, sum(p[2] for p in parts)),
    }


def _median(rows: list[dict[str, Any]], kind: str, key: str) -> float:
    values = [r[key] for r in rows if r["kind"] == kind]
    return statistics.median(values) if values else math.nan


def _ratios(rows: list[dict[str, Any]], workers: int) -> list[float]:
    """leadflow's rate over ciw's, round by round, on WORKERS processes."""
    rate = {(r["kind"], r["round"]): r["per_s"] for r in rows}
    rounds = sorted({r["round"] for r in rows})
    return [
        rate[(f"leadflow x{workers}", k)] / rate[(f"ciw x{workers}", k)]
        for k in rounds
        if (f"leadflow x{workers}", k) in rate and (f"ciw x{workers}", k) in rate
    ]


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
    counts = sorted({1, cores})
    for r in range(args.rounds):
        jobs: list[Callable[[], dict[str, Any]]] = [
            lambda: run_reference(cores, reps),
            lambda: run_reference(1, reps),
            lambda: run_pure_mmc(weeks),
        ]
        for n in counts:  # the pair back to back, who goes first alternating by round
            pair = [
                partial(run_ciw_mmc, weeks, lam, 1 / aht, c, r, n),
                partial(run_leadflow_mmc, weeks, n),
            ]
            jobs += pair if r % 2 == 0 else pair[::-1]
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
    print()
    print(f"machine: {machine()}")
    print(
        f"reference scenario, {reps} replications on {cores} process(es): median "
        f"{ref_s:.2f} s ({_median(rows, f'reference x{cores}', 'per_s'):,.0f} leads/s); "
        f"on 1 process {_median(rows, 'reference x1', 'seconds'):.2f} s; target "
        f"< {TARGET_REFERENCE_S:.0f} s: {'met' if ref_s < TARGET_REFERENCE_S else 'MISSED'}"
    )
    print(f"M/M/c c={c} rho={lam * aht / c:.2f}, {weeks:g} weeks, medians of {args.rounds} rounds:")
    for n in counts:
        ciw_rate = _median(rows, f"ciw x{n}", "per_s")
        lf_rate = _median(rows, f"leadflow x{n}", "per_s")
        per_round = " / ".join(f"{x:.2f}" for x in _ratios(rows, n))
        print(
            f"  {n} process(es): ciw {ciw_rate:,.0f} leads/s, leadflow {lf_rate:,.0f} leads/s: "
            f"x{lf_rate / ciw_rate:.2f} of ciw (per round {per_round}); "
            f"target >= ciw: {'met' if lf_rate >= ciw_rate else 'MISSED'}"
        )
    print(
        f"mean wait (min): Erlang C {erlang_c_wait(lam, aht, c):.2f}, ciw "
        f"{_median(rows, 'ciw x1', 'mean_wait_min'):.2f}, leadflow "
        f"{_median(rows, 'leadflow x1', 'mean_wait_min'):.2f}"
    )
    lf_rate = _median(rows, "leadflow x1", "per_s")
    pure_rate = _median(rows, "leadflow x1 pure", "per_s")
    digests = {r["sha256"] for r in rows if r["kind"] in ("leadflow x1", "leadflow x1 pure")}
    from routing._native import loaded_compiled

    built = {p: "compiled" if loaded_compiled(p) else "NOT compiled"
             for p in ("routing", "simulator")}
    print(
        f"routing core {built['routing']}, simulator {built['simulator']}: M/M/c on 1 "
        f"process {lf_rate:,.0f} leads/s vs pure Python {pure_rate:,.0f} leads/s "
        f"(x{lf_rate / pure_rate:.2f}); results "
        f"{'identical' if len(digests) == 1 else 'DIFFERENT: ' + ', '.join(sorted(digests))}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "runs": rows}, indent=2))
    return 0 if len(digests) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())

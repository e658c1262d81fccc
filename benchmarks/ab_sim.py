"""The simulator of two checkouts on the same case, alternately: which is faster, and do
they give the same results?

    git archive 7ad2954 | tar -x -C /tmp/base       # the checkout to compare against
    python -m benchmarks.ab_sim --base /tmp/base --rounds 6 --weeks 28

Each round runs one replication of the case (the M/M/c scenario cut to --weeks, or
--scenario as it is) once with each checkout's `simulator` and `routing`, each in a fresh
process, the two in alternating order. It prints the CPU seconds of `run_replication`
(set-up included, imports excluded), their medians, the median of the per-round ratios
(the pairs ran seconds apart, so they saw the same load), and whether the two gave
identical results (a hash of the results JSON): identical means the same sample paths.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.bench_replay import machine

REPO = Path(__file__).resolve().parent.parent
MMC = REPO / "examples" / "mmc" / "scenario.yaml"

ONE = """
import dataclasses, hashlib, json, sys, time
sys.path.insert(0, sys.argv[1])
from simulator.driver import run_replication
from simulator.leadgen import tier_templates
from simulator.scenario import load_scenario
scenario = load_scenario(sys.argv[2])
weeks = float(sys.argv[3])
if weeks > 0:
    scenario = dataclasses.replace(scenario, end=scenario.start + weeks * 7 * 86400)
templates = tier_templates(scenario.loaded.policy)
wall, cpu = time.perf_counter(), time.process_time()
result = run_replication(scenario, 0, templates)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
digest = hashlib.sha1(json.dumps(result, sort_keys=True, default=str).encode()).hexdigest()
leads = sum(result["mqls_per_week"])
print(json.dumps({"cpu": cpu, "wall": wall, "leads": leads, "hash": digest[:12]}))
"""


def run_one(root: Path, scenario: Path, weeks: float) -> dict[str, float | str]:
    out = subprocess.run(
        [sys.executable, "-c", ONE, str(root), str(scenario), str(weeks)],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )
    if out.returncode:
        raise SystemExit(f"{root}: the run failed:\n{out.stderr}")
    row: dict[str, float | str] = json.loads(out.stdout.splitlines()[-1])
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--new", type=Path, default=REPO, help="default: this checkout")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--weeks", type=float, default=4.0, help="0: the scenario's own horizon")
    parser.add_argument("--scenario", type=Path, default=MMC)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    sides = {"base": args.base.resolve(), "new": args.new.resolve()}
    rows: dict[str, list[dict[str, float | str]]] = {k: [] for k in sides}
    for r in range(args.rounds):
        order = list(sides) if r % 2 == 0 else list(sides)[::-1]
        for side in order:
            row = run_one(sides[side], args.scenario.resolve(), args.weeks)
            rows[side].append(row)
            print(
                f"round {r}: {side:<4} {row['cpu']:7.2f} s CPU {row['wall']:7.2f} s wall "
                f"{row['leads']:>8} leads  results {row['hash']}",
                flush=True,
            )
    cpu = {k: [float(r["cpu"]) for r in v] for k, v in rows.items()}
    ratios = [b / n for b, n in zip(cpu["base"], cpu["new"], strict=True)]
    same = {str(r["hash"]) for v in rows.values() for r in v}
    print(f"\nmachine: {machine()}")
    print(f"case: {args.scenario}, {args.weeks:g} weeks (0: its own), {args.rounds} rounds")
    for side in sides:
        print(
            f"{side}: median {statistics.median(cpu[side]):.2f} s CPU, fastest "
            f"{min(cpu[side]):.2f} s ({sides[side]})"
        )
    print(
        f"new is x{statistics.median(ratios):.2f} as fast as base (median of per-round "
        f"ratios; per round {' / '.join(f'{x:.2f}' for x in ratios)})"
    )
    # Load only ever adds time: the fastest runs are the least disturbed pair.
    print(f"fastest of each: new x{min(cpu['base']) / min(cpu['new']):.2f} as fast as base")
    print(
        "results: identical (same sample paths)"
        if len(same) == 1
        else f"results: DIFFER ({len(same)} distinct): compare them statistically"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

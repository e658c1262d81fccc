"""Machine instructions per simulated lead in the simulator's event loop: a noise-free A/B.

    python -m benchmarks.ir_sim                 # the M/M/c case cut to 1 week, this checkout
    python -m benchmarks.ir_sim --weeks 2 --base /tmp/base   # and another checkout's, the same way

Runs one replication under valgrind's callgrind (`apt-get install valgrind`), counting
only inside `Replication._run_until` (the event loop: set-up, the results and imports
left out), and prints the instructions, the instructions per lead, and a sha256 of the
results (paths aside): a pure speed-up keeps it. Wall-clock rates on a shared machine move
by 10-30% from run to run; instruction counts by about 0.1%, so one run each is enough to
compare two builds. Instructions are not time (cache misses and branch mispredictions are
not counted), so the wall-clock benchmark (`benchmarks.bench_sim`) still has the last word.
It needs the compiled build (the loop's C symbol); a pure-Python build is refused.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MMC = REPO / "examples" / "mmc" / "scenario.yaml"

CHILD = """
import dataclasses, hashlib, json, os, sys
sys.path.insert(0, sys.argv[1])
os.environ["LEADFLOW_SIM_WORKERS"] = "1"
from routing._native import loaded_compiled
from simulator.run import simulate
from simulator.scenario import load_scenario
if not loaded_compiled("simulator"):
    sys.exit("the simulator is not compiled here: build it (python setup.py build_ext --inplace)")
scenario = load_scenario(sys.argv[2]).with_runs(1, None)
weeks = float(sys.argv[3])
scenario = dataclasses.replace(scenario, end=scenario.start + weeks * 7 * 86400)
result = simulate(scenario)
result.pop("wall_seconds", None)
text = json.dumps(result, sort_keys=True).replace(sys.argv[1], "<repo>")
leads = sum(result["marketing"]["mqls_per_week"])
print("RESULT " + json.dumps({"leads": leads, "sha256": hashlib.sha256(text.encode()).hexdigest()}))
"""


def measure(checkout: Path, scenario: Path, weeks: float) -> dict[str, float | str]:
    """Instructions in the event loop of one replication run by CHECKOUT's simulator (on
    CHECKOUT's copy of SCENARIO when it is one of this repository's files)."""
    if scenario.is_relative_to(REPO):
        scenario = checkout / scenario.relative_to(REPO)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        run = subprocess.run(
            [
                "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                "--toggle-collect=*Replication____run_until",
                sys.executable, "-c", CHILD, str(checkout), str(scenario), str(weeks),
            ],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    found = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    collected = re.search(r"Collected : (\d+)", run.stderr)
    if not found or collected is None:
        tail = run.stdout[-2000:] + run.stderr[-3000:]
        raise SystemExit(f"the run under callgrind failed:\n{tail}")
    result = json.loads(found[0].removeprefix("RESULT "))
    instructions = int(collected.group(1))
    return {
        "checkout": str(checkout),
        "leads": result["leads"],
        "instructions": instructions,
        "per_lead": instructions / max(1, result["leads"]),
        "sha256": result["sha256"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=float, default=1.0)
    parser.add_argument("--scenario", type=Path, default=MMC)
    parser.add_argument("--base", type=Path, help="another checkout (built) to measure too")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    rows = [measure(REPO, args.scenario.resolve(), args.weeks)]
    if args.base is not None:
        rows.append(measure(args.base.resolve(), args.scenario.resolve(), args.weeks))
    for row in rows:
        print(
            f"{row['checkout']}: {row['leads']:,.0f} leads, {row['instructions']:,} "
            f"instructions in the event loop, {row['per_lead']:,.0f} a lead, "
            f"results sha256 {str(row['sha256'])[:16]}"
        )
    if len(rows) == 2:
        ratio = float(rows[1]["per_lead"]) / float(rows[0]["per_lead"])
        same = "identical" if rows[0]["sha256"] == rows[1]["sha256"] else "DIFFERENT"
        print(f"base / this: {ratio:.3f}x the instructions a lead; results {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Offline replay benchmark: the routing engine against the JSON floor, on the same file.

    python -m benchmarks.bench_replay            # 100,000 leads, 1,000 reps: ~1.04M events
    python -m benchmarks.bench_replay --quick    # 5,000 leads, 50 reps: ~52k events (smoke)

Generates the data first when it is missing (or was made with other parameters). Then runs,
each in a fresh child process, floor and engine alternately (floor, engine, floor, engine, ...)
for --rounds rounds, and prints the median events/s of each, their ratio, each child's peak
RSS (`ru_maxrss` as the child reports it), the outputs written, and the machine.

The floor reads the file line by line and does `json.loads` + `json.dumps` of each line
(benchmarks/floor.py). The engine child loads the policy, builds `routing.engine.Engine`,
and feeds every line of `routing.replay.replay_lines` (plus a newline) to a sha256, counting
them, with the cyclic collector off as `leadflow replay` runs it (routing.collector). Only
the loop over the file is timed; loading the policy is reported as setup.
"engine" is the routing core as installed (compiled with mypyc when built); "pure" is the same
child with LEADFLOW_PURE=1 (pure Python), in the same rounds. Their outputs must hash the same.

    python -m benchmarks.bench_replay --base /work/main   # also another checkout, same rounds

`--base DIR` adds a "base" child: the engine of the checkout in DIR (run from there, compiled
when DIR is built), alternating with the others in every round; the report gives the new
engine's time over the base's per round and both outputs' sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from benchmarks._meta import GENERATOR_VERSION, meta_path
from benchmarks.floor import run_floor

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
KINDS = ("floor", "engine", "pure", "base")  # pure: LEADFLOW_PURE=1; base: --base checkout
TARGET_EVENTS_PER_S = 50_000
TARGET_SLOWDOWN = 5.0
QUICK = {"leads": 5_000, "reps": 50}
FULL = {"leads": 100_000, "reps": 1_000}


# -- child side: one measurement per process ----------------------------------------------------


def _status_mb(key: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak(result: dict[str, Any]) -> dict[str, Any]:
    """Peak RSS of this process. `ru_maxrss` is what was asked for, but on Linux it also
    carries the parent's high-water mark across fork+exec; VmHWM belongs to this process
    image alone. The parent stays small so the two agree; the table shows VmHWM."""
    result["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["peak_rss_mb"] = _status_mb("VmHWM:")
    return result


def child_floor(stream: Path, events: int | None) -> dict[str, Any]:
    rss_before = _status_mb("VmRSS:")
    cpu = time.process_time()
    n, bad, seconds = run_floor(stream, events)
    return _peak({"kind": "floor", "events": n, "not_json": bad, "seconds": seconds,
                  "cpu_seconds": time.process_time() - cpu, "outputs": None,
                  "setup_seconds": 0.0, "rss_before_mb": rss_before})


def child_engine(stream: Path, policy: Path, events: int | None) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        loader = importlib.import_module("routing.policy.loader")
        engine_mod = importlib.import_module("routing.engine")
        replay_mod = importlib.import_module("routing.replay")
        load_policy, engine_cls = loader.load_policy, engine_mod.Engine
        replay_lines = replay_mod.replay_lines
        no_collections = importlib.import_module("routing.collector").no_collections
    except (ImportError, AttributeError) as exc:
        raise SystemExit(
            "engine child: the routing engine is not importable yet "
            f"({type(exc).__name__}: {exc}). The benchmark needs "
            "routing.policy.loader.load_policy, routing.engine.Engine and "
            "routing.replay.replay_lines; run with --only floor to measure the floor alone."
        ) from None
    engine = engine_cls(load_policy(policy))
    setup = time.perf_counter() - started
    rss_before = _status_mb("VmRSS:")
    n_out = 0
    digest = hashlib.sha256()
    with stream.open("rb") as fh:
        lines: Iterable[bytes] = fh if events is None else islice(fh, events)
        update = digest.update
        cpu = time.process_time()
        t0 = time.perf_counter()
        with no_collections():  # as `leadflow replay` runs it
            for out in replay_lines(engine, lines):
                update(out.encode())
                update(b"\n")
                n_out += 1
        seconds = time.perf_counter() - t0
        cpu_seconds = time.process_time() - cpu
    n_in = _count_lines(stream, events)
    native = importlib.import_module("routing._native")
    return _peak({"kind": "engine", "events": n_in, "seconds": seconds, "cpu_seconds": cpu_seconds,
                  "outputs": n_out, "setup_seconds": setup, "rss_before_mb": rss_before,
                  "sha256": digest.hexdigest(), "compiled": native.loaded_compiled(),
                  "core": native.STATE["reason"]})


def _count_lines(stream: Path, events: int | None) -> int:
    with stream.open("rb") as fh:
        n = sum(1 for _ in fh)
    return n if events is None else min(n, events)


# -- parent side ----------------------------------------------------------------------------------


def data_for(leads: int, reps: int) -> Path:
    if {"leads": leads, "reps": reps} == FULL:
        return DATA / "stream.jsonl"
    if {"leads": leads, "reps": reps} == QUICK:
        return DATA / "quick" / "stream.jsonl"
    return DATA / f"{leads}x{reps}" / "stream.jsonl"


def ensure_data(stream: Path, leads: int, reps: int, seed: int, regenerate: bool) -> dict[str, Any]:
    """Reuse STREAM when its meta file says it was made by this generator with these
    parameters; otherwise generate it (in a child process, to keep this one small)."""
    meta_file = meta_path(stream)
    wanted = {"generator_version": GENERATOR_VERSION, "seed": seed, "leads": leads, "reps": reps}
    if not regenerate and meta_file.exists() and stream.exists():
        meta: dict[str, Any] = json.loads(meta_file.read_text(encoding="utf-8"))
        same = all(meta.get(k) == v for k, v in wanted.items())
        if same and meta.get("bytes") == stream.stat().st_size:
            return meta
    print(f"generating {stream} ({leads:,} leads, {reps:,} reps, seed {seed}) ...", flush=True)
    cmd = [sys.executable, "-m", "benchmarks.generate", "--leads", str(leads), "--reps", str(reps),
           "--seed", str(seed), "--out", str(stream)]
    subprocess.run(cmd, cwd=REPO, check=True)
    loaded: dict[str, Any] = json.loads(meta_file.read_text(encoding="utf-8"))
    return loaded


def run_child(kind: str, stream: Path, events: int | None,
              base: Path | None = None) -> tuple[dict[str, Any] | None, str]:
    stream = stream.resolve()
    cmd = [sys.executable, "-m", "benchmarks.bench_replay", "--child",
           "floor" if kind == "floor" else "engine",
           "--stream", str(stream), "--policy", str(stream.parent / "policy.yaml")]
    if events is not None:
        cmd += ["--events", str(events)]
    env = {k: v for k, v in os.environ.items() if k != "LEADFLOW_PURE"}
    if kind == "pure":
        env["LEADFLOW_PURE"] = "1"
    cwd = base if kind == "base" and base is not None else REPO
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-12:])
        return None, f"{kind} child exited with status {proc.returncode}:\n{tail}"
    last = proc.stdout.strip().splitlines()[-1]
    return json.loads(last), ""


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = float("nan")
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            mem_gib = int(fh.readline().split()[1]) / 1024**2
    except (OSError, ValueError, IndexError):
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "mem_gib": round(mem_gib, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }


def _fmt(x: float | None, spec: str = ",.0f") -> str:
    return "-" if x is None else format(x, spec)


def _per_round(base: list[dict[str, Any]], other: list[dict[str, Any]],
               key: str = "seconds") -> list[float]:
    """Per round: `other`'s time over `base`'s on the same events (how many times slower).
    `key`: "seconds" (wall) or "cpu_seconds" (the child's own CPU time: on a shared
    machine, time spent waiting for a CPU that another process holds is not in it)."""
    return [round(o[key] / b[key], 2) for b, o in zip(base, other, strict=False)]


def report(results: dict[str, list[dict[str, Any]]], info: dict[str, Any], meta: dict[str, Any],
           stream: Path, errors: dict[str, str]) -> tuple[str, dict[str, Any]]:
    rows: list[str] = []
    summary: dict[str, Any] = {}
    for kind in KINDS:
        runs = results[kind]
        if not runs:
            continue
        summary[kind] = {
            "rounds": len(runs),
            "events": runs[0]["events"],
            "events_per_s": statistics.median(r["events"] / r["seconds"] for r in runs),
            "cpu_events_per_s": statistics.median(r["events"] / r["cpu_seconds"] for r in runs),
            "seconds": statistics.median(r["seconds"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "rss_before_mb": statistics.median(r["rss_before_mb"] for r in runs),
            "setup_seconds": statistics.median(r["setup_seconds"] for r in runs),
            "outputs": runs[0]["outputs"],
            "all_events_per_s": [round(r["events"] / r["seconds"]) for r in runs],
        }
    floor = summary.get("floor")
    engine = summary.get("engine")
    for kind in ("engine", "pure", "base"):
        if floor and kind in summary:
            summary[kind]["slowdown"] = floor["events_per_s"] / summary[kind]["events_per_s"]
            summary[kind]["slowdown_per_round"] = _per_round(results["floor"], results[kind])
    if floor and engine:
        summary["engine_over_floor"] = 1 / engine["slowdown"]
        summary["slowdown"] = engine["slowdown"]
        summary["slowdown_per_round"] = engine["slowdown_per_round"]
    if engine and "pure" in summary:  # compiled vs pure: the pure child's time over the engine's
        summary["compiled_speedup"] = engine["events_per_s"] / summary["pure"]["events_per_s"]
        summary["compiled_speedup_per_round"] = _per_round(results["engine"], results["pure"])
    rows.append(f"leadflow offline replay benchmark, {info['date']}")
    rows.append(f"machine: {info['nproc']} CPUs ({info['cpu_model']}), {info['mem_gib']} GiB, "
                f"{info['os']}; {info['python']}; load average before "
                f"{' '.join(map(str, info['loadavg_before']))}, after "
                f"{' '.join(map(str, info['loadavg_after']))}")
    rows.append(f"stream:  {stream.relative_to(REPO) if stream.is_relative_to(REPO) else stream}: "
                f"{meta['lines']:,} lines, {meta['bytes'] / 1e6:.1f} MB ({meta['leads']:,} leads, "
                f"{meta['reps']:,} reps, seed {meta['seed']})"
                + (f"; first {info['events']:,} lines only" if info["events"] else ""))
    rows.append("")
    rows.append("| run | events | events/s (median) | per round | CPU events/s | vs floor "
                "| peak RSS MB | RSS before loop MB | setup s | outputs written |")
    rows.append("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for kind in KINDS:
        s = summary.get(kind)
        if s is None:
            if kind != "base":
                rows.append(f"| {kind} | - | not run | | | | | | | |")
            continue
        vs = "1.00x" if kind == "floor" else f"{s.get('slowdown', float('nan')):.2f}x slower"
        label = {"floor": "floor", "pure": "engine, pure Python (LEADFLOW_PURE=1)",
                 "engine": "engine, compiled", "base": f"base ({info.get('base')}), compiled"}[kind]
        if kind in ("engine", "base") and not results[kind][0]["compiled"]:
            label = f"{kind}, NOT compiled ({results[kind][0]['core']})"
        rows.append(
            f"| {label} | {s['events']:,} | {s['events_per_s']:,.0f} | "
            f"{' / '.join(f'{x:,}' for x in s['all_events_per_s'])} | "
            f"{s['cpu_events_per_s']:,.0f} | {vs} | {s['peak_rss_mb']:.1f} | "
            f"{s['rss_before_mb']:.1f} | {s['setup_seconds']:.2f} | {_fmt(s['outputs'], ',')} |"
        )
    rows.append("")
    if "compiled_speedup" in summary:
        rows.append(f"compiled/pure throughput {summary['compiled_speedup']:.2f}x (per round "
                    f"{', '.join(f'{x:.2f}x' for x in summary['compiled_speedup_per_round'])})")
    digests = {kind: {r["sha256"] for r in results[kind]} for kind in ("engine", "pure")}
    every = digests["engine"] | digests["pure"]
    summary["outputs_identical"] = len(every) == 1
    if every:
        rows.append("outputs: the same sha256 in every engine run, compiled and pure: "
                    f"{next(iter(every))}" if len(every) == 1 else
                    "ERROR: the outputs differ between runs: "
                    + "; ".join(f"{k} {sorted(v)}" for k, v in digests.items()))
    if engine and "base" in summary:  # this checkout's engine against the base's, per round
        summary["new_over_base"] = statistics.median(
            o["seconds"] / b["seconds"] for b, o in zip(results["base"], results["engine"],
                                                         strict=False))
        summary["new_over_base_per_round"] = _per_round(results["base"], results["engine"])
        summary["new_over_base_cpu"] = statistics.median(
            o["cpu_seconds"] / b["cpu_seconds"]
            for b, o in zip(results["base"], results["engine"], strict=False))
        summary["new_over_base_cpu_per_round"] = _per_round(
            results["base"], results["engine"], "cpu_seconds")
        base_sha = {r["sha256"] for r in results["base"]}
        rows.append(f"engine/base CPU time {summary['new_over_base_cpu']:.3f} (median of per-round "
                    f"ratios "
                    f"{', '.join(f'{x:.2f}' for x in summary['new_over_base_cpu_per_round'])})")
        rows.append(f"engine/base time {summary['new_over_base']:.3f} (median of per-round "
                    f"ratios {', '.join(f'{x:.2f}' for x in summary['new_over_base_per_round'])}; "
                    f"above 1: this checkout is slower); base outputs sha256 "
                    f"{', '.join(sorted(base_sha))} "
                    f"({'the same as' if base_sha == digests['engine'] else 'differ from'} "
                    f"this checkout's)")
    if floor and engine:
        ok_rate = engine["events_per_s"] >= TARGET_EVENTS_PER_S
        ok_ratio = summary["slowdown"] <= TARGET_SLOWDOWN
        rows.append(
            f"engine/floor throughput {summary['engine_over_floor']:.3f} (engine is "
            f"{summary['slowdown']:.2f}x slower; per round "
            f"{', '.join(f'{x:.2f}x' for x in summary['slowdown_per_round'])})"
        )
        rows.append(f"target >= {TARGET_EVENTS_PER_S:,} events/s: "
                    f"{'PASS' if ok_rate else 'FAIL'}; target within {TARGET_SLOWDOWN:g}x of the "
                    f"floor: {'PASS' if ok_ratio else 'FAIL'}")
    counts = sorted({r["outputs"] for r in results["engine"] + results["pure"]})
    if len(counts) > 1:
        rows.append(f"WARNING: the engine wrote different numbers of outputs in different rounds "
                    f"({', '.join(f'{c:,}' for c in counts)}): was routing/ edited during the run?")
    for kind, err in errors.items():
        rows.append(f"{kind}: NOT MEASURED. {err}")
    return "\n".join(rows), summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_replay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"small data set ({QUICK['leads']:,} leads, {QUICK['reps']} reps)")
    parser.add_argument("--events", type=int, default=None,
                        help="replay only the first N lines of the stream (both sides)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=KINDS, default=None, help="run one side only")
    parser.add_argument("--no-pure", action="store_true",
                        help="leave out the pure-Python child (more rounds of engine against "
                             "--base in the same time)")
    parser.add_argument("--leads", type=int, default=None)
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--regenerate", action="store_true", help="generate the data again")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--base", type=Path, default=None,
                        help="another checkout whose engine runs in the same rounds")
    parser.add_argument("--child", choices=("floor", "engine"), help=argparse.SUPPRESS)
    parser.add_argument("--stream", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--policy", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        if args.child == "floor":
            result = child_floor(args.stream, args.events)
        else:
            result = child_engine(args.stream, args.policy, args.events)
        print(json.dumps(result))
        return 0

    size = QUICK if args.quick else FULL
    leads = args.leads if args.leads is not None else size["leads"]
    reps = args.reps if args.reps is not None else size["reps"]
    stream = data_for(leads, reps)
    meta = ensure_data(stream, leads, reps, args.seed, args.regenerate)
    info = machine()
    info["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    info["events"] = args.events
    kinds = [args.only] if args.only else [k for k in KINDS if k != "base"]
    if args.no_pure:
        kinds = [k for k in kinds if k != "pure"]
    if args.base is not None:
        info["base"] = str(args.base)
        kinds.append("base")
    results: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    errors: dict[str, str] = {}
    for round_no in range(1, args.rounds + 1):
        for kind in kinds:
            if kind in errors:
                continue
            run, err = run_child(kind, stream, args.events, args.base)
            if run is None:
                errors[kind] = err
                print(f"round {round_no} {kind}: FAILED\n{err}", flush=True)
                continue
            results[kind].append(run)
            print(f"round {round_no} {kind:<6} {run['events']:>10,} events in "
                  f"{run['seconds']:6.2f} s = {run['events'] / run['seconds']:>9,.0f} "
                  f"events/s, peak RSS {run['peak_rss_mb']:7.1f} MB "
                  f"(ru_maxrss {run['ru_maxrss_mb']:.1f})", flush=True)
    info["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    text, summary = report(results, info, meta, stream, errors)
    print()
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps({"machine": info, "data": meta, "summary": summary,
                                         "runs": results, "errors": errors}, indent=2) + "\n",
                             encoding="utf-8")
    return 1 if errors or not summary.get("outputs_identical", True) else 0


if __name__ == "__main__":
    sys.exit(main())

"""What the versioned state format costs against the pickled engine it replaced.

    python -m benchmarks.bench_state_format [--leads 5000] [--runs 5]

On a generated quarter (benchmarks.generate, 13 weeks), the pool stage's engine after the
whole stream, and the lead stage's desk after it; in the same run, medians of `--runs`:

- before: `cloudpickle.dumps(state)` (what streams.snapshots wrote until the state format)
  and `pickle.loads` of it;
- after: `streams.snapshots.encode` (the state as a tree of plain values, with the stage
  built from the policy that the refs point into) and `decode` (a fresh stage from the
  policy, the tree read onto it);
- the forked write (the worker's stall: `fork()` only; the child encodes and writes).

The core as loaded (compiled unless LEADFLOW_PURE=1). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import cloudpickle

from benchmarks.generate import generate
from routing._native import loaded_compiled
from routing.engine import Engine
from routing.policy.loader import LoadedPolicy, load_policy
from streams.lead_stage import LeadStage
from streams.records import apply_record, event_record
from streams.snapshots import SnapshotWriter, decode, encode, fingerprint


def _median(f: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        f()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def _nothing(start: int, end: int) -> AsyncIterator[tuple[int, bytes, int | None]]:
    for _ in ():
        yield 0, b"", None


def states(loaded: LoadedPolicy, lines: list[bytes], work: Path) -> dict[str, Any]:
    engine = Engine(loaded)
    for i, line in enumerate(lines):
        apply_record(engine, event_record(f"bench:0:{i}", line))
    stage = LeadStage(loaded, "bench", 0, snapshot_path=work / "lead", fork_snapshots=False)
    asyncio.run(stage.recover(0, lambda start, end: _nothing(start, end)))
    for offset, line in enumerate(lines):
        stage.apply(offset, line)
    return {"pool stage (Engine)": engine, "lead stage (DeskHost)": stage.loaded_state}


def measure(loaded: LoadedPolicy, state: Any, runs: int, work: Path) -> dict[str, float]:
    fp, kind = fingerprint(loaded), type(state)
    old = cloudpickle.dumps(state, protocol=5)
    new = encode(state, 1, fp, loaded)
    snap = decode(new, fp, "bench", loaded, kind)
    assert snap is not None and type(snap.state) is kind
    writer = SnapshotWriter(work / "forked.snapshot", fp, loaded, fork=True)
    stalls = []
    for _ in range(runs):
        writer.wait()  # the previous child
        started = time.perf_counter()
        writer.write(state, 1)
        stalls.append(time.perf_counter() - started)
    writer.wait()
    row = {
        "old_bytes": len(old),
        "new_bytes": len(new),
        "old_write": _median(lambda: cloudpickle.dumps(state, protocol=5), runs),
        "new_write": _median(lambda: encode(state, 1, fp, loaded), runs),
        "old_read": _median(lambda: pickle.loads(old), runs),
        "new_read": _median(lambda: decode(new, fp, "bench", loaded, kind), runs),
        "stall": statistics.median(stalls),
    }
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_state_format")
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        stream = work / "stream.jsonl"
        generate(args.leads, max(10, args.leads // 50), stream, seed=7)
        loaded = load_policy(work / "policy.yaml")
        lines = [line for line in stream.read_bytes().splitlines() if line.strip()]
        core = "compiled" if loaded_compiled() else "pure Python"
        print(f"{args.leads:,} leads, {len(lines):,} events, {core} core, "
              f"medians of {args.runs} runs", file=sys.stderr)  # fmt: skip
        print("| state | size before → after | write before → after (ratio) | "
              "read before → after (ratio) | forked write: worker stalls |")  # fmt: skip
        print("|---|---|---|---|---|")
        for name, state in states(loaded, lines, work).items():
            r = measure(loaded, state, args.runs, work)
            print(
                f"| {name} | {r['old_bytes'] / 1e6:.2f} → {r['new_bytes'] / 1e6:.2f} MB | "
                f"{r['old_write']:.3f} → {r['new_write']:.3f} s "
                f"({r['new_write'] / r['old_write']:.2f}x) | "
                f"{r['old_read']:.3f} → {r['new_read']:.3f} s "
                f"({r['new_read'] / r['old_read']:.2f}x) | {r['stall'] * 1e3:.1f} ms |"
            )


if __name__ == "__main__":
    main()

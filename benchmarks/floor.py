"""The floor: what any JSON-lines consumer in Python pays for a file, and nothing more.

Read the file line by line, `json.loads` each line and `json.dumps` the result. A line that is
not JSON (the stream has a few on purpose) costs its failed `json.loads` and is counted.

    python -m benchmarks.floor [--stream benchmarks/data/stream.jsonl] [--events N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

DEFAULT_STREAM = Path(__file__).resolve().parent / "data" / "stream.jsonl"


def floor(lines: Iterable[bytes | str]) -> tuple[int, int]:
    """Parse and re-serialise every line; return (lines, lines that were not JSON)."""
    loads, dumps = json.loads, json.dumps
    n = bad = 0
    for line in lines:
        n += 1
        try:
            dumps(loads(line))
        except ValueError:
            bad += 1
    return n, bad


def run_floor(stream: Path, events: int | None = None) -> tuple[int, int, float]:
    """(lines, non-JSON lines, seconds) for the first EVENTS lines of STREAM (all when None)."""
    with stream.open("rb") as fh:
        lines: Iterable[bytes] = fh if events is None else islice(fh, events)
        started = time.perf_counter()
        n, bad = floor(lines)
        return n, bad, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stream", type=Path, default=DEFAULT_STREAM)
    parser.add_argument("--events", type=int, default=None, help="only the first N lines")
    args = parser.parse_args(argv)
    if not args.stream.exists():
        parser.error(f"{args.stream} does not exist; run `python -m benchmarks.generate` first")
    n, bad, seconds = run_floor(args.stream, args.events)
    print(f"floor: {n:,} lines ({bad} not JSON) in {seconds:.2f} s = {n / seconds:,.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long the local Kafka broker takes to format and start, with and without the JVM's
class-data-sharing archive, interleaved in one run (medians of --rounds each).

    python -m benchmarks.broker_start --rounds 4
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from streams.broker.cds import ARCHIVE
from streams.broker.jars import fetch_jars
from streams.broker.node import LocalBroker, free_ports

REPO = Path(__file__).resolve().parent.parent
JARS = REPO / ".kafka" / "jars"


def one_start(jars: Path) -> tuple[float, float]:
    """(seconds to format, seconds to start until the broker answers) of a fresh broker."""
    with tempfile.TemporaryDirectory(prefix="broker-start-") as home:
        port, controller_port = free_ports(2)
        broker = LocalBroker(Path(home), port=port, controller_port=controller_port, jars=jars)
        started = time.monotonic()
        broker.configure()
        broker.format()
        formatted = time.monotonic() - started
        try:
            return formatted, broker.start(tie_to_parent=True)
        finally:
            broker.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.broker_start")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    fetch_jars(JARS)
    archive = JARS / ARCHIVE
    if not archive.exists():
        one_start(JARS)  # the first clean stop writes the archive
    aside = JARS / f".{ARCHIVE}.aside"
    runs: dict[str, list[tuple[float, float]]] = {"with archive": [], "without": []}
    for _ in range(args.rounds):
        os.replace(archive, aside)
        try:
            runs["without"].append(one_start(JARS))
        finally:
            archive.unlink(missing_ok=True)  # the run dumps a new one at its stop
            os.replace(aside, archive)
        runs["with archive"].append(one_start(JARS))
    print(f"{platform.node()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; {args.rounds} interleaved rounds, medians:")  # fmt: skip
    for name, xs in runs.items():
        fmt = statistics.median(x[0] for x in xs)
        start = statistics.median(x[1] for x in xs)
        print(f"  {name:<13} format {fmt:4.1f} s   start {start:4.1f} s")
    with_s = statistics.median(x[1] for x in runs["with archive"])
    without_s = statistics.median(x[1] for x in runs["without"])
    print(f"  start ratio with/without: {with_s / without_s:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

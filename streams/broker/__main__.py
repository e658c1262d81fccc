"""`python -m streams.broker fetch [--jars DIR]`: fetch the broker's jars before the tests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from streams.broker.jars import KAFKA_VERSION, fetch_jars, jars_ready
from streams.errors import BrokerError


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.broker")
    sub = parser.add_subparsers(dest="action", required=True)
    fetch = sub.add_parser("fetch", help="fetch the Kafka jars from Maven Central (once)")
    fetch.add_argument("--jars", default=".kafka/jars", help="cache directory")
    args = parser.parse_args()
    cache = Path(args.jars)
    try:
        if jars_ready(cache):
            print(f"kafka: Apache Kafka {KAFKA_VERSION} jars cached in {cache}", file=sys.stderr)
            return 0
        fetch_jars(cache)
    except BrokerError as exc:
        print(f"kafka: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

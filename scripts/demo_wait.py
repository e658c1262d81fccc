"""Wait until the demo worker has applied every valid event of a file (polling /health),
showing progress; exit 1 with the worker's last state when it does not within 3 minutes."""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path

from routing.errors import EventError
from routing.events import parse_event


def valid_events(path: Path) -> int:
    count = 0
    for line in path.read_bytes().splitlines():
        if line.strip():
            try:
                parse_event(line)
            except EventError:
                continue
            count += 1
    return count


def main() -> int:
    url, path = sys.argv[1], Path(sys.argv[2])
    want = valid_events(path)
    deadline = time.monotonic() + 180
    health: dict[str, object] = {}
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                health = json.loads(resp.read())
        except OSError:
            health = {}
        stats = health.get("engine") or {}
        assert isinstance(stats, dict)
        done = sum(int(stats.get(k, 0)) for k in ("applied", "duplicate", "refused"))
        print(f"\r   worker: {done:,} / {want:,} events applied", end="", file=sys.stderr)
        if done >= want:
            time.sleep(1.0)  # the idle tick fires the timers due by the last event's time
            print(file=sys.stderr)
            return 0
        time.sleep(0.3)
    print(f"\n   the worker did not finish in time; last /health: {health}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

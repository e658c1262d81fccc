"""Kafka client errors during a broker outage are rate-limited in the worker's log: one line
per kind and interval, saying how many it held back (streams.quiet_logs)."""

from __future__ import annotations

import io
import logging

from streams.quiet_logs import RateLimit


def test_one_line_per_interval_with_a_count() -> None:
    now = [0.0]
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RateLimit(10.0, clock=lambda: now[0]))
    conn = logging.getLogger("aiokafka.conn.test")
    own = logging.getLogger("streams.test")
    for log in (conn, own):
        log.addHandler(handler)
        log.propagate = False
    try:
        for i in range(5001):  # an outage: thousands of connection errors over 20 s
            now[0] = i * 0.004
            conn.error("Unable connect to node with id %s: %s", 1, "refused")
        conn.warning("Marking the coordinator dead (node %s)", 1)
        own.error("the worker's own lines always pass")
        own.error("the worker's own lines always pass")
    finally:
        for log in (conn, own):
            log.removeHandler(handler)
            log.propagate = True
    lines = out.getvalue().splitlines()
    errors = [line for line in lines if line.startswith("Unable connect")]
    assert errors == [
        "Unable connect to node with id 1: refused",
        "Unable connect to node with id 1: refused [2499 more like this since the last one shown]",
        "Unable connect to node with id 1: refused [2499 more like this since the last one shown]",
    ]
    assert "Marking the coordinator dead (node 1)" in lines  # another kind: its own count
    assert lines.count("the worker's own lines always pass") == 2

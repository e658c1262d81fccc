"""Keeps the worker's log readable during a broker outage: the Kafka clients (aiokafka,
Faust, mode) log a warning or an error for every failed connection attempt, thousands a
second across the worker's clients. `RateLimit` lets the first line of each kind through,
then one per `every_s` that says how many like it it held back.

A kind is the logger and the message's template (before its arguments), so two different
problems are never merged into one count. Lines below WARNING and lines of the worker's
own loggers always pass. Nothing here reads the wall clock: `clock` is passed in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

NOISY = ("aiokafka", "kafka", "faust", "mode")


class RateLimit(logging.Filter):
    def __init__(self, every_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every_s = every_s
        self.clock = clock
        self.kinds: dict[tuple[str, int, str], list[float]] = {}  # -> [last shown, held]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not record.name.startswith(NOISY):
            return True
        key = (record.name, record.levelno, str(record.msg)[:200])
        now = self.clock()
        kind = self.kinds.get(key)
        if kind is not None and now - kind[0] < self.every_s:
            kind[1] += 1
            return False
        held = int(kind[1]) if kind is not None else 0
        self.kinds[key] = [now, 0]
        if held:
            record.msg = f"{record.msg} [{held} more like this since the last one shown]"
        return True


def install(every_s: float, clock: Callable[[], float] = time.monotonic) -> RateLimit:
    """Put one `RateLimit` on every handler of the root logger (where the Kafka clients'
    lines end up); returns it."""
    limit = RateLimit(every_s, clock)
    for handler in logging.getLogger().handlers:
        handler.addFilter(limit)
    return limit

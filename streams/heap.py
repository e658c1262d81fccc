"""Keeps Python's cyclic garbage collector off the pool stage's long-lived state.

A full (generation-2) collection traverses every container object in the process, and the
engine is most of them: its cost grows with the leads held, and it stops the event loop
for all of it. Measured on the benchmark's worker (docs/benchmarks.md, "Kafka worker"):
70-610 ms per full collection at 5,000 leads on a busy machine, and 670-1,324 ms while a
forked snapshot writer was alive (the collection writes to every object's header, so the
kernel copies each page the child still shares): the p99 latency stalls were these pauses.

`freeze()` moves every object alive now into the permanent generation, which collections
skip; the pool stage calls it once its engine is recovered and right before each snapshot
(the fork: CPython's documented recipe for fork without exec), so a collection only
traverses what was allocated since the last snapshot. Frozen objects are still freed by
reference counting; only a reference *cycle* among them would never be collected. The
core makes none (routing.collector; tests/test_collector.py checks it), so freezing the
engine leaks nothing; the young generations are collected first, so short-lived cyclic
garbage is not frozen either.
`thaw()` (the stage is released) hands everything back to the collector.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def freeze() -> None:
    """Collect the young generations, then freeze every object alive now."""
    gc.collect(1)
    gc.freeze()


def thaw() -> None:
    """Give every frozen object back to the collector (the next full collection)."""
    gc.unfreeze()


def in_child() -> None:
    """In a forked snapshot writer, which exits when done: no collections (they would only
    touch pages shared with the worker, copying them)."""
    gc.disable()


class PauseWatch:
    """Times each collection (`gc.callbacks`) and reports it as `observe(generation,
    seconds)`: the worker's `leadflow_gc_pause_seconds` histogram."""

    def __init__(self, observe: Callable[[int, float], None]) -> None:
        self.observe = observe
        self.started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.observe(int(info["generation"]), time.perf_counter() - self.started)

    def start(self) -> None:
        gc.callbacks.append(self)

    def stop(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)

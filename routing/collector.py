"""The cyclic garbage collector during a run of the core: off, and back as it was after.

The core makes no reference cycles but one per engine (an `Engine` is its own lead desk's
sink; `Engine.release()` breaks it for drivers that drop many engines): after replaying
the full benchmark stream (1,037,340 events, 100,000 leads) with the collector off, a
collection finds 0 unreachable objects (`tests/test_collector.py` checks this on every
run). Reference counting alone frees everything the core drops. Yet a run allocates
millions of short-lived containers (timer entries, decisions) while the lead records pile
up, so with the collector on each young collection walks survivors for nothing and each
full one walks the whole engine: 8-12% of a replay (docs/benchmarks.md, "Offline replay")
and 6-10% of a simulated replication.

Used by the drivers that own a run from start to end: `leadflow replay` and `scorecard`,
the replay benchmark, and each simulator replication. The Kafka worker runs for months and
freezes its heap instead (`streams.heap`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_collections() -> Iterator[None]:
    """The cyclic collector is off inside the block, and as it was before after it, also
    when the block raises. Cyclic garbage made inside (none from the core) is collected at
    the first collection after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()

"""The drivers that own a run turn the cyclic collector off (routing.collector); this is
safe only while the core makes no reference cycles, which these tests check."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.generate import generate
from routing.collector import no_collections
from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import replay_lines


@pytest.fixture
def collector_as_it_was() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def test_a_replay_leaves_no_cyclic_garbage(tmp_path: Path, collector_as_it_was: None) -> None:
    """A generated quarter (every kind of event, malformed lines and duplicates included)
    replayed with the collector off: a collection afterwards finds nothing to free."""
    stream = tmp_path / "stream.jsonl"
    generate(300, 12, stream, seed=3)
    engine = Engine(load_policy(stream.parent / "policy.yaml"))
    gc.collect()
    with no_collections(), stream.open("rb") as lines:
        kinds = {json.loads(out)["type"] for out in replay_lines(engine, lines)}
        assert not gc.isenabled()
    assert {"lead.assigned", "sla.breached", "event.rejected"} <= kinds  # a varied run
    assert engine.stats["applied"] > 10 * 300  # about 11 events a lead
    assert gc.collect() == 0
    engine.release()  # the one cycle: the engine is its own desk's sink
    del engine
    assert gc.collect() == 0  # reference counting freed every lead, clock and timer


def test_a_dropped_engine_is_one_cycle_until_released(collector_as_it_was: None) -> None:
    loaded = load_policy(Path(__file__).resolve().parent.parent / "examples" / "policy.yaml")
    gc.collect()
    gc.disable()
    engine = Engine(loaded)
    del engine
    assert gc.collect() > 0  # the engine and its desk point at each other
    engine = Engine(loaded)
    engine.release()
    del engine
    assert gc.collect() == 0


def test_the_collector_is_as_it_was_after_the_block(collector_as_it_was: None) -> None:
    for before in (True, False):
        gc.enable() if before else gc.disable()
        with pytest.raises(RuntimeError), no_collections():
            assert not gc.isenabled()
            raise RuntimeError("the run failed")
        assert gc.isenabled() is before

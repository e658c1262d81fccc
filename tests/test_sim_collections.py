"""A replication runs with the cyclic GC off and leaves it as it found it, on or off, also
when the run fails (routing.collector.no_collections, as the simulator uses it)."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.driver import run_replication
from simulator.leadgen import tier_templates
from simulator.scenario import Scenario, load_scenario

MMC = Path(__file__).resolve().parent.parent / "examples" / "mmc" / "scenario.yaml"


@pytest.fixture(scope="module")
def day() -> Scenario:
    scenario = load_scenario(MMC)
    return dataclasses.replace(scenario, end=scenario.start + 86400)


@pytest.fixture()
def gc_as_it_was() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def _run(day: Scenario, seen: list[bool], fail_at: float = 2.0) -> dict[str, Any]:
    def tick(share: float) -> None:  # called from inside the run, in simulated time
        seen.append(gc.isenabled())
        if share >= fail_at:
            raise RuntimeError("stopped by the test")

    return run_replication(day, 0, tier_templates(day.loaded.policy), tick)


@pytest.mark.parametrize("enabled", [True, False])
def test_off_during_the_run_and_as_before_after(
    day: Scenario, gc_as_it_was: None, enabled: bool
) -> None:
    if enabled:
        gc.enable()
    else:
        gc.disable()
    seen: list[bool] = []
    result = _run(day, seen)
    assert sum(result["arrivals"]) > 900  # about 1,037 a day
    assert len(seen) == 50 and not any(seen)
    assert gc.isenabled() is enabled


def test_back_on_when_the_run_fails(day: Scenario, gc_as_it_was: None) -> None:
    gc.enable()
    seen: list[bool] = []
    with pytest.raises(RuntimeError, match="stopped by the test"):
        _run(day, seen, fail_at=0.5)
    assert seen and not any(seen)
    assert gc.isenabled()


def test_a_replication_leaves_nothing_for_the_cyclic_gc(day: Scenario, gc_as_it_was: None) -> None:
    """Its cycles are broken before it returns, so reference counting frees the run and
    the first collection after it does not walk every object the run made. What is left:
    SimPy's own `Environment` (its bound methods point back at it), a few objects."""
    gc.collect()
    gc.disable()
    result = _run(day, [])
    assert sum(result["arrivals"]) > 900
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        found = gc.collect()
        kinds = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert found < 50  # about 9,000 (every lead, arrival, plan, ...) before the fix
    assert not kinds & {"Lead", "Arrival", "Plan", "RepAgent", "Replication", "Engine"}

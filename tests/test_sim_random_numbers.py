"""Reproducible for a seed; common random numbers across staffing; independent replications."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.aggregate import aggregate
from simulator.driver import run_replication
from simulator.leadgen import tier_templates
from simulator.scenario import Scenario, load_scenario
from simulator.staffing import team_with

SMALL = Path(__file__).resolve().parent / "data" / "sim" / "small.yaml"


def _runs(scenario: Scenario, n: int = 2) -> list[dict[str, Any]]:
    templates = tier_templates(scenario.loaded.policy)
    return [run_replication(scenario, i, templates) for i in range(n)]


def _json(scenario: Scenario, runs: list[dict[str, Any]]) -> str:
    return json.dumps(aggregate(scenario, runs), sort_keys=True)


def test_the_same_seed_gives_identical_json() -> None:
    scenario = load_scenario(SMALL)
    assert _json(scenario, _runs(scenario)) == _json(scenario, _runs(scenario))


def test_another_seed_gives_other_arrivals() -> None:
    scenario = load_scenario(SMALL)
    a = _runs(scenario, 1)[0]
    b = _runs(scenario.with_runs(None, scenario.seed + 1), 1)[0]
    assert a["arrivals"] != b["arrivals"]


def test_replications_are_different_draws() -> None:
    scenario = load_scenario(SMALL)
    first, second = _runs(scenario)
    assert first["arrivals"] != second["arrivals"]


def test_changing_the_staffing_leaves_the_arrivals_alone() -> None:
    scenario = load_scenario(SMALL)
    fewer = scenario.with_team(team_with(scenario.loaded.team, "commercial", 2))
    more = scenario.with_team(team_with(scenario.loaded.team, "commercial", 9))
    base, low, high = (_runs(s, 1)[0] for s in (scenario, fewer, more))
    assert base["arrivals"] == low["arrivals"] == high["arrivals"]
    assert base["mqls_per_week"] == low["mqls_per_week"] == high["mqls_per_week"]
    for tier in base["tiers"]:
        assert base["tiers"][tier]["leads"] == low["tiers"][tier]["leads"]
    # ... while the service they get does change.
    assert low["tiers"]["tier2"]["within"] / low["tiers"]["tier2"]["determined"] < (
        high["tiers"]["tier2"]["within"] / high["tiers"]["tier2"]["determined"]
    )


def test_progress_ticks_do_not_change_the_results() -> None:
    scenario = load_scenario(SMALL)
    templates = tier_templates(scenario.loaded.policy)
    ticks: list[float] = []
    with_ticks = run_replication(scenario, 0, templates, ticks.append)
    without = run_replication(scenario, 0, templates)
    assert json.dumps(with_ticks, sort_keys=True) == json.dumps(without, sort_keys=True)
    assert ticks == sorted(ticks) and ticks[-1] == 1.0 and len(ticks) > 10

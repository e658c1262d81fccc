"""A clear warning when the backlog grows without bound, and none for a healthy team."""

from __future__ import annotations

from pathlib import Path

from simulator.run import simulate
from simulator.scenario import load_scenario
from simulator.staffing import team_with

SMALL = Path(__file__).resolve().parent / "data" / "sim" / "small.yaml"


def test_an_understaffed_team_is_flagged_unstable() -> None:
    scenario = load_scenario(SMALL).with_runs(2, None)
    team = team_with(team_with(scenario.loaded.team, "commercial", 1), "bench", 1)
    result = simulate(scenario.with_team(team))
    assert result["unstable"] is True
    assert result["warnings"][0].startswith("UNSTABLE staffing")
    stability = result["stability"]
    assert stability["queue_last_quarter"] > stability["queue_second_quarter"]
    assert stability["backlog_end"] > 0.25 * stability["arrivals_per_week"]


def test_the_reference_team_is_stable() -> None:
    result = simulate(load_scenario(SMALL).with_runs(2, None))
    assert result["unstable"] is False
    assert not any(w.startswith("UNSTABLE") for w in result["warnings"])
    assert result["stability"]["backlog_end"] < 0.25 * result["stability"]["arrivals_per_week"]

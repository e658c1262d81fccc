"""Staffing search: the smallest headcount meeting every target on the lower CI end, with
the table showing that one fewer rep does not meet them and one more does."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.cli import main
from simulator.scenario import load_scenario
from simulator.staffing import search, team_with
from tests.sim_cases import unreachable_demo

SMALL = Path(__file__).resolve().parent / "data" / "sim" / "small.yaml"


def test_team_with_removes_single_pool_reps_first_and_clones_to_grow() -> None:
    team = load_scenario(SMALL).loaded.team
    commercial = [r.id for r in team.reps if "commercial" in r.pools]
    assert commercial == ["rep-04", "rep-05", "rep-06", "rep-07", "rep-08", "rep-10"]
    two = team_with(team, "commercial", 2)
    assert [r.id for r in two.reps if "commercial" in r.pools] == ["rep-04", "rep-10"]
    assert {r.id for r in two.reps if "commercial" not in r.pools} == {
        r.id for r in team.reps if "commercial" not in r.pools
    }
    eight = team_with(team, "commercial", 8)
    extra = [r for r in eight.reps if r.id.startswith("commercial-extra")]
    assert [r.id for r in extra] == ["commercial-extra-01", "commercial-extra-02"]
    assert extra[0].pools == ["commercial"] and extra[0].team_lead == "tl-west"


@pytest.fixture(scope="module")
def found() -> dict[str, object]:
    return search(load_scenario(SMALL).with_runs(3, None))


def test_the_search_finds_the_smallest_headcount(found: dict[str, object]) -> None:
    rows = found["rows"]
    assert isinstance(rows, list)
    best = found["headcount"]
    assert isinstance(best, int)
    by = {r["headcount"]: r for r in rows}
    assert by[best]["meets_targets"]
    assert not by[best - 1]["meets_targets"]  # one fewer does not
    assert by[best + 1]["meets_targets"]  # one more does
    assert all(not r["meets_targets"] for r in rows if r["headcount"] < best)
    for tier, target in found["targets"].items():  # type: ignore[attr-defined]
        assert by[best]["tiers"][tier]["first_touch_within_sla_ci95"][0] >= target


def test_staff_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["staff", str(SMALL), "--replications", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert "headcount" in out and "smallest headcount of commercial meeting every target" in out
    assert code == 0
    assert len([line for line in out.splitlines() if line.strip()[:1].isdigit()]) == 6


def test_a_target_no_headcount_reaches_is_named(tmp_path: Path) -> None:
    # demo requests have a 1-hour calendar window: evenings and weekends breach it
    found = search(load_scenario(unreachable_demo(tmp_path)).with_runs(2, None))
    assert found["headcount"] is None
    assert list(found["unreachable"]) == ["demo_request"]
    reach = found["reachable_headcount"]
    rows = {r["headcount"]: r for r in found["rows"]}
    assert reach is not None and rows[reach]["meets_reachable"]
    assert not any(r["meets_targets"] for r in rows.values())

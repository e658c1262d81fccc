"""The reference scenario runs as it is, through the CLI, and its JSON keeps the contract
(docs/simulator.md) that the HTML report renders."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from leadflow.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "scenario.yaml"
TIERS = ["demo_request", "tier1", "tier2", "tier3"]
POOLS = ["enterprise", "commercial", "bench"]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("sim") / "result.json"
    code = main(
        ["simulate", str(EXAMPLE), "--replications", "2", "--json", str(out), "--no-progress"]
    )
    assert code == 0
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_the_scenario_block_says_what_ran(result: dict[str, Any]) -> None:
    s = result["scenario"]
    assert s["start"] == "2026-01-05T00:00:00-05:00" and s["end"].startswith("2026-04-06")
    assert s["weeks"] == 13 and s["seed"] == 42
    assert s["headcount"] == {"enterprise": 3, "commercial": 6, "bench": 2}
    assert result["replications"] == 2


def test_every_tier_has_the_required_fields(result: dict[str, Any]) -> None:
    assert list(result["tiers"]) == TIERS
    for tier in TIERS:
        row = result["tiers"][tier]
        share, (lo, hi) = row["first_touch_within_sla"], row["first_touch_within_sla_ci95"]
        assert 0 <= lo <= share <= hi <= 1
        m = row["first_touch_minutes"]
        assert 0 <= m["p50"] <= m["p95"] <= m["p99"]
        for key in ("leads", "breaches", "escalations", "reassignments", "untouched"):
            assert row[key] >= 0


def test_the_mix_and_the_webinar_arrive(result: dict[str, Any]) -> None:
    leads = {t: result["tiers"][t]["leads"] for t in TIERS}
    total = sum(leads.values())
    assert 13 * 150 * 0.9 + 400 < total < 13 * 150 * 1.1 + 400
    # The webinar is all tier1/tier2: demo requests stay about 10% of the steady inflow.
    assert 0.07 < leads["demo_request"] / (total - 400) < 0.13
    series = result["series"]
    peak = max(range(len(series["arrivals"])), key=series["arrivals"].__getitem__)
    assert series["t"][peak].startswith("2026-02-10")
    assert len(series["t"]) == len(series["arrivals"]) == len(series["queue"]["commercial"])
    assert datetime.fromisoformat(series["t"][1]) > datetime.fromisoformat(series["t"][0])


def test_the_webinar_puts_commercial_in_surge(result: dict[str, Any]) -> None:
    periods = [p for p in result["surge"]["periods"] if p["pool"] == "commercial"]
    assert any(p["start"].startswith("2026-02-10") for p in periods)
    assert result["surge"]["hours"]["commercial"] > 0
    assert max(result["series"]["surge"]["commercial"]) > 0


def test_pools_reps_and_the_rest(result: dict[str, Any]) -> None:
    assert list(result["pools"]) == POOLS
    for pool in POOLS:
        row = result["pools"][pool]
        assert 0 < row["utilization"] < 1
        assert row["queue"]["max"] >= row["queue"]["mean"] >= 0
    assert set(result["reps"]) == {f"rep-{i:02d}" for i in range(1, 11)}
    assert result["reps"]["rep-10"]["pools"] == ["bench", "commercial"]
    assert result["unstable"] is False
    assert 0 < result["follow_up"]["completion"] <= 1
    outcomes = result["disposition"]["outcomes"]
    assert abs(sum(outcomes.values()) - 1) < 1e-9 and "unresponsive" in outcomes
    assert (
        result["marketing"]["commitment"] == 120 and len(result["marketing"]["mqls_per_week"]) == 13
    )
    assert 0 < result["pipeline"]["lost_to_slow_response"] < 1
    hist = result["histograms"]["first_touch_minutes"]["tier1"]
    assert len(hist["edges"]) == len(hist["counts"]) + 1
    assert result["targets"]["tier1"] == 0.95
    assert isinstance(result["meets_targets"], bool)


def test_html_without_the_report_package_says_so_or_writes(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code = main(
        [
            "simulate",
            str(ROOT / "tests" / "data" / "sim" / "small.yaml"),
            "--replications",
            "1",
            "--html",
            str(out),
            "--no-progress",
        ]
    )
    try:
        from simulator.report import write_html  # noqa: F401
    except ImportError:
        assert code == 2 and not out.exists()
    else:
        assert code == 0 and out.stat().st_size > 0


def test_progress_shows_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    small = ROOT / "tests" / "data" / "sim" / "small.yaml"
    assert main(["simulate", str(small), "--replications", "2", "--progress"]) == 0
    err = capsys.readouterr().err
    assert "simulating small [" in err and "2.0/2 replications" in err

"""Compare runs scenarios on the same random numbers and shows them side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.cli import main
from simulator.compare import compare
from simulator.scenario import load_scenario

DATA = Path(__file__).resolve().parent / "data" / "sim"


def test_with_and_without_surge_see_the_same_leads() -> None:
    surge, plain = (load_scenario(DATA / n) for n in ("small.yaml", "small-no-surge.yaml"))
    a, b = compare([surge.with_runs(2, None), plain])
    assert a["replications"] == b["replications"] == 2
    assert a["series"]["arrivals"] == b["series"]["arrivals"]
    assert {t: r["leads"] for t, r in a["tiers"].items()} == {
        t: r["leads"] for t, r in b["tiers"].items()
    }
    assert a["surge"]["hours"]["commercial"] > 0
    assert all(h == 0 for h in b["surge"]["hours"].values())


def test_compare_prints_a_side_by_side_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "compare",
            str(DATA / "small.yaml"),
            str(DATA / "small-no-surge.yaml"),
            "--replications",
            "1",
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    header = out.splitlines()[2]
    assert "small" in header and "small-no-surge" in header
    for label in (
        "tier1 within SLA",
        "tier1 p95 minutes",
        "commercial surge hours",
        "commercial utilization",
        "unstable",
    ):
        assert any(line.startswith(label) for line in out.splitlines()), label

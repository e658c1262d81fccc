"""`leadflow plan`: revenue goal -> MQLs per week and month, arithmetic shown."""

from __future__ import annotations

import pytest

from leadflow.cli import main
from leadflow.review.plan import plan


def test_arithmetic() -> None:
    p = plan(3_000_000, 25_000, 0.25, 0.12, "quarter", {"tier1": 3, "tier2": 7})
    assert p["deals"] == pytest.approx(120)
    assert p["opportunities"] == pytest.approx(480)
    assert p["mqls"] == pytest.approx(4000)
    assert p["per_week"] == pytest.approx(4000 / 13)
    assert p["per_month"] == pytest.approx(4000 / 3)
    assert p["tiers"]["tier1"]["per_week"] == pytest.approx(4000 / 13 * 0.3)
    assert "480.0 / 0.120 = 4,000.0" in p["steps"][2]


def test_command_shows_the_steps(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--revenue", "1200000", "--period", "year", "--deal-size", "10000",
                 "--win-rate", "0.2", "--mql-to-opportunity", "0.1", "--format", "markdown"])
    assert code == 0
    out = capsys.readouterr().out
    assert "| MQLs needed | 6,000 | computed |" in out
    assert "per week = 6,000.0 / 52 weeks = 115.4" in out
    assert "Not computed: give --history" in out


def test_missing_rate_without_funnel_is_clear(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--revenue", "100", "--deal-size", "10", "--win-rate", "0.2"]) == 2
    assert "--mql-to-opportunity: not given, and not measured" in capsys.readouterr().err
    assert main(["plan", "--revenue", "100", "--deal-size", "10", "--win-rate", "2",
                 "--mql-to-opportunity", "0.1"]) == 2
    assert "--win-rate: expected a share in (0, 1]" in capsys.readouterr().err


def test_tier_mix_measured_from_a_history(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.review_fixtures import make_quarter

    q = make_quarter(tmp_path, leads=600, reps=30)
    code = main(["plan", "--revenue", "1000000", "--deal-size", "20000", "--win-rate", "0.25",
                 "--mql-to-opportunity", "0.1", "--history", str(q.stream), "--policy",
                 str(q.policy), "--by-tier", "--no-headcount"])
    assert code == 0
    out = capsys.readouterr().out
    assert "MQLs needed" in out and "2,000" in out
    for tier in ("demo_request", "tier1", "tier2", "tier3"):
        assert f"\n{tier}" in out

"""`leadflow review`: the review pack's baselines equal figures recomputed independently
from the decision stream and the inputs; the proposed volume is in the brief's band."""

from __future__ import annotations

import math
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadflow.cli import main
from leadflow.review.baseline import roundest
from leadflow.review.history import load, run
from leadflow.review.pack import build_pack
from tests.replaying import EXAMPLES
from tests.review_fixtures import (
    Quarter,
    decisions,
    make_quarter,
    weekly_figures,
    weekly_funnel,
)

NY = ZoneInfo("America/New_York")


@pytest.fixture(scope="session")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> Quarter:
    return make_quarter(tmp_path_factory.mktemp("quarter"))


def _check_baselines(policy: Path, history: Path) -> dict:
    """Each baseline equals the independent recomputation by the scorecard's documented
    rule: a count's mean over the weeks used; a share pooled over the weeks used (sum of
    numerators / sum of denominators `n`, each week counted on the row's own basis); each
    funnel rate pooled over the weeks' MQL cohorts (`weekly_funnel`)."""
    pack = build_pack(run(load(str(policy)), str(history)))
    weekly = weekly_figures(decisions(policy, history), history, NY)
    used = pack["period"]["used"]
    checked = 0
    for b in pack["commitments"]:
        figures = [weekly.get(w, {}).get(b["commitment"], (0.0, 0)) for w in used]
        if b["commitment"] == "mql_volume":
            expected: float | None = sum(num for num, _ in figures) / len(figures)
        else:
            n = sum(den for _, den in figures)
            expected = sum(num for num, _ in figures) / n if n else None
        if expected is None:
            assert b["baseline"] is None, b
            continue
        assert b["baseline"] == pytest.approx(expected, abs=1e-12), b["commitment"]
        checked += 1
    assert checked >= 6
    funnel = weekly_funnel(decisions(policy, history), history, NY)
    assert pack["has_funnel"] and len(pack["funnel"]) == 4
    for f in pack["funnel"]:
        counted = [funnel.get(w, {}).get(f["rate"], (0, 0)) for w in used]
        met, n = sum(x for x, _ in counted), sum(y for _, y in counted)
        assert f["baseline"] == (pytest.approx(met / n, abs=1e-12) if n else None), f["rate"]
        if n:
            weeks = f"{len(used)} week" + ("s" if len(used) > 1 else "")
            assert f["how"] == f"pooled: {met:,} of n = {n:,} in {weeks}"
    return pack


def _in_band(pack: dict) -> float:
    volume = next(p for p in pack["proposals"] if p["kind"] == "volume")
    base = volume["baseline"]
    assert base * 1.10 - 1e-9 <= volume["proposed"] <= base * 1.15 + 1e-9
    return float(volume["proposed"])


def test_sample_baselines_recomputed_and_volume_in_band() -> None:
    pack = _check_baselines(EXAMPLES / "policy.yaml", EXAMPLES / "events.sample.jsonl")
    assert pack["period"]["used"] == ["2026-W02"] and not pack["period"]["judged"]
    assert pack["commitments"][0]["baseline"] == 4  # the sample's four MQLs
    assert _in_band(pack) == 4.5  # no whole number in [4.4, 4.6]: said so
    assert "no whole number" in pack["proposals"][0]["note"]


def test_generated_quarter_baselines_recomputed_and_volume_in_band(quarter: Quarter) -> None:
    pack = _check_baselines(quarter.policy, quarter.stream)
    # the quarter under review ends at the agreement's first review (2026-04-05)
    assert pack["period"]["used"][0] == "2026-W02" and pack["period"]["used"][-1] == "2026-W14"
    assert pack["period"]["judged"]
    proposed = _in_band(pack)
    assert proposed.is_integer()


@pytest.mark.parametrize(
    ("lo", "hi", "want"),
    [(137.8, 144.1, 140.0), (4.4, 4.6, 4.5), (110.0, 115.0, 110.0), (6231.5, 6514.8, 6500.0)],
)
def test_roundest_number_in_band(lo: float, hi: float, want: float) -> None:
    got = roundest(lo, hi)
    assert got == want and lo <= got <= hi


def test_review_command_writes_markdown_and_html(quarter: Quarter, tmp_path: Path) -> None:
    md, page = tmp_path / "review.md", tmp_path / "review.html"
    args = ["review", str(quarter.stream), "--policy", str(quarter.policy), "--no-capacity"]
    assert main([*args, "--out", str(md)]) == 0
    text = md.read_text()
    assert "## Measured baselines" in text and "| mql_volume |" in text
    assert "## Rejection reasons that rose" in text
    assert main([*args, "--out", str(page)]) == 0
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and 'data-plot="trends"' in html
    assert "http://" not in html and "https://" not in html  # works offline


def test_review_refuses_to_overwrite_its_input(quarter: Quarter, capsys) -> None:
    before = quarter.stream.stat().st_size
    code = main(["review", str(quarter.stream), "--policy", str(quarter.policy),
                 "--no-capacity", "--out", str(quarter.stream)])
    assert code == 2 and "refusing to overwrite" in capsys.readouterr().err
    assert quarter.stream.stat().st_size == before


def test_review_bad_options_are_clear(quarter: Quarter, capsys) -> None:
    base = ["review", str(quarter.stream), "--policy", str(quarter.policy), "--no-capacity"]
    assert main([*base, "--until", "April"]) == 2
    assert "--until: expected a date" in capsys.readouterr().err
    assert main([*base, "--months", "0"]) == 2
    assert "--months" in capsys.readouterr().err
    assert main(["review", "missing.jsonl", "--policy", str(quarter.policy)]) == 2
    assert "missing.jsonl: cannot read the history" in capsys.readouterr().err


def test_capacity_by_the_staffing_search(quarter: Quarter) -> None:
    """Short runs: one pool, one simulated week, one replication."""
    from leadflow.review.capacity import capacity

    history = run(load(str(quarter.policy)), str(quarter.stream))
    pack = build_pack(history)
    cap = capacity(history, pack, weeks=1, replications=1, pools=["commercial"])
    (pool,) = cap["pools"]
    assert pool["pool"] == "commercial" and pool["current"] == 18
    assert pool["headcount"] is not None and 1 <= pool["headcount"] <= 36
    # the answer is a probed headcount that met the targets, one below it did not (or is 0)
    assert f"{pool['headcount']} (yes)" in pool["probes"]
    below = pool["headcount"] - 1
    assert below == 0 or f"{below} (no)" in pool["probes"]
    assert "demo_request" in pool["unreachable"]  # a calendar-clock hour runs at night
    assert not math.isnan(cap["targets"]["tier1"])


def test_render_a_saved_pack_without_replaying(quarter: Quarter, tmp_path: Path) -> None:
    saved, again = tmp_path / "pack.json", tmp_path / "again.md"
    first = tmp_path / "first.md"
    assert main(["review", str(quarter.stream), "--policy", str(quarter.policy),
                 "--no-capacity", "--json", str(saved), "--out", str(first)]) == 0
    assert main(["review", "--render", str(saved), "--out", str(again)]) == 0
    assert again.read_text() == first.read_text()
    assert main(["review", "--render", str(quarter.policy)]) == 2  # not a pack

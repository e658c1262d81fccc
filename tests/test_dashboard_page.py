"""The page renderer on the scorecard's JSON as it is today and as issue 12 extends it (n on
rows, trends, a funnel per period, periods per granularity); the headline fragment the
weekly email reuses; escaping; settings and tokens."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from dashboard.auth import Tokens
from dashboard.charts import PALETTE
from dashboard.data import TREND_PERIODS, view_of
from dashboard.errors import DashboardError
from dashboard.fragment import headline_html
from dashboard.page import render_page, update_of
from dashboard.settings import DashboardSettings, load_dashboard_settings, read_tokens
from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import replay
from simulator.report.figure import PALETTE as REPORT_PALETTE
from tests.worker_process import POLICY, SAMPLE


@pytest.fixture(scope="module")
def scorecard() -> dict[str, Any]:
    engine = Engine(load_policy(POLICY))
    list(replay(engine, SAMPLE.read_text().splitlines()))
    data: dict[str, Any] = json.loads(json.dumps(engine.commitments.to_json(engine.now)))
    return data


def island(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="lf-data">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_headline_rows_are_the_scorecards(scorecard: dict[str, Any]) -> None:
    html = headline_html(scorecard)
    week = scorecard["weeks"][-1]

    rows = re.findall(
        r'<tr data-commitment="([^"]+)" data-target="([^"]+)" data-actual="([^"]+)"', html
    )
    assert [r[0] for r in rows] == [r["commitment"] for r in week["rows"]]
    for (_, target, actual), row in zip(rows, week["rows"], strict=True):
        assert json.loads(target.replace("&quot;", '"')) == row["target"]
        assert json.loads(actual.replace("&quot;", '"')) == row["actual"]
    assert 'data-side="marketing"' in html and 'data-side="sales"' in html
    assert "<script" not in html and "<style" not in html  # inline styles: email-ready
    assert f"Period {week['label']}" in html


def test_headline_of_a_named_period(scorecard: dict[str, Any]) -> None:
    first = scorecard["weeks"][0]["label"]
    assert f'data-period="{first}"' in headline_html(scorecard, label=first)
    with pytest.raises(DashboardError, match="no week labelled '1999-W01'"):
        headline_html(scorecard, label="1999-W01")


def test_the_richer_scorecard_lights_up(scorecard: dict[str, Any]) -> None:
    rich = copy.deepcopy(scorecard)
    weeks = rich.pop("weeks")
    for week in weeks:
        for row in week["rows"]:
            row["n"] = 7
        week["period"] = week.pop("label")
        week["funnel"] = {"mql": 10, "sal_rate": {"rate": 0.5, "n": 4, "target": 0.6}, "x": 0.25}
    rich["periods"] = {"week": weeks, "month": []}
    rich["trends"] = {
        "sal_rate": [
            {"period": w["period"], "actual": 0.4, "n": 5, "status": "missed"} for w in weeks
        ]
    }

    view = view_of(rich)
    page = render_page(rich)
    charts = {c["id"]: c for c in island(page)["charts"]}

    assert [t.name for t in view.trends] == ["sal_rate"]  # the scorecard's own trends
    assert view.trends[0].points[-1].actual == 0.4 and view.trends[0].points[-1].n == 5
    assert set(charts) >= {"trend-sal-rate", "funnel-sal-rate", "funnel-x"}
    assert "funnel-mql" not in charts  # a count, not a rate
    assert charts["funnel-sal-rate"]["series"][1]["values"][0] == 0.6  # its target line
    assert "(n=7)" in headline_html(rich)
    assert 'data-n="7"' in page


def test_trends_come_from_the_scorecards_json(scorecard: dict[str, Any]) -> None:
    view = view_of(scorecard)
    given = scorecard["trends"]
    committed = {r["commitment"]: r for w in scorecard["weeks"] for r in w["rows"]}

    # Each list of `trends` is charted once: a commitment's among the trends, with its
    # side and target, a funnel rate's (no card has a row for it) among the funnel rates.
    assert [t.name for t in view.trends] == [n for n in given if n in committed]
    assert [t.name for t in view.funnel] == [n for n in given if n not in committed]
    assert {"mql_to_opportunity", "quality_acceptance"} <= {t.name for t in view.funnel}
    for trend in [*view.trends, *view.funnel]:
        points = given[trend.name][-TREND_PERIODS:]
        assert [(p.period, p.actual, p.n, p.status) for p in trend.points] == [
            (p["period"], p["actual"], p["n"], p["status"]) for p in points
        ]
        if trend.name in committed:
            assert trend.target == committed[trend.name]["target"]
            assert trend.side == committed[trend.name]["side"]
        else:
            assert trend.side == "funnel" and trend.target is None


def test_trends_are_derived_from_the_weeks_without_them(scorecard: dict[str, Any]) -> None:
    bare = {k: v for k, v in scorecard.items() if k != "trends"}
    view = view_of(bare)
    week_rows = {r["commitment"]: r for r in scorecard["weeks"][-1]["rows"]}

    assert [t.name for t in view.trends] == list(week_rows)
    for trend in view.trends:
        assert trend.target == week_rows[trend.name]["target"]
        assert [p.period for p in trend.points] == [w["label"] for w in scorecard["weeks"]]
        assert trend.points[-1].actual == week_rows[trend.name]["actual"]
        assert trend.points[-1].n == week_rows[trend.name]["n"]
    # The funnel rates then come from the weeks' `funnel` objects: the names their `n`
    # gives a denominator for (not the mean score), those with something measured.
    funnels = [w["funnel"] for w in scorecard["weeks"]]
    measured = [name for name in funnels[0]["n"] if any(f[name] is not None for f in funnels)]
    assert measured and [t.name for t in view.funnel] == measured
    for trend in view.funnel:
        assert [(p.actual, p.n) for p in trend.points] == [
            (f[trend.name], f["n"][trend.name]) for f in funnels
        ]
    assert "avg_score_at_handoff" not in {t.name for t in view.funnel}


def test_every_chart_has_words_and_numbers(scorecard: dict[str, Any]) -> None:
    page = render_page(scorecard)
    charts = island(page)["charts"]

    assert charts
    for chart in charts:
        assert f'<p class="alt" id="alt-{chart["id"]}">' in page
        assert f'aria-describedby="alt-{chart["id"]}"' in page
        assert len(chart["table"]["rows"]) == len(chart["labels"])
        assert all(s["color"] in PALETTE for s in chart["series"])
    assert PALETTE == REPORT_PALETTE  # the simulator report's colours


def test_text_from_the_stream_is_escaped(scorecard: dict[str, Any]) -> None:
    evil = copy.deepcopy(scorecard)
    evil["agreement"] = "<b>SLA</b>"
    evil["weeks"][-1]["rejection_reasons"] = {"</script><script>alert(1)</script>": 2}

    page = render_page(evil)

    assert "<b>SLA</b>" not in page and "&lt;b&gt;SLA&lt;/b&gt;" in page
    assert "</script><script>alert(1)" not in page
    assert island(page)["charts"][-1]["series"][0]["label"].startswith("</script>")


def test_the_live_update_carries_both_parts(scorecard: dict[str, Any]) -> None:
    engine = Engine(load_policy(POLICY))
    list(replay(engine, SAMPLE.read_text().splitlines()))
    from routing.board import rep_board

    live = {"board": rep_board(engine, engine.now), "health": {"clock": "event"}, "seq": 3}
    update = update_of(scorecard, live)
    page = render_page(scorecard, live)

    assert update["scorecard_html"] in page and update["live_html"] in page
    assert update["clock"] == "event" and update["seq"] == 3
    assert 'data-lead="L-1002"' in update["live_html"]
    assert "Avery Chen" not in page and "avery@northwind.example" not in page


def test_an_empty_or_wrong_scorecard() -> None:
    empty = {"agreement": "A", "timezone": "UTC", "as_of": "", "weeks": []}
    assert "No period to show yet" in render_page(empty)
    with pytest.raises(DashboardError, match="expected a list under 'weeks'"):
        view_of({"weeks": 3})


def test_tokens(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    tokens = Tokens(["a" * 20, "b" * 20])
    assert tokens.valid("b" * 20) and not tokens.valid("c" * 20) and not tokens.valid(None)

    monkeypatch.setenv("LEADFLOW_READ_TOKENS", "short")
    with pytest.raises(DashboardError, match="LEADFLOW_READ_TOKENS: each read token"):
        load_dashboard_settings()

    monkeypatch.delenv("LEADFLOW_READ_TOKENS")
    made, path = read_tokens(DashboardSettings(), tmp_path)
    assert path is not None and path.read_text().strip() == made[0]
    assert path.stat().st_mode & 0o777 == 0o600
    again, _ = read_tokens(DashboardSettings(), tmp_path)
    assert again == made  # kept across restarts

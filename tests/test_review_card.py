"""The review tools read the scorecard: today's (`n` on each row, a `funnel` per week,
`trends.<name>`), and an older one without them, without computing any of it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from leadflow.review import baseline as bl
from leadflow.review.card import read_card
from leadflow.review.doc import render_markdown
from leadflow.review.history import load, run
from leadflow.review.pack_doc import pack_doc
from tests.replaying import EXAMPLES


@pytest.fixture(scope="module")
def card() -> dict[str, Any]:
    return run(load(str(EXAMPLES / "policy.yaml")), str(EXAMPLES / "events.sample.jsonl")).card


def _two_weeks(card: dict[str, Any]) -> dict[str, Any]:
    """The sample's week (handoff 100% of its 4 MQLs: each reached sales), closed, and a
    copy of it as W03 whose handoff is 50%; no trends (they are set where needed)."""
    data = copy.deepcopy(card)
    (week,) = data["weeks"]
    week["in_progress"] = False
    other = copy.deepcopy(week)
    other.update(label="2026-W03", first_day="2026-01-12", last_day="2026-01-18")
    for row in other["rows"]:
        if row["commitment"] == "handoff":
            row["actual"] = 0.5
    data["weeks"].append(other)
    data.pop("trends", None)
    return data


def test_older_scorecard_without_n_mean_of_weekly_shares(card: dict[str, Any]) -> None:
    data = _two_weeks(card)
    for week in data["weeks"]:  # a scorecard from before rows carried `n` and a funnel
        week.pop("funnel", None)
        for row in week["rows"]:
            row.pop("n", None)
    c = read_card(data)
    p = bl.period(c, 3)
    handoff = next(b for b in bl.commitment_baselines(c, p) if b["commitment"] == "handoff")
    assert handoff["baseline"] == pytest.approx((1.0 + 0.5) / 2)
    assert handoff["how"] == "mean of 2 weekly shares"
    assert bl.funnel_baselines(c, p) == []


def test_n_pools_shares_and_funnel_and_trends_light_up(card: dict[str, Any]) -> None:
    today = read_card(card)  # today's scorecard gives every row's n and a funnel per week
    assert all(r.n is not None for w in today.weeks for r in w.rows.values())
    assert today.has_funnel and "handoff" in today.trends
    data = _two_weeks(card)
    for week, n in zip(data["weeks"], (4, 12), strict=True):
        for row in week["rows"]:
            row["n"] = n
        week["funnel"] = {"mqls": n, "sal": n // 2, "sql": n // 4, "opportunity": 1, "won": 1,
                          "won_amount": 5000, "mql_to_sal": 0.5, "sal_to_sql": 0.5,
                          "mql_to_opportunity": 1 / n, "opportunity_to_won": 1.0}
    data["trends"] = {"handoff": [{"period": "2026-W02", "actual": 1.0, "n": 4, "status": "met"},
                                  {"period": "2026-W03", "actual": 0.5, "n": 12,
                                   "status": "missed"}]}
    c = read_card(data)
    p = bl.period(c, 3)
    handoff = next(b for b in bl.commitment_baselines(c, p) if b["commitment"] == "handoff")
    assert handoff["baseline"] == pytest.approx((1.0 * 4 + 0.5 * 12) / 16)
    assert [s["actual"] for s in handoff["series"]] == [1.0, 0.5]
    assert handoff["how"] == "pooled: 10 of n = 16 in 2 weeks"
    funnel = {f["rate"]: f for f in bl.funnel_baselines(c, p)}
    assert funnel["mql_to_opportunity"]["baseline"] == pytest.approx((1 / 4 + 1 / 12) / 2)
    text = render_markdown(pack_doc({
        **_pack(c, p), "funnel": list(funnel.values()), "has_funnel": True}))
    assert "| mql_to_sal | 50.0% |" in text


def _pack(c: Any, p: bl.Period) -> dict[str, Any]:
    base = bl.commitment_baselines(c, p)
    return {
        "agreement": c.agreement, "policy": "p", "history": "h", "timezone": c.timezone,
        "period": {"first_day": str(p.first_day), "last_day": str(p.last_day),
                   "weeks": [w.label for w in p.weeks], "used": [w.label for w in p.used],
                   "judged": p.judged, "ends": "test"},
        "volume": {"mqls": 8, "weeks": 2}, "commitments": base, "ladder": [],
        "reviews_due": [], "proposals": bl.proposals(base, p, 0.05), "margin": 0.05,
        "reasons": bl.reasons_rose(p), "capacity": None,
    }

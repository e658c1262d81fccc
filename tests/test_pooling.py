"""A row's value over many weeks means the same on every page: the review pack's baseline
and the backtest's side-by-side value are one computation (`leadflow.review.pooling.pool`):
a share pooled over the weeks' `n` (met of n), a count's weekly mean."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from leadflow.review import baseline as bl
from leadflow.review.backtest import compare
from leadflow.review.backtest_doc import backtest_doc
from leadflow.review.card import read_card
from leadflow.review.doc import render_markdown
from leadflow.review.history import Run, load, run
from leadflow.review.pooling import pool
from tests.replaying import EXAMPLES


@pytest.fixture(scope="module")
def sample() -> Run:
    return run(load(str(EXAMPLES / "policy.yaml")), str(EXAMPLES / "events.sample.jsonl"))


def _uneven_weeks(card: dict[str, Any]) -> dict[str, Any]:
    """The sample's week, closed, as W02 with n = 4 and a copy as W03 with n = 12: handoff
    met by 4 of 4, then by 6 of 12; the funnel's MQL -> SAL 1 of 4, then 9 of 12."""
    data = copy.deepcopy(card)
    (week,) = data["weeks"]
    week["in_progress"] = False
    other = copy.deepcopy(week)
    other.update(label="2026-W03", first_day="2026-01-12", last_day="2026-01-18")
    for w, n, handoff, sal in ((week, 4, 1.0, 1), (other, 12, 0.5, 9)):
        for row in w["rows"]:
            if row["unit"] == "share":
                row["n"] = n
            if row["commitment"] == "handoff":
                row["actual"] = handoff
        w["funnel"] = {**(w.get("funnel") or {}), "mqls": n, "sal": sal, "mql_to_sal": sal / n,
                       "n": {"mql_to_sal": n}}
    data["weeks"].append(other)
    data.pop("trends", None)
    return data


def test_backtest_pools_shares_by_n_as_the_review_does(sample: Run) -> None:
    """Handoff 100% of 4 leads, then 50% of 12: 10 of 16 met, 62.5%; the mean of the two
    weekly shares (75%) is not what either page shows."""
    data = _uneven_weeks(sample.card)
    bt = compare(dataclasses.replace(sample, card=data), dataclasses.replace(sample, card=data))
    row = next(r for r in bt["rows"] if r["commitment"] == "handoff")
    assert row["current"]["value"] == pytest.approx(10 / 16)
    assert row["current"]["how"] == "pooled: 10 of n = 16 in 2 weeks"
    c = read_card(data)
    review = next(b for b in bl.commitment_baselines(c, bl.period(c, 3))
                  if b["commitment"] == "handoff")
    assert (review["baseline"], review["how"]) == (row["current"]["value"], row["current"]["how"])
    # the funnel's rates too: MQL -> SAL 10 of 16 cohort MQLs
    assert bt["funnel"]["current"]["mql_to_sal"]["value"] == pytest.approx(10 / 16)
    funnel = {f["rate"]: f for f in bl.funnel_baselines(c, bl.period(c, 3))}
    assert funnel["mql_to_sal"]["baseline"] == bt["funnel"]["current"]["mql_to_sal"]["value"]
    assert funnel["mql_to_sal"]["how"] == "pooled: 10 of n = 16 in 2 weeks"
    page = render_markdown(backtest_doc(bt))
    assert "| handoff | 100.0% | 62.5% | pooled: 10 of n = 16 in 2 weeks | 62.5% |" in page


def test_a_count_is_its_weekly_mean_and_a_share_without_n_says_so() -> None:
    assert pool([(4.0, 4), (12.0, 12)], "count") == (8.0, "mean of 2 weekly counts")
    assert pool([(1.0, None), (0.5, None)]) == (0.75, "mean of 2 weekly shares")
    assert pool([(None, 0), (0.25, 8)]) == (0.25, "pooled: 2 of n = 8 in 1 week")
    assert pool([(None, 0), (None, 0)]) == (None, "nothing measured in the weeks used")

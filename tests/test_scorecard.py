"""The weekly scorecard as text: rows, target vs actual, percentiles, reasons, alignment."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from routing.commitments import Commitments
from routing.outputs import Emitter, TimeFormat
from routing.policy.loader import load_policy
from routing.scorecard import percentile, render_scorecard

POLICY = load_policy(Path(__file__).resolve().parent.parent / "examples" / "policy.yaml").policy
NY = ZoneInfo("America/New_York")
MON = datetime(2026, 1, 5, tzinfo=NY).timestamp()  # 2026-W02
NEXT_MON = datetime(2026, 1, 12, tzinfo=NY).timestamp()

TIER1_MINUTES = [10.0, 20.0, 30.0, 40.0, 100.0]
DEMO_MINUTES = [5.0, 15.0]


def build() -> Commitments:
    cal = POLICY.calendar.build()
    c = Commitments(POLICY, cal)
    c.observe(MON)
    for i, complete in enumerate([True, True, False]):
        c.mql(MON + 3600 + i, "tier1", complete)
    for tier, minutes in (("tier1", TIER1_MINUTES), ("demo_request", DEMO_MINUTES)):
        for m in minutes:
            c.first_touch(tier, MON + 3600, MON + 3600 + m * 60)
    for reason in ("wrong_persona", "no_budget", "wrong_persona", "wrong_persona"):
        c.dispositioned(MON + 7200, "rejected", reason)
    c.dispositioned(MON + 7200, "accepted", "accepted")
    c.sla_result("handoff", None, MON + 4000, met=True)
    c.sla_result("handoff", None, MON + 4001, met=False)
    c.advance(NEXT_MON, Emitter(TimeFormat(cal.tz)))
    return c


def week_text() -> str:
    """The rendered scorecard of 2026-W02 alone (closed by `build`)."""
    cards = build().scorecard(NEXT_MON - 1)
    assert [k.label for k in cards] == ["2026-W02"]
    return render_scorecard(cards)


def cells(text: str, first: str) -> list[str]:
    """The whitespace-separated cells of the first line starting with `first`."""
    [line] = [ln for ln in text.splitlines() if ln.split()[:1] == [first]][:1]
    return line.split()


def test_rows_show_target_actual_status_streak_and_action() -> None:
    text = week_text()
    assert "Week 2026-W02  Mon 2026-01-05 .. Sun 2026-01-11" in text
    assert "MQLs: 3" in text
    rows = {
        ln.split()[1]: ln.split()
        for ln in text.splitlines()
        if ln.startswith(("marketing ", "sales "))
    }
    assert rows["mql_volume"] == [
        "marketing",
        "mql_volume",
        "120",
        "3",
        "3",
        "missed",
        "-",
        "1",
        "flag_in_weekly_review",
    ]
    assert rows["data_completeness"][2:6] == ["95.0%", "66.7%", "3", "missed"]
    assert rows["handoff"][2:7] == ["100.0%", "50.0%", "2", "missed", "1"]
    assert rows["sal_rate"][2:6] == ["50.0%", "20.0%", "5", "missed"]  # 1 accepted of 5
    assert rows["first_touch:tier1"][2:9] == ["100.0%", "-", "0", "n/a", "0", "0", "-"]
    assert rows["rejection_documentation"][2:6] == ["100.0%", "100.0%", "4", "met"]
    assert [r.split()[0] for r in text.splitlines() if r.startswith(("marketing ", "sales "))] == (
        ["marketing"] * 4 + ["sales"] * 7
    )


def test_speed_median_and_p95_per_tier() -> None:
    text = week_text()
    tier1 = np.percentile(TIER1_MINUTES, [50, 95])  # 30.0 and 88.0
    demo = np.percentile(DEMO_MINUTES, [50, 95])  # 10.0 and 14.5
    assert cells(text, "tier1") == ["tier1", "5", f"{tier1[0]:.1f}", f"{tier1[1]:.1f}"]
    assert cells(text, "demo_request") == ["demo_request", "2", f"{demo[0]:.1f}", f"{demo[1]:.1f}"]
    assert cells(text, "tier2") == ["tier2", "0", "-", "-"]
    assert (tier1[1], demo[1]) == (pytest.approx(88.0), pytest.approx(14.5))


def test_percentile_matches_numpy_linear() -> None:
    samples = [[7.0], [3.0, 1.0], [5.0, 1.0, 4.0, 2.0, 3.0], [float(x * x % 17) for x in range(40)]]
    for values in samples:
        for p in (0, 25, 50, 90, 95, 100):
            assert percentile(values, p) == np.percentile(values, p)


def test_rejection_reasons_with_share_most_frequent_first() -> None:
    text = week_text()
    assert "Rejection reasons (4 rejected; 0 more refused" in text
    assert cells(text, "wrong_persona") == ["wrong_persona", "3", "75.0%"]
    assert cells(text, "no_budget") == ["no_budget", "1", "25.0%"]
    assert text.index("wrong_persona") < text.index("no_budget")


def test_columns_are_aligned_under_their_rules() -> None:
    lines = week_text().splitlines()
    tables = 0
    for i, rule in enumerate(lines):
        if not rule.startswith("---"):
            continue
        tables += 1
        spans = [m.span() for m in re.finditer(r"-+", rule)]
        block = [lines[i - 1]]
        for line in lines[i + 1 :]:
            if not line:
                break
            block.append(line)
        for line in block:
            gaps = [line[a:b] for (_, a), (b, _) in pairwise(spans)]
            assert all(g.strip() == "" for g in gaps), line
            assert len(line) <= spans[-1][1]
    assert tables == 5  # commitments, speed, reasons; the funnel: stages, rates


def test_partial_and_in_progress_weeks_are_labelled() -> None:
    cal = POLICY.calendar.build()
    c = Commitments(POLICY, cal)
    c.observe(datetime(2026, 1, 7, 10, tzinfo=NY).timestamp())
    text = render_scorecard(c.scorecard(NEXT_MON + 60))
    assert (
        "Week 2026-W02  Mon 2026-01-05 .. Sun 2026-01-11  (partial week: shown, not evaluated)"
        in text
    )
    assert "Week 2026-W03  Mon 2026-01-12 .. Sun 2026-01-18  (in progress)" in text
    assert cells(text, "marketing")[5] == "partial"
    assert render_scorecard([]) == "No weeks to show yet.\n"


def test_rendering_is_deterministic() -> None:
    first, second = build(), build()
    assert render_scorecard(first.scorecard(NEXT_MON)) == render_scorecard(
        second.scorecard(NEXT_MON)
    )

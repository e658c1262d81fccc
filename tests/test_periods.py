"""Periods (routing.periods) and commitments per month or quarter: boundaries at local
midnight in the policy's zone across DST, labels, and a monthly `mql_volume` that
validates, is evaluated at each month's end and climbs the ladder month by month."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from leadflow.cli import main
from routing.commitments import Commitments
from routing.outputs import Emitter, Output, TimeFormat
from routing.periods import Periods
from routing.policy.describe import describe
from routing.policy.loader import load_policy, policy_from_dict
from routing.policy.models import Policy
from routing.policy.problems import PolicyError

ROOT = Path(__file__).resolve().parent.parent
NY = ZoneInfo("America/New_York")
P = Periods(NY)


def at(y: int, m: int, d: int, h: int = 0) -> float:
    return datetime(y, m, d, h, tzinfo=NY).timestamp()


@pytest.mark.parametrize(
    ("per", "t", "start", "end", "label"),
    [
        ("week", at(2026, 3, 10, 12), at(2026, 3, 9), at(2026, 3, 16), "2026-W11"),
        ("week", at(2026, 3, 8, 12), at(2026, 3, 2), at(2026, 3, 9), "2026-W10"),  # DST week
        ("week", at(2027, 1, 1, 9), at(2026, 12, 28), at(2027, 1, 4), "2026-W53"),  # ISO year
        ("month", at(2026, 3, 31, 23), at(2026, 3, 1), at(2026, 4, 1), "2026-03"),
        ("month", at(2026, 12, 31, 23), at(2026, 12, 1), at(2027, 1, 1), "2026-12"),
        ("quarter", at(2026, 2, 15), at(2026, 1, 1), at(2026, 4, 1), "2026-Q1"),
        ("quarter", at(2026, 11, 1, 1), at(2026, 10, 1), at(2027, 1, 1), "2026-Q4"),
    ],
)
def test_periods_start_and_end_at_local_midnight(
    per: str, t: float, start: float, end: float, label: str
) -> None:
    assert P.start(per, t) == start
    assert P.end(per, start) == end
    assert P.label(per, start) == label


def test_a_period_with_a_dst_change_is_an_hour_shorter_or_longer() -> None:
    assert P.end("week", at(2026, 3, 2)) - at(2026, 3, 2) == 7 * 86400 - 3600
    assert P.end("month", at(2026, 11, 1)) - at(2026, 11, 1) == 30 * 86400 + 3600
    assert P.last_day("quarter", at(2026, 1, 1)).isoformat() == "2026-03-31"


def _raw() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "policy.yaml").read_text())
    raw.pop("team")
    return raw


def monthly(per: str = "month", minimum: int = 500) -> Policy:
    raw = _raw()
    raw["marketing_commits"]["mql_volume"] = {"per": per, "min": minimum}
    return policy_from_dict(raw).policy


def test_the_sample_policy_with_a_monthly_volume_validates(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "policy.yaml").read_text()
    assert "mql_volume: {per: week, min: 120}" in text
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace("{per: week, min: 120}", "{per: month, min: 500}"))
    for name in ("team.yaml",):
        (tmp_path / name).write_text((ROOT / "examples" / name).read_text())
    loaded = load_policy(path)
    assert loaded.policy.marketing_commits.mql_volume is not None
    assert loaded.policy.marketing_commits.mql_volume.per == "month"
    assert "at least 500 MQLs per month" in describe(loaded)
    assert main(["validate", str(path)]) == 0


def test_an_unknown_period_is_refused_naming_the_key() -> None:
    raw = _raw()
    raw["marketing_commits"]["mql_volume"] = {"per": "fortnight", "min": 5}
    with pytest.raises(PolicyError, match="mql_volume"):
        policy_from_dict(raw)


def _record(c: Commitments, start: float, n: int) -> None:
    for i in range(n):
        c.mql(start + 3600 * 10 + i, "tier2", True)


def test_a_monthly_volume_is_scored_per_month_and_climbs_the_ladder_monthly() -> None:
    policy = monthly()
    cal = policy.calendar.build()
    c, em = Commitments(policy, cal), Emitter(TimeFormat(cal.tz))
    c.observe(at(2026, 2, 1))
    _record(c, at(2026, 2, 3), 499)  # February: one short
    _record(c, at(2026, 3, 3), 200)  # March: short again
    _record(c, at(2026, 4, 7), 500)  # April: met
    c.advance(at(2026, 5, 1), em)
    out: list[Output] = em.take()
    volume = [o for o in out if o["type"] == "period.breached" and o["commitment"] == "mql_volume"]
    assert [(o["period"], o["actual"], o["consecutive"], o["action"]) for o in volume] == [
        ("2026-02", 499, 1, "flag_in_weekly_review"),
        ("2026-03", 200, 2, "leadership_review"),
    ]
    assert volume[0]["at"] == "2026-03-01T00:00:00-05:00"
    assert volume[1]["at"] == "2026-04-01T00:00:00-04:00"  # after the DST change
    assert volume[0]["event_id"] == "period:2026-02:period.breached:mql_volume"
    cards = c.scorecard(at(2026, 5, 1))
    months = [card for card in cards if card.per == "month"]
    assert [m.label for m in months] == ["2026-02", "2026-03", "2026-04", "2026-05"]
    assert [[r.commitment for r in m.rows] for m in months[:3]] == [["mql_volume"]] * 3
    assert [m.rows[0].status for m in months[:3]] == ["missed", "missed", "met"]
    assert months[2].rows[0].actual == 500 and months[2].funnel is not None
    weeks = [card for card in cards if card.per == "week"]
    assert weeks and all("mql_volume" not in [r.commitment for r in w.rows] for w in weeks)
    # A month's card comes after the weeks ending before or with it.
    labels = [card.label for card in cards]
    assert labels.index("2026-02") > labels.index("2026-W08")
    assert labels.index("2026-02") < labels.index("2026-W10")


def test_a_month_the_stream_joins_after_its_first_working_hour_is_partial() -> None:
    policy = monthly()
    cal = policy.calendar.build()
    c, em = Commitments(policy, cal), Emitter(TimeFormat(cal.tz))
    c.observe(at(2026, 2, 10, 12))
    c.advance(at(2026, 3, 1) + 1, em)
    assert not [o for o in em.take() if o.get("commitment") == "mql_volume"]
    month = next(card for card in c.scorecard(at(2026, 3, 2)) if card.per == "month")
    assert month.partial and month.rows[0].status == "partial"


def test_a_quarterly_volume_closes_at_the_quarter_end() -> None:
    policy = monthly("quarter", 1000)
    cal = policy.calendar.build()
    c, em = Commitments(policy, cal), Emitter(TimeFormat(cal.tz))
    c.observe(at(2026, 1, 5))  # the agreement's first day: Q1 (from Jan 1) is partial
    _record(c, at(2026, 2, 3), 10)
    _record(c, at(2026, 5, 5), 20)
    c.advance(at(2026, 7, 1) - 1, em)
    assert not [o for o in em.take() if o.get("commitment") == "mql_volume"]
    c.advance(at(2026, 7, 1), em)
    (o,) = [o for o in em.take() if o.get("commitment") == "mql_volume"]
    assert (o["period"], o["actual"], o["target"]) == ("2026-Q2", 20, 1000)
    assert o["at"] == "2026-07-01T00:00:00-04:00"
    q1 = next(card for card in c.scorecard(at(2026, 7, 1)) if card.per == "quarter")
    assert (q1.label, q1.partial, q1.rows[0].actual) == ("2026-Q1", True, 10)


def test_weekly_policies_still_close_every_monday() -> None:
    policy = policy_from_dict(_raw()).policy
    cal = policy.calendar.build()
    c, em = Commitments(policy, cal), Emitter(TimeFormat(cal.tz))
    c.observe(at(2026, 1, 5))
    assert c.next_deadline() == at(2026, 1, 12)
    c.advance(at(2026, 1, 12) + timedelta(hours=1).total_seconds(), em)
    periods = {o["period"] for o in em.take() if o["type"] == "period.breached"}
    assert periods == {"2026-W02"}
    assert {card.per for card in c.scorecard(at(2026, 1, 13))} == {"week"}


def test_a_week_and_a_month_ending_together_close_week_first() -> None:
    policy = monthly()
    cal = policy.calendar.build()
    c, em = Commitments(policy, cal), Emitter(TimeFormat(cal.tz))
    c.observe(at(2026, 5, 1))  # a Friday: May is full, its first week (W18) partial
    c.sla_result("handoff", None, at(2026, 5, 27, 10), met=False)  # W22 misses its handoff
    c.advance(at(2026, 6, 1), em)  # Monday 2026-06-01: W22 and May end at this instant
    periods = [o["period"] for o in em.take() if o["type"] == "period.breached"]
    assert "2026-W18" not in periods
    assert periods[-1] == "2026-05" and periods.index("2026-W22") < periods.index("2026-05")
    assert c.next_deadline() == at(2026, 6, 8)

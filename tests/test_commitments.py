"""Weekly commitments: per-week measurement, consecutive misses, the ladder, reviews."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from routing.commitments import CommitmentError, Commitments
from routing.outputs import Emitter, Output, TimeFormat
from routing.policy.loader import load_policy, policy_from_dict
from routing.policy.models import Policy

ROOT = Path(__file__).resolve().parent.parent
NY = ZoneInfo("America/New_York")
POLICY = load_policy(ROOT / "examples" / "policy.yaml").policy


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> float:
    """Epoch seconds of a New York wall time."""
    return datetime(y, m, d, h, mi, tzinfo=NY).timestamp()


def policy_with(**changes: Any) -> Policy:
    raw = yaml.safe_load((ROOT / "examples" / "policy.yaml").read_text())
    raw.pop("team")
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = raw
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    return policy_from_dict(raw).policy


def make(policy: Policy = POLICY) -> tuple[Commitments, Emitter]:
    cal = policy.calendar.build()
    return Commitments(policy, cal), Emitter(TimeFormat(cal.tz))


def breaches(out: list[Output], commitment: str | None = None) -> list[Output]:
    return [
        o for o in out if o["type"] == "period.breached" and commitment in (None, o["commitment"])
    ]


def add_mqls(c: Commitments, t: float, n: int, complete: int | None = None) -> None:
    complete = n if complete is None else complete
    for i in range(n):
        c.mql(t + i, "tier2", i < complete)


# Weeks of 2026 (Mondays, New York): W02 starts Jan 5, the agreement's effective date.
W02, W03, W04, W05 = (at(2026, 1, d) for d in (5, 12, 19, 26))
W06 = at(2026, 2, 2)


def test_130_mqls_meet_volume_and_100_miss_it() -> None:
    c, em = make()
    c.observe(W02)
    add_mqls(c, W02 + 3600, 130)
    c.advance(W03, em)
    assert breaches(em.take(), "mql_volume") == []
    add_mqls(c, W03 + 3600, 100)
    c.advance(W04, em)
    [b] = breaches(em.take(), "mql_volume")
    assert b["side"] == "marketing"
    assert b["period"] == "2026-W03"
    assert (b["target"], b["actual"], b["consecutive"]) == (120, 100, 1)
    assert b["at"] == "2026-01-19T00:00:00-05:00"


def test_consecutive_misses_climb_the_ladder() -> None:
    c, em = make()
    c.observe(W02)
    c.advance(W06, em)  # four empty weeks: 0 MQLs each, below 120
    got = [
        (b["period"], b["consecutive"], b["action"], b["notify"])
        for b in breaches(em.take(), "mql_volume")
    ]
    assert got == [
        ("2026-W02", 1, "flag_in_weekly_review", []),
        ("2026-W03", 2, "leadership_review", ["vp_sales", "vp_marketing"]),
        ("2026-W04", 3, "systemic_review", []),
        ("2026-W05", 4, "systemic_review", []),
    ]


def test_a_met_week_resets_the_counter() -> None:
    c, em = make()
    c.observe(W02)
    add_mqls(c, W04 + 60, 120)  # W04 meets exactly the minimum
    c.advance(W06, em)
    got = [(b["period"], b["consecutive"]) for b in breaches(em.take(), "mql_volume")]
    assert got == [("2026-W02", 1), ("2026-W03", 2), ("2026-W05", 1)]


def test_na_week_neither_breaks_nor_resets() -> None:
    c, em = make(policy_with(marketing_commits__mql_volume=None))
    c.observe(W02)
    add_mqls(c, W02 + 60, 10, complete=5)  # 50% < 95%: missed
    # W03: no MQLs, so completeness is n/a
    add_mqls(c, W04 + 60, 10, complete=0)
    c.advance(W05, em)
    out = em.take()
    assert breaches(out, "mql_volume") == []  # absent from the policy: not tracked
    got = [(b["period"], b["consecutive"], b["actual"]) for b in breaches(out, "data_completeness")]
    assert got == [("2026-W02", 1, 0.5), ("2026-W04", 2, 0.0)]
    w03 = c.scorecard(W05)[1]
    [row] = [r for r in w03.rows if r.commitment == "data_completeness"]
    assert (row.status, row.actual, row.consecutive, row.action) == ("n/a", None, 1, None)
    assert "mql_volume" not in [r.commitment for r in w03.rows]


def test_partial_first_week_is_shown_not_evaluated() -> None:
    c, em = make()
    c.observe(at(2026, 1, 14, 10))  # a Wednesday in W03
    c.advance(W04, em)
    assert breaches(em.take()) == []
    c.advance(W05, em)
    [b] = breaches(em.take(), "mql_volume")
    assert (b["period"], b["consecutive"]) == ("2026-W04", 1)  # the partial week did not count
    first = c.scorecard(W05)[0]
    assert (first.label, first.partial, first.in_progress) == ("2026-W03", True, False)
    assert {r.status for r in first.rows} == {"partial"}


def test_a_stream_joining_before_the_first_working_hour_gets_a_full_week() -> None:
    c, em = make()
    c.observe(at(2026, 1, 12, 0, 10))  # Monday 00:10 of W03, before the 09:00 opening
    c.advance(W04, em)
    [b] = breaches(em.take(), "mql_volume")
    assert b["period"] == "2026-W03"  # evaluated: nothing of the week was missed
    assert c.scorecard(W04)[0].partial is False
    d, em2 = make()
    d.observe(at(2026, 1, 12, 9, 30))  # after the opening: the week is partial
    d.advance(W04, em2)
    assert breaches(em2.take()) == []


def test_first_period_never_before_the_effective_week() -> None:
    c, em = make()
    c.observe(at(2025, 12, 20, 12))
    assert c.next_deadline() == W03
    c.advance(W03, em)
    assert [b["period"] for b in breaches(em.take(), "mql_volume")] == ["2026-W02"]
    cards = c.scorecard(W03 + 60)
    assert [(k.label, k.partial) for k in cards] == [("2026-W02", False), ("2026-W03", False)]


def test_week_across_spring_forward_ends_monday_midnight_edt() -> None:
    c, em = make()
    c.observe(at(2026, 3, 2))  # Monday of 2026-W10; DST starts Sunday 2026-03-08
    end = datetime(2026, 3, 9, 4, tzinfo=UTC).timestamp()
    assert c.next_deadline() == end
    c.advance(end - 1, em)
    assert em.take() == []
    c.advance(end, em)
    [b] = breaches(em.take(), "mql_volume")
    assert b["period"] == "2026-W10"
    assert b["at"] == "2026-03-09T00:00:00-04:00"
    assert b["event_id"] == "period:2026-W10:period.breached:mql_volume"
    card = c.scorecard(end)[0]
    assert (card.label, card.end, card.end - card.start) == ("2026-W10", end, 7 * 86400 - 3600)


def test_week_across_fall_back_is_25_hours_longer() -> None:
    c, em = make()
    c.observe(at(2026, 10, 26))  # 2026-W44; DST ends Sunday 2026-11-01
    end = datetime(2026, 11, 2, 5, tzinfo=UTC).timestamp()
    assert c.next_deadline() == end
    c.advance(end, em)
    [b] = breaches(em.take(), "mql_volume")
    assert (b["period"], b["at"]) == ("2026-W44", "2026-11-02T00:00:00-05:00")


def run_bad_week() -> list[Output]:
    c, em = make()
    c.observe(W02)
    add_mqls(c, W02 + 60, 10, complete=1)
    c.sla_result("handoff", None, W02 + 600, met=False)
    c.sla_result("first_touch", "tier1", W02 + 900, met=False)
    c.sla_result("disposition", None, W02 + 900, met=False)
    c.dispositioned(W02 + 1000, "rejected", "no_budget")
    c.advance(W03, em)
    return em.take()


def test_breach_ids_are_deterministic_and_distinct_per_commitment() -> None:
    out = run_bad_week()
    ids = [b["event_id"] for b in breaches(out)]
    assert ids == [
        "period:2026-W02:period.breached:mql_volume",
        "period:2026-W02:period.breached:data_completeness",
        "period:2026-W02:period.breached:handoff",
        "period:2026-W02:period.breached:sal_rate",
        "period:2026-W02:period.breached:first_touch:tier1",
        "period:2026-W02:period.breached:disposition",
    ]
    assert [b["side"] for b in breaches(out)] == ["marketing"] * 4 + ["sales"] * 2
    assert json.dumps(run_bad_week()) == json.dumps(out)


def test_sla_results_count_in_the_week_of_their_due_time() -> None:
    c, em = make()
    c.observe(W02)
    for i in range(9):
        c.sla_result("first_touch", "tier1", W02 + 60 * i, met=True)
    c.sla_result("first_touch", "tier1", W03 + 60, met=False)  # due next week
    c.sla_result("follow_up", None, W03 + 60, met=True)
    c.advance(W03, em)
    assert breaches(em.take(), "first_touch:tier1") == []
    c.advance(W04, em)
    [b] = breaches(em.take(), "first_touch:tier1")
    assert (b["period"], b["side"], b["actual"], b["target"]) == ("2026-W03", "sales", 0.0, 1.0)
    assert breaches(em.take(), "follow_up") == []


def test_share_targets_below_one_and_sal_rate_boundary() -> None:
    c, em = make(policy_with(marketing_commits__handoff={"within": "5m", "target": 0.9}))
    c.observe(W02)
    for i in range(10):  # 9 of 10 in window: exactly the 90% target
        c.sla_result("handoff", None, W02 + i, met=i < 9)
        c.sla_result("handoff", None, W03 + i, met=i < 8)  # 80%: missed
    c.dispositioned(W02 + 5, "accepted", "accepted")
    c.dispositioned(W02 + 6, "rejected", "wrong_persona")  # 1/2 = min 0.5: met
    for outcome in ("accepted", "rejected", "deferred"):  # 1/3: missed
        c.dispositioned(W03 + 5, outcome, None if outcome != "rejected" else "too_small")
    c.advance(W04, em)
    out = em.take()
    assert [(b["period"], b["actual"]) for b in breaches(out, "handoff")] == [("2026-W03", 0.8)]
    assert [(b["period"], b["actual"]) for b in breaches(out, "sal_rate")] == [("2026-W03", 1 / 3)]


def test_review_due_each_quarter_at_local_midnight() -> None:
    c, em = make()
    c.observe(W02)
    review = at(2026, 4, 5)
    c.advance(review - 1, em)
    assert [o for o in em.take() if o["type"] == "agreement.review_due"] == []
    assert c.next_deadline() == review
    c.advance(review, em)
    [r] = [o for o in em.take() if o["type"] == "agreement.review_due"]
    assert r["at"] == "2026-04-05T00:00:00-04:00"
    assert r["event_id"] == "review:1:agreement.review_due:Sales & Marketing SLA"
    assert (r["agreement"], r["due"]) == ("Sales & Marketing SLA", "2026-04-05T00:00:00-04:00")
    assert c.next_deadline() == at(2026, 4, 6)  # the week 2026-W14 ends next


def test_review_schedule_clamps_month_ends_and_skips_history() -> None:
    c, em = make(policy_with(agreement__effective="2026-01-31", agreement__review_every="month"))
    c.observe(at(2026, 2, 1))
    c.advance(at(2026, 3, 1), em)
    dues = [o["due"] for o in em.take() if o["type"] == "agreement.review_due"]
    assert dues == ["2026-02-28T00:00:00-05:00"]
    late, em2 = make()
    late.observe(at(2026, 5, 1, 12))  # the April review is before this run began
    late.advance(at(2026, 7, 5), em2)
    [r] = [o for o in em2.take() if o["type"] == "agreement.review_due"]
    assert (r["event_id"].split(":")[:2], r["at"]) == (["review", "2"], "2026-07-05T00:00:00-04:00")


def test_next_deadline_follows_the_oldest_open_week() -> None:
    c, em = make()
    assert c.next_deadline() is None
    c.advance(W05, em)  # nothing observed yet: nothing to close
    assert em.take() == []
    c.observe(at(2026, 1, 7, 9))
    assert c.next_deadline() == W03
    c.advance(W03 - 1, em)
    assert em.take() == []
    assert c.next_deadline() == W03
    c.advance(W04 + 1, em)
    assert c.next_deadline() == W05
    assert [b["period"] for b in breaches(em.take(), "mql_volume")] == ["2026-W03"]


def test_scorecard_in_progress_week_and_json() -> None:
    c, em = make()
    c.observe(W02)
    add_mqls(c, W02 + 60, 3)
    c.first_touch("tier1", W02, W02 + 600)
    c.first_touch("tier1", W02, W02 + 1800)
    c.dispositioned(W02 + 60, "rejected", "wrong_persona")
    c.dispositioned(W02 + 61, "rejected", "no_budget")
    c.dispositioned(W02 + 62, "rejected", "wrong_persona")
    c.sla_result("handoff", None, W02 + 60, met=False)
    c.advance(W03, em)
    now = W03 + 3600
    c.mql(now - 60, "tier1", True)
    cards = c.scorecard(now)
    assert [(k.label, k.in_progress) for k in cards] == [("2026-W02", False), ("2026-W03", True)]
    done, current = cards
    assert done.mqls == 3 and done.breaches["handoff"] == 1 and done.breaches["follow_up"] == 0
    assert done.speed["tier1"] == (2, 20.0, 29.0)
    assert done.speed["tier3"] == (0, None, None)
    assert list(done.rejection_reasons.items()) == [("wrong_persona", 2), ("no_budget", 1)]
    [vol] = [r for r in current.rows if r.commitment == "mql_volume"]
    assert (vol.status, vol.actual, vol.consecutive, vol.action) == ("in progress", 1, 1, None)
    data = c.to_json(now)
    assert json.loads(json.dumps(data)) == data
    assert data["weeks"][0]["start"] == "2026-01-05T00:00:00-05:00"
    assert data["weeks"][0]["rows"][0]["status"] == "missed"
    assert data["weeks"][1]["speed"]["tier1"] == {
        "count": 0,
        "median_minutes": None,
        "p95_minutes": None,
    }


def test_scorecard_evaluates_ended_weeks_not_yet_advanced_without_side_effects() -> None:
    c, em = make()
    c.observe(W02)
    cards = c.scorecard(W04)
    assert [r.consecutive for k in cards[:2] for r in k.rows if r.commitment == "mql_volume"] == [
        1,
        2,
    ]
    c.advance(W03, em)  # the query above must not have moved the counters
    [b] = breaches(em.take(), "mql_volume")
    assert b["consecutive"] == 1


def test_unknown_records_are_refused() -> None:
    c, _ = make()
    with pytest.raises(CommitmentError, match="unknown sla 'touch'"):
        c.sla_result("touch", None, W02, met=True)
    with pytest.raises(CommitmentError, match="unknown tier 'vip'"):
        c.sla_result("first_touch", "vip", W02, met=True)
    with pytest.raises(CommitmentError, match="unknown tier None"):
        c.sla_result("first_touch", None, W02, met=True)
    with pytest.raises(CommitmentError, match="unknown outcome 'maybe'"):
        c.dispositioned(W02, "maybe", None)
    with pytest.raises(CommitmentError, match="before its MQL"):
        c.first_touch("tier1", W02 + 60, W02)

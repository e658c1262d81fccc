"""`describe()` says what the agreement says, in plain words, the same way every time."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing.durations import parse_duration
from routing.policy import wording
from routing.policy.describe import describe
from routing.policy.loader import LoadedPolicy, load_policy, policy_from_dict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def loaded() -> LoadedPolicy:
    return load_policy(EXAMPLES / "policy.yaml")


@pytest.fixture(scope="module")
def text(loaded: LoadedPolicy) -> str:
    return describe(loaded)


def section(text: str, heading: str) -> str:
    """The indented lines under HEADING."""
    lines = text.splitlines()
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i] == ""), len(lines))
    return "\n".join(lines[start:end])


def variant(**changes: Any) -> LoadedPolicy:
    """The example policy with top-level sections replaced (None removes one)."""
    raw = yaml.safe_load((EXAMPLES / "policy.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    raw["team"] = [{"id": "solo", "pools": ["bench"]}]
    return policy_from_dict(raw)


def test_sections_in_order(text: str) -> None:
    headings = [line for line in text.splitlines() if line and not line.startswith((" ", "="))]
    assert headings[0] == "Sales & Marketing SLA"
    assert [h.split(":")[0] for h in headings[1:] if not h.startswith(("policy:", "team:"))] == [
        "The agreement",
        "Calendar",
        "Definitions",
        "Tiers",
        "Marketing commits to",
        "Sales commits to",
        "Alerts",
        "Escalation",
        "Routing",
        "Surge",
        "Team",
    ]
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_agreement(text: str) -> None:
    body = section(text, "The agreement")
    assert "effective: 2026-01-05" in body
    assert "signed by: vp_marketing, vp_sales" in body
    assert "owner: revops" in body
    assert "reviewed every quarter; next review 2026-04-05" in body


def test_next_review_after_a_given_day(loaded: LoadedPolicy) -> None:
    assert "next review 2026-07-05" in describe(loaded, today=date(2026, 4, 6))
    assert "next review 2026-04-05" in describe(loaded, today=date(2026, 4, 5))


def test_calendar(text: str) -> None:
    body = section(text, "Calendar")
    assert "time zone: America/New_York" in body
    assert "Mon-Fri 09:00-17:00 (8 hours a day)" in body
    assert "Sat, Sun closed" in body
    assert "9 holidays: 2026-01-01, 2026-01-19," in body
    assert body.rstrip().endswith("2026-11-27, 2026-12-25")


def test_definitions(text: str) -> None:
    body = section(text, "Definitions")
    assert "MQL when score >= 50 and fit >= 70 and engagements >= 1" in body
    assert "disqualified (never routed): email domain competitor.example; role student" in body
    assert "required fields: name, email, company, role, source, score" in body


def test_tiers_and_their_windows(text: str) -> None:
    body = section(text, "Tiers: first touch (the first tier that matches wins)")
    assert body.splitlines() == [
        "  demo_request — demo requested: first touch within 1 hour (calendar)",
        "  tier1 — score >= 80: first touch within 4 business hours",
        "  tier2 — score >= 60: first touch by the end of the business day",
        "  tier3 — every other MQL: first touch within 2 business days",
    ]


def test_commitments(text: str) -> None:
    marketing = section(text, "Marketing commits to")
    assert "at least 120 MQLs per week" in marketing
    assert "at least 95% of MQLs carry every required field" in marketing
    assert "every MQL assigned to a rep within 5 minutes (calendar)" in marketing
    assert "at least 50% of dispositioned leads accepted" in marketing
    sales = section(text, "Sales commits to")
    assert (
        "follow-up: 6 touches over at least 2 channels within 10 business days "
        "before a lead may be closed as unresponsive"
    ) in sales
    assert "accepted, rejected or deferred within 3 business days" in sales
    assert "rejected: wrong_persona, no_budget, too_small" in sales
    assert "deferred: none" in sales
    assert "a rejection must give one of the rejected reasons" in sales


def test_alerts_and_escalation(text: str) -> None:
    alerts = section(text, "Alerts")
    assert "when 75% of its window has passed" in alerts
    assert "pricing_page_visit x1 and email_open x3 within 48 hours" in alerts
    escalation = section(text, "Escalation")
    assert "at 1x the window: notify rep, team_lead" in escalation
    assert "at 2x: notify sales_manager and reassign" in escalation
    assert "1 week: flag_in_weekly_review" in escalation
    assert "2 weeks in a row: leadership_review; notify vp_sales, vp_marketing" in escalation
    assert "3 weeks in a row: systemic_review" in escalation


def test_routing(text: str) -> None:
    body = section(text, "Routing")
    assert "strategy: least_loaded (the rep with the fewest open leads" in body
    assert "weighted" not in body
    assert "round_robin" not in body
    assert "tier (in the order listed), then highest score first, then earliest MQL" in body
    assert "enterprise — segment is enterprise; overflow: commercial -> bench" in body
    assert "commercial — segment is one of mid_market, smb; overflow: bench" in body
    assert "bench — every lead no earlier pool took; no overflow" in body
    assert "default capacity per rep: at most 40 open leads and at most 15 new a day" in body
    assert "a rep who is offline or pto hands their leads back" in body


def test_surge(text: str) -> None:
    body = section(text, "Surge")
    assert "enters surge at 3 queued leads per rep available and on shift" in body
    assert "at or below 1 for 30 minutes" in body
    assert "overflow to bench" in body
    assert "highest score first" in body
    assert "tier2 first touch relaxed to 1 business day" in body
    assert "tier3 first touch relaxed to 4 business days" in body
    assert "capacity per rep raised to at most 20 new a day" in body


def test_team(text: str) -> None:
    body = section(text, "Team")
    assert "10 reps in 3 pools" in body
    assert "enterprise: 3 reps" in body
    assert "commercial: 6 reps" in body
    assert "bench: 2 reps" in body
    assert "rep-03, weight 0.5, team lead tl-east, capacity at most 8 new a day" in body
    assert "rep-07, weight 2, team lead tl-west, capacity at most 25 new a day" in body
    rep08 = next(line for line in body.splitlines() if "rep-08" in line)
    assert "own hours America/Los_Angeles Mon-Fri 08:00-16:00" in rep08
    assert "rep-10, weight 1, also in bench" in body
    assert "rep-10, weight 1, also in commercial" in body
    assert "tl-east (rep-01, rep-02, rep-03, rep-09) -> mgr-1" in body
    assert "tl-west (rep-04, rep-05, rep-06, rep-07, rep-08, rep-10) -> mgr-1" in body
    for n in range(1, 11):
        assert f"rep-{n:02d}, " in body


def test_deterministic(loaded: LoadedPolicy, text: str) -> None:
    again = load_policy(EXAMPLES / "policy.yaml")
    assert describe(again) == text == describe(loaded)


def test_other_strategy_and_windows() -> None:
    raw = yaml.safe_load((EXAMPLES / "policy.yaml").read_text(encoding="utf-8"))
    routing = {
        **raw["routing"],
        "strategy": "weighted_round_robin",
        "reassign_when_rep": [],
        "capacity": {"max_open": 30},
    }
    tiers = [
        {
            "name": "hot",
            "when": {"score": {"min": 90, "max": 100}},
            "first_touch": {"within": "1w"},
        },
        {"name": "rest", "first_touch": {"within": "2d", "clock": "calendar", "target": 0.9}},
    ]
    surge = {**raw["surge"], "actions": {"relax_first_touch": {"rest": "3d"}}}
    text = describe(variant(routing=routing, tiers=tiers, surge=surge))
    assert "strategy: weighted_round_robin (reps take turns in proportion to their weight)" in text
    assert "least_loaded" not in text
    assert "leads stay with their rep whatever the rep's status" in text
    # a key left out of capacity keeps its default, as the engine does
    assert "default capacity per rep: at most 30 open leads and at most 15 new a day" in text
    assert "hot — score between 90 and 100: first touch within 1 business week (5 working" in text
    assert "rest — every other MQL: first touch within 2 days (calendar) (for at least 90%" in text
    assert "rest first touch relaxed to 2 days" not in text
    assert "rest first touch relaxed to 3 days (calendar)" in text


def test_optional_sections_absent() -> None:
    text = describe(variant(surge=None, alerts=None, escalation=None, marketing_commits=None))
    assert section(text, "Surge").strip() == "no surge protocol"
    assert section(text, "Alerts").strip() == "none"
    assert section(text, "Escalation").strip() == "none"
    assert section(text, "Marketing commits to").strip() == "nothing"
    assert "enterprise: no reps" in text


def test_split_and_weekend_hours() -> None:
    calendar = {
        "timezone": "Europe/Berlin",
        "hours": {
            "mon": ["09:00-12:00", "13:00-17:30"],
            "tue": ["09:00-12:00", "13:00-17:30"],
            "sat": "10:00-14:00",
        },
    }
    text = section(describe(variant(calendar=calendar)), "Calendar")
    assert "Mon, Tue 09:00-12:00, 13:00-17:30 (7.5 hours a day)" in text
    assert "Sat 10:00-14:00 (4 hours)" in text
    assert "Wed-Fri, Sun closed" in text
    assert "no holidays" in text


def test_wording_helpers() -> None:
    assert wording.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert wording.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert wording.next_review(date(2026, 1, 5), "half_year") == date(2026, 7, 5)
    assert wording.next_review(date(2026, 1, 5), "year", today=date(2028, 3, 1)) == date(2029, 1, 5)
    assert wording.pct(0.955) == "95.5%"
    assert wording.clocked(parse_duration("30s"), "business") == "30 business seconds"
    assert wording.clocked(parse_duration("1.5h"), "calendar") == "1.5 hours (calendar)"
    assert wording.duration(parse_duration("1d")) == "1 day"

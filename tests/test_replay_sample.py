"""The example sample stream, decision by decision, as derived by hand from the policy.

The policy: New York calendar Mon-Fri 09:00-17:00; MQL = score >= 50, fit >= 70, one
engagement; tiers demo_request (1h calendar), tier1 score >= 80 (4 business hours),
tier2 score >= 60 (end of business day), tier3 (2 business days); handoff 5 minutes;
at-risk at 75%; ladder: 1x notify rep + team lead, 2x notify manager and reassign.
On Tue 2026-01-06 only rep-01 (enterprise), rep-04 (commercial) and rep-09 (bench,
no status event: available in its hours) are not on PTO.
"""

from __future__ import annotations

import pytest

from tests.replaying import EXAMPLES, of, one, replay_file

NY = "-05:00"


@pytest.fixture(scope="module")
def run():
    return replay_file(EXAMPLES / "events.sample.jsonl")


def test_l1001_tier1_enterprise_touched_in_time_and_accepted(run) -> None:
    _, out = run
    # MQL when the first engagement arrives (10:02): score 86 -> tier1, enterprise -> rep-01.
    a = one(out, "lead.assigned", lead_id="L-1001")
    assert (a["rep_id"], a["pool"], a["tier"]) == ("rep-01", "enterprise", "tier1")
    assert a["mql_at"] == f"2026-01-06T10:02:00{NY}"
    assert a["first_touch_due"] == f"2026-01-06T14:02:00{NY}"  # 4 business hours
    one(out, "sla.met", lead_id="L-1001", sla="handoff", done_at=f"2026-01-06T10:02:00{NY}")
    # The touch at 11:05 arrives after later events: applied at its own time, in the window.
    one(out, "sla.met", lead_id="L-1001", sla="first_touch", done_at=f"2026-01-06T11:05:00{NY}")
    # Accepted Wed 10:00; disposition due 3 business days after Tue 10:02 = Fri 10:02.
    one(out, "sla.met", lead_id="L-1001", sla="disposition", due=f"2026-01-09T10:02:00{NY}")
    assert not of(out, "sla.breached", lead_id="L-1001")


def test_l1002_tier2_breaches_at_end_of_day_and_spikes(run) -> None:
    _, out = run
    a = one(out, "lead.assigned", lead_id="L-1002")
    assert (a["rep_id"], a["pool"], a["tier"]) == ("rep-04", "commercial", "tier2")
    assert a["first_touch_due"] == f"2026-01-06T17:00:00{NY}"
    # 75% of 11:31 -> 17:00 (5h29m) is 4h06m45s: 15:37:45.
    one(out, "sla.at_risk", lead_id="L-1002", at=f"2026-01-06T15:37:45{NY}")
    one(out, "sla.breached", lead_id="L-1002", sla="first_touch", at=f"2026-01-06T17:00:00{NY}")
    e = one(out, "sla.escalated", lead_id="L-1002", level=1)
    assert e["notify"] == ["rep-04", "tl-west"]
    # Level 2 is due at 2x the window (Wed 14:29), after the stream's last event: not yet.
    assert not of(out, "sla.escalated", lead_id="L-1002", level=2)
    # Pricing visit + third email open within 48 hours: surfaced to the owner at once.
    spike = one(out, "intent.spike", lead_id="L-1002")
    assert spike["at"] == f"2026-01-07T09:30:00{NY}"
    assert spike["rep_id"] == "rep-04"
    assert spike["signals"] == {"pricing_page_visit": 1, "email_open": 3}
    # A rejection without a reason code is refused; the lead stays open.
    r = one(out, "event.rejected", source="line 25")
    assert "reason code" in r["reason"]
    assert '"e18"' in r["raw"]
    assert not of(out, "sla.met", lead_id="L-1002", sla="disposition")


def test_l1003_demo_request_escalates_and_is_reassigned_next_morning(run) -> None:
    _, out = run
    a = one(out, "lead.assigned", lead_id="L-1003")
    assert (a["rep_id"], a["tier"]) == ("rep-04", "demo_request")  # score 55, demo requested
    assert a["first_touch_due"] == f"2026-01-06T17:40:30{NY}"  # 1 hour, calendar clock
    one(out, "sla.breached", lead_id="L-1003", at=f"2026-01-06T17:40:30{NY}")
    l2 = of(out, "sla.escalated", lead_id="L-1003", level=2)
    assert l2[0]["at"] == f"2026-01-06T18:40:30{NY}"
    assert l2[0]["action"] == "reassign" and l2[0]["notify"] == ["mgr-1"]
    assert "stays with rep-04" in l2[0]["why"]  # nobody works at 18:40
    # At 09:00 the bench opens: the only rep who can take it (commercial is on PTO).
    r = one(out, "lead.reassigned", lead_id="L-1003")
    assert (r["from_rep_id"], r["rep_id"], r["pool"]) == ("rep-04", "rep-09", "bench")
    assert r["at"] == f"2026-01-07T09:00:00{NY}"
    assert r["first_touch_due"] == f"2026-01-07T10:00:00{NY}"  # a fresh window for rep-09
    # rep-09 misses it too: breach at 10:00, level 2 at 11:00 finds no one else.
    assert len(of(out, "sla.breached", lead_id="L-1003")) == 2
    assert l2[1]["at"] == f"2026-01-07T11:00:00{NY}"
    assert "stays with rep-09" in l2[1]["why"]


def test_l1004_competitor_is_disqualified_never_routed(run) -> None:
    _, out = run
    d = one(out, "lead.disqualified", lead_id="L-1004")
    assert "competitor.example" in d["reason"]
    assert not [o for o in out if o.get("lead_id") == "L-1004" and o is not d]


def test_l1005_incomplete_queued_after_hours_then_assigned(run) -> None:
    _, out = run
    inc = one(out, "handoff.incomplete", lead_id="L-1005")
    assert inc["missing"] == ["name", "company", "role", "source"]
    q = one(out, "lead.queued", lead_id="L-1005")
    assert (q["pool"], q["tier"], q["at"]) == ("commercial", "tier3", f"2026-01-06T17:21:00{NY}")
    # Queued, it reached sales: marketing's handoff is met; the night's wait is sales'.
    met = one(out, "sla.met", lead_id="L-1005", sla="handoff")
    assert (met["done_at"], met["due"]) == (f"2026-01-06T17:21:00{NY}", f"2026-01-06T17:26:00{NY}")
    assert not of(out, "sla.breached", lead_id="L-1005", sla="handoff")
    a = one(out, "lead.assigned", lead_id="L-1005")
    assert (a["rep_id"], a["at"]) == ("rep-04", f"2026-01-07T09:00:00{NY}")
    # 2 business days from Tue 17:21 (after hours) end on Thu 17:00.
    assert a["first_touch_due"] == f"2026-01-08T17:00:00{NY}"


def test_duplicate_ignored_and_malformed_line_rejected(run) -> None:
    engine, out = run
    assert engine.stats["duplicate"] == 1
    assert len(of(out, "lead.assigned", lead_id="L-1001")) == 1
    bad = one(out, "event.rejected", source="line 27")
    assert bad["reason"].startswith("at: ")
    assert "score" in bad["reason"]
    assert (
        engine.stats["applied"]
        + engine.stats["duplicate"]
        + engine.stats["refused"]
        + (engine.stats["rejected"])
        == 27
    )  # every line accounted for


def test_no_lead_goes_to_a_rep_on_pto(run) -> None:
    _, out = run
    on_pto = {"rep-02", "rep-03", "rep-05", "rep-06", "rep-07", "rep-08", "rep-10"}
    placed = of(out, "lead.assigned") + of(out, "lead.reassigned")
    assert placed and not {o["rep_id"] for o in placed} & on_pto


def test_output_ids_are_unique(run) -> None:
    _, out = run
    ids = [o["event_id"] for o in out]
    assert len(ids) == len(set(ids))

"""SLA clocks: at-risk, breach, the escalation ladder, touches that stop a clock, the
follow-up cadence, the disposition window and its reason codes, deferrals, and timers
that fire as time passes with no event."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.builders import Events, at, engine, ny, of, one, rep, run, tue

# Two reps of tl-west, whose manager is mgr-9; no surge to keep the stream to the point.
REPS = [rep("a", team_lead="tl-west"), rep("b", team_lead="tl-west")]
LEADS = {"tl-west": {"sales_manager": "mgr-9"}}
WED = (2026, 1, 7)


def _engine(reps=REPS):
    return engine({"surge": None}, reps, LEADS)


def _tier1(ev: Events, lead_id: str = "L1", when=None):
    return ev.mql(lead_id, when or tue(10), score=85)  # 4 business hours


def first_touch(out, kind, **match):
    return of(out, kind, sla="first_touch", **match)


# --- first touch: at risk, breach, ladder -----------------------------------------------
def test_first_touch_at_risk_breach_and_the_escalation_ladder() -> None:
    eng = _engine()
    ev = Events()
    out = run(eng, [_tier1(ev)], until=at(*WED, 12))
    a = one(out, "lead.assigned", lead_id="L1")
    assert (a["rep_id"], a["tier"], a["first_touch_due"]) == ("a", "tier1", ny(tue(14)))

    risk = first_touch(out, "sla.at_risk")
    assert [(o["at"], o["due"], o["rep_id"]) for o in risk] == [(ny(tue(13)), ny(tue(14)), "a")]
    breach = first_touch(out, "sla.breached")
    assert [(o["at"], o["rep_id"]) for o in breach] == [(ny(tue(14)), "a")]

    esc = first_touch(out, "sla.escalated")
    assert [(o["level"], o["at"], o["notify"], o["action"]) for o in esc] == [
        (1, ny(tue(14)), ["a", "tl-west"], None),
        # 2x the window = 8 business hours after Tue 10:00 = Wed 10:00.
        (2, ny(at(*WED, 10)), ["mgr-9"], "reassign"),
    ]
    assert "reassigned to b" in esc[1]["why"]
    r = one(out, "lead.reassigned", lead_id="L1")
    assert (r["from_rep_id"], r["rep_id"], r["at"]) == ("a", "b", ny(at(*WED, 10)))
    assert r["first_touch_due"] == ny(at(*WED, 14))  # a fresh 4h window for b


def test_reassigned_leads_new_window_runs_its_own_ladder() -> None:
    eng = _engine()
    ev = Events()
    out = run(eng, [_tier1(ev)], until=at(*WED, 15))
    # b's window (Wed 10:00 -> 14:00) warns at 13:00 and breaches at 14:00, naming b.
    risk = [o for o in first_touch(out, "sla.at_risk") if o["rep_id"] == "b"]
    assert [o["at"] for o in risk] == [ny(at(*WED, 13))]
    breach = [o for o in first_touch(out, "sla.breached") if o["rep_id"] == "b"]
    assert [(o["at"], o["due"]) for o in breach] == [(ny(at(*WED, 14)), ny(at(*WED, 14)))]


def test_level_two_without_another_rep_keeps_the_owner() -> None:
    eng = _engine([rep("a", team_lead="tl-west")])
    ev = Events()
    out = run(eng, [_tier1(ev)], until=at(*WED, 12))
    l2 = one(out, "sla.escalated", sla="first_touch", level=2)
    assert "stays with a" in l2["why"]
    assert not of(out, "lead.reassigned")


def test_touch_exactly_at_the_due_instant_meets_the_sla() -> None:
    eng = _engine()
    ev = Events()
    out = run(eng, [_tier1(ev), ev.touched("L1", tue(14), "a")], until=at(*WED, 12))
    met = one(out, "sla.met", sla="first_touch", lead_id="L1")
    assert (met["due"], met["done_at"], met["rep_id"]) == (ny(tue(14)), ny(tue(14)), "a")
    assert not first_touch(out, "sla.breached")
    assert not first_touch(out, "sla.escalated")
    assert not of(out, "lead.reassigned")


def test_touch_one_second_late_breaches() -> None:
    eng = _engine()
    ev = Events()
    out = run(eng, [_tier1(ev), ev.touched("L1", tue(14, 0, 1), "a")])
    one(out, "sla.breached", sla="first_touch", at=ny(tue(14)))
    assert not first_touch(out, "sla.met")


def test_touch_after_at_risk_before_due_is_met_without_breach() -> None:
    eng = _engine()
    ev = Events()
    out = run(eng, [_tier1(ev), ev.touched("L1", tue(13, 30), "a")], until=at(*WED, 12))
    one(out, "sla.at_risk", sla="first_touch", at=ny(tue(13)))
    met = one(out, "sla.met", sla="first_touch")
    assert met["done_at"] == ny(tue(13, 30))
    assert not first_touch(out, "sla.breached")
    assert not first_touch(out, "sla.escalated")


def test_demo_request_window_is_one_calendar_hour_even_after_hours() -> None:
    eng = _engine()
    ev = Events()
    # 16:30: the calendar clock runs past 17:00; the breach is at 17:30.
    out = run(eng, [ev.mql("D", tue(16, 30), demo_requested=True)], until=tue(18))
    a = one(out, "lead.assigned", lead_id="D")
    assert (a["tier"], a["first_touch_due"]) == ("demo_request", ny(tue(17, 30)))
    one(out, "sla.at_risk", sla="first_touch", at=ny(tue(17, 15)))
    one(out, "sla.breached", sla="first_touch", at=ny(tue(17, 30)))


def test_handoff_is_met_when_the_lead_is_queued_the_wait_is_sales_time() -> None:
    eng = engine({"surge": None}, [], LEADS)  # no reps at all
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10))], until=tue(18))
    one(out, "lead.queued", lead_id="L1")
    met = one(out, "sla.met", sla="handoff")  # it reached sales: a pool's queue
    assert (met["done_at"], met["due"]) == (ny(tue(10)), ny(tue(10, 5)))
    assert "rep_id" not in met
    assert not of(out, "sla.breached", sla="handoff")
    # The wait for a rep shows in first touch (sales' time): tier 3, 1 business day.
    one(out, "sla.at_risk", sla="first_touch")


def test_handoff_breaches_when_no_pool_takes_the_lead() -> None:
    eng = engine(
        {"surge": None, "routing": {"pools": [{"name": "west", "when": {"region": "west"}}]}},
        [rep("a", "west")], LEADS,
    )  # fmt: skip
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10), region="east")], until=tue(10, 30))
    one(out, "lead.unroutable", lead_id="L1")
    b = one(out, "sla.breached", sla="handoff")
    assert (b["at"], b["due"]) == (ny(tue(10, 5)), ny(tue(10, 5)))


# --- disposition ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mql", "due"),
    [
        (tue(10), at(2026, 1, 9, 10)),  # Tue -> Fri
        (at(2026, 1, 8, 10), at(2026, 1, 13, 10)),  # Thu -> Tue, over the weekend
        (at(2026, 1, 15, 10), at(2026, 1, 21, 10)),  # Thu -> Wed, Mon 19th is a holiday
    ],
)
def test_disposition_window_is_three_business_days(mql, due) -> None:
    eng = _engine()
    ev = Events()
    out = run(eng, [ev.mql("L1", mql), ev.touched("L1", mql, "a")], until=due)
    b = one(out, "sla.breached", sla="disposition")
    assert (b["at"], b["due"]) == (ny(due), ny(due))


def test_disposition_in_time_is_met_and_stops_every_clock() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [_tier1(ev), ev.disposition("L1", tue(11), "a", "accepted")],
        until=at(2026, 1, 20, 9),
    )
    met = one(out, "sla.met", sla="disposition")
    assert (met["due"], met["done_at"]) == (ny(at(2026, 1, 9, 10)), ny(tue(11)))
    # A disposition without a touch ends the first-touch clock without meeting it.
    assert not of(out, "sla.met", sla="first_touch")
    assert not of(out, "sla.breached")
    assert not of(out, "sla.at_risk")


def test_rejection_with_reason_outside_taxonomy_is_refused() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [_tier1(ev), ev.disposition("L1", tue(11), "a", "rejected", reason="bad_lead")],
        until=at(2026, 1, 9, 10),
    )
    r = one(out, "event.rejected")
    assert "bad_lead" in r["reason"] and "wrong_persona" in r["reason"]
    assert not of(out, "sla.met", sla="disposition")
    one(out, "sla.breached", sla="disposition")  # the lead stayed open


def test_rejection_without_reason_is_refused_with_reason_accepted() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [
            _tier1(ev),
            ev.disposition("L1", tue(11), "a", "rejected"),
            ev.disposition("L1", tue(11, 5), "a", "rejected", reason="wrong_persona"),
        ],
    )
    r = one(out, "event.rejected")
    assert "reason code" in r["reason"]
    met = one(out, "sla.met", sla="disposition")
    assert met["done_at"] == ny(tue(11, 5))


def test_disposition_of_a_lead_that_is_not_open_is_refused() -> None:
    eng = _engine()
    ev = Events()
    out = run(eng, [ev.disposition("NOPE", tue(11), "a", "accepted")])
    assert "NOPE" in one(out, "event.rejected")["reason"]


# --- follow-up cadence ------------------------------------------------------------------
def _touches(ev: Events, channels: list[str], lead_id: str = "L1"):
    """Touches on consecutive days from Tue 11:00 (the first is the first touch)."""
    days = [(2026, 1, d) for d in (6, 7, 8, 9, 12, 13, 14, 15)]
    return [ev.touched(lead_id, at(*days[i], 11), "a", ch) for i, ch in enumerate(channels)]


def test_follow_up_six_touches_on_two_channels_is_met() -> None:
    eng = _engine()
    ev = Events()
    channels = ["call", "email", "call", "call", "email", "call"]
    out = run(eng, [_tier1(ev), *_touches(ev, channels)], until=at(2026, 1, 23, 12))
    met = one(out, "sla.met", sla="follow_up")
    assert met["done_at"] == ny(at(2026, 1, 13, 11))  # the sixth touch
    # 10 business days from Tue 6th 11:00 (Mon 19th is a holiday): Wed 21st 11:00.
    assert met["due"] == ny(at(2026, 1, 21, 11))
    assert not of(out, "sla.breached", sla="follow_up")


@pytest.mark.parametrize(
    "channels",
    [
        ["call", "email", "call", "call", "email"],  # 5 touches
        ["call"] * 7,  # enough touches, one channel
    ],
)
def test_follow_up_short_of_the_cadence_breaches_at_due(channels) -> None:
    eng = _engine()
    ev = Events()
    out = run(eng, [_tier1(ev), *_touches(ev, channels)], until=at(2026, 1, 23, 12))
    b = one(out, "sla.breached", sla="follow_up")
    assert (b["at"], b["due"]) == (ny(at(2026, 1, 21, 11)), ny(at(2026, 1, 21, 11)))
    assert not of(out, "sla.met", sla="follow_up")


def test_unresponsive_is_refused_before_the_cadence_and_accepted_after() -> None:
    eng = _engine()
    ev = Events()
    touches = _touches(ev, ["call", "email", "call", "call", "email", "call"])
    early = ev.disposition("L1", at(2026, 1, 12, 12), "a", "rejected", reason="unresponsive")
    late = ev.disposition("L1", at(2026, 1, 13, 12), "a", "rejected", reason="unresponsive")
    out = run(eng, [_tier1(ev), *touches[:5], early, touches[5], late])
    r = one(out, "event.rejected")  # only the early one: the late one is applied
    assert "unresponsive" in r["reason"] and "5/6 touches" in r["reason"]
    assert r["at"] == ny(at(2026, 1, 12, 12))
    one(out, "sla.met", sla="follow_up", done_at=ny(at(2026, 1, 13, 11)))
    # The accepted rejection closed the lead: no clock of it speaks again.
    out = run(eng, [], until=at(2026, 2, 27, 12))
    assert not of(out, "sla.breached")
    assert not of(out, "sla.escalated")


def test_unresponsive_with_six_touches_on_one_channel_is_refused() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [
            _tier1(ev),
            *_touches(ev, ["call"] * 6),
            ev.disposition("L1", at(2026, 1, 15, 12), "a", "rejected", reason="unresponsive"),
        ],
    )
    assert "1/2 channels" in one(out, "event.rejected")["reason"]


# --- deferral ---------------------------------------------------------------------------
def test_deferred_lead_becomes_mql_again_at_defer_until_and_is_routed() -> None:
    eng = _engine()
    ev = Events()
    back = at(2026, 1, 12, 10)
    out = run(
        eng,
        [
            ev.mql("L1", tue(10)),  # tier2
            ev.touched("L1", tue(10, 30), "a"),
            ev.disposition("L1", tue(11), "a", "deferred", defer_until=back),
        ],
        until=at(2026, 1, 12, 12),
    )
    one(out, "sla.met", sla="disposition", done_at=ny(tue(11)))
    # Nothing speaks for the lead while it is deferred.
    quiet = [o for o in out if o.get("lead_id") == "L1" and tue(11) < _t(o) < back]
    assert not quiet, quiet
    assigned = of(out, "lead.assigned", lead_id="L1")
    assert len(assigned) == 2
    again = assigned[1]
    assert again["at"] == ny(back) and again["mql_at"] == ny(back)
    assert again["tier"] == "tier2" and again["first_touch_due"] == ny(at(2026, 1, 12, 17))


def test_deferred_without_defer_until_does_not_come_back() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [ev.mql("L1", tue(10)), ev.disposition("L1", tue(11), "a", "deferred")],
        until=at(2026, 3, 2),
    )
    assert len(of(out, "lead.assigned", lead_id="L1")) == 1


# --- time passing without events --------------------------------------------------------
def test_advance_fires_timers_without_events() -> None:
    eng = _engine()
    ev = Events()
    run(eng, [_tier1(ev)])
    assert eng.advance(tue(12, 59, 59).timestamp()) == []
    out = eng.advance(tue(13).timestamp())
    assert [(o["type"], o["sla"]) for o in out] == [("sla.at_risk", "first_touch")]
    out = eng.advance(tue(14).timestamp())
    assert [(o["type"], o.get("level")) for o in out] == [
        ("sla.breached", None),
        ("sla.escalated", 1),
    ]


def test_next_deadline_names_the_next_instant_to_call_back() -> None:
    eng = _engine()
    ev = Events()
    run(eng, [_tier1(ev)])
    assert eng.next_deadline() == tue(13).timestamp()  # at risk
    eng.advance(tue(13).timestamp())
    assert eng.next_deadline() == tue(14).timestamp()  # breach
    eng.advance(tue(14).timestamp())
    # The ladder's level 2 of first touch (Wed 10:00) is next... unless touched:
    assert eng.next_deadline() == at(*WED, 10).timestamp()
    run(eng, [ev.touched("L1", tue(15), "a")])
    # First touch stopped; next is disposition at 75% of 3 business days after Tue 10:00
    # (18 business hours: Thu 12:00), before the follow-up's at-risk.
    assert eng.next_deadline() == at(2026, 1, 8, 12).timestamp()


def _t(output) -> datetime:
    return datetime.fromisoformat(output["at"])

"""The engine's SLA clocks in business time, where SLA products get it wrong: a DST change,
a holiday, a weekend, and a rep in another time zone. Expected instants worked out by hand
from the reference calendar (New York, Mon-Fri 09:00-17:00, holidays incl. 2026-01-19)."""

from __future__ import annotations

from tests.builders import LA, Events, at, engine, of, one, rep, run

TEAM = [rep("rep-e", "enterprise"), rep("rep-c", "commercial"), rep("rep-b", "bench")]


def due_of(out: list[dict[str, object]], lead_id: str) -> object:
    return one(out, "lead.assigned", lead_id=lead_id)["first_touch_due"]


def test_tier1_window_across_the_spring_forward_weekend() -> None:
    # Fri 2026-03-06 15:00 EST + 4 business hours: 2 on Friday, 2 on Monday after DST.
    ev = Events()
    out = run(engine(reps=TEAM), [ev.mql("L-1", at(2026, 3, 6, 15), score=85, segment="smb")])
    assert due_of(out, "L-1") == "2026-03-09T11:00:00-04:00"


def test_at_risk_and_breach_land_on_the_right_side_of_dst() -> None:
    ev = Events()
    out = run(
        engine(reps=TEAM),
        [ev.mql("L-1", at(2026, 3, 6, 15), score=85, segment="smb")],
        until=at(2026, 3, 9, 12),
    )
    # 75% of 4 business hours = 3h: 2h on Friday, 1h on Monday 09:00-10:00 EDT.
    one(out, "sla.at_risk", lead_id="L-1", sla="first_touch", at="2026-03-09T10:00:00-04:00")
    one(out, "sla.breached", lead_id="L-1", sla="first_touch", at="2026-03-09T11:00:00-04:00")


def test_calendar_clock_window_is_elapsed_time_across_dst() -> None:
    # Demo requests: 1 hour on the calendar clock. Sat 2026-03-07 23:30 EST + 1h = 00:30 EST;
    # Sun 2026-03-08 01:30 EST + 1h = 03:30 EDT (the 02:00-03:00 hour does not exist).
    ev = Events()
    out = run(
        engine(reps=TEAM),
        [
            ev.mql("L-1", at(2026, 3, 7, 23, 30), demo_requested=True),
            ev.mql("L-2", at(2026, 3, 8, 1, 30), demo_requested=True),
        ],
        until=at(2026, 3, 8, 4),
    )
    assert one(out, "lead.queued", lead_id="L-1")  # nobody works on a weekend night
    breached = {o["lead_id"]: o["due"] for o in of(out, "sla.breached", sla="first_touch")}
    assert breached == {"L-1": "2026-03-08T00:30:00-05:00", "L-2": "2026-03-08T03:30:00-04:00"}


def test_tier1_window_skips_a_holiday_monday() -> None:
    # Fri 2026-01-16 16:00 + 4h: 1h Friday, Monday 19th is MLK day, 3h on Tuesday.
    ev = Events()
    out = run(engine(reps=TEAM), [ev.mql("L-1", at(2026, 1, 16, 16), score=85, segment="smb")])
    assert due_of(out, "L-1") == "2026-01-20T12:00:00-05:00"


def test_weekend_lead_waits_and_is_assigned_at_monday_opening() -> None:
    ev = Events()
    eng = engine(reps=TEAM)
    out = run(eng, [ev.mql("L-1", at(2026, 1, 10, 11), score=65, segment="smb")])
    out += eng.advance(at(2026, 1, 12, 9, 5).timestamp())
    a = one(out, "lead.assigned", lead_id="L-1")
    assert (a["rep_id"], a["at"]) == ("rep-c", "2026-01-12T09:00:00-05:00")
    assert a["first_touch_due"] == "2026-01-12T17:00:00-05:00"  # end of Monday
    # Disposition: 3 business days from outside hours end at the close of the third working
    # day, counting Monday as the first: Wed 17:00.
    eng2 = engine(reps=TEAM)
    out2 = run(
        eng2,
        [
            ev.mql("L-2", at(2026, 1, 10, 11), score=55, segment="smb"),
            ev.disposition("L-2", at(2026, 1, 14, 16, 59), "rep-c"),
        ],
    )
    one(out2, "sla.met", lead_id="L-2", sla="disposition", due="2026-01-14T17:00:00-05:00")


def test_rep_in_los_angeles_works_to_19_new_york_time() -> None:
    la_hours = {
        "timezone": "America/Los_Angeles",
        **{d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")},
    }
    team = [rep("rep-ny", "commercial"), rep("rep-la", "commercial", hours=la_hours)]
    ev = Events()
    eng = engine(reps=team)
    out = run(
        eng,
        [
            ev.mql("L-1", at(2026, 1, 6, 10, 30), segment="smb"),  # both on shift
            ev.mql("L-2", at(2026, 1, 6, 18, 30), segment="smb"),  # 15:30 in LA
            ev.mql("L-3", at(2026, 1, 6, 19, 30), segment="smb"),  # 16:30 in LA: nobody
            ev.mql("L-4", at(2026, 1, 7, 10, 30, tz=LA), segment="smb"),  # 13:30 NY
        ],
    )
    assert one(out, "lead.assigned", lead_id="L-2")["rep_id"] == "rep-la"
    assert one(out, "lead.queued", lead_id="L-3")
    # L-3 waits for the first shift of Wednesday: New York opens at 09:00 NY, LA at 11:00 NY.
    a3 = one(out, "lead.assigned", lead_id="L-3")
    assert (a3["rep_id"], a3["at"]) == ("rep-ny", "2026-01-07T09:00:00-05:00")
    assert one(out, "lead.assigned", lead_id="L-4")["at"] == "2026-01-07T13:30:00-05:00"


def test_new_per_day_counts_the_la_rep_s_own_day() -> None:
    la_hours = {
        "timezone": "America/Los_Angeles",
        **{d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri")},
    }
    cap = {"max_new_per_day": 1}
    team = [rep("rep-la", "commercial", hours=la_hours, capacity=cap)]
    overrides = {
        "calendar": {"hours": {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri")}}
    }
    ev = Events()
    out = run(
        engine(overrides, reps=team),
        [
            ev.mql("L-1", at(2026, 1, 6, 22, 0), segment="smb"),  # Tue 19:00 LA
            ev.mql("L-2", at(2026, 1, 7, 1, 0), segment="smb"),  # Tue 22:00 LA: same LA day
            ev.mql("L-3", at(2026, 1, 7, 3, 30), segment="smb"),  # Wed 00:30 LA: a new day
        ],
    )
    assert one(out, "lead.assigned", lead_id="L-1")["rep_id"] == "rep-la"
    assert one(out, "lead.queued", lead_id="L-2")
    # At LA midnight (03:00 NY) the counter resets: the waiting lead goes first, in order.
    a2 = one(out, "lead.assigned", lead_id="L-2")
    assert a2["at"] == "2026-01-07T03:00:00-05:00"
    assert one(out, "lead.queued", lead_id="L-3")

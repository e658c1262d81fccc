"""Rep availability: hand-backs on pto/offline, `away`, `until`, working hours, roster
changes at run time, and events about reps that do not exist."""

from __future__ import annotations

import pytest

from tests.builders import Events, assigned_to, at, engine, ny, of, one, rep, run, tue

NO_SURGE = {"surge": None}


@pytest.mark.parametrize("status", ["pto", "offline"])
def test_rep_going_away_for_real_hands_open_leads_to_a_colleague(status: str) -> None:
    eng = engine(NO_SURGE, [rep("a"), rep("b")])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10, 0)),  # a
            ev.mql("L2", tue(10, 1)),  # b
            ev.mql("L3", tue(10, 2)),  # a (longest idle)
            ev.status("a", tue(12), status),
        ],
    )
    assert assigned_to(out) == ["a", "b", "a"]
    moved = of(out, "lead.reassigned")
    assert [(o["lead_id"], o["from_rep_id"], o["rep_id"], o["at"]) for o in moved] == [
        ("L1", "a", "b", ny(tue(12))),
        ("L3", "a", "b", ny(tue(12))),
    ]
    # a gets nothing new while away.
    out = run(eng, [ev.mql("L4", tue(13))])
    assert assigned_to(out) == ["b"]


@pytest.mark.parametrize("status", ["pto", "offline"])
def test_hand_back_with_nobody_to_take_it_queues_with_from_rep_id(status: str) -> None:
    eng = engine(NO_SURGE, [rep("a")])
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10)), ev.status("a", tue(12), status)])
    q = one(out, "lead.queued", lead_id="L1")
    assert q["from_rep_id"] == "a"
    assert q["pool"] == "commercial" and q["at"] == ny(tue(12))
    assert "a handed it back" in q["why"]
    assert not of(out, "lead.reassigned")


def test_handed_back_lead_later_taken_from_queue_names_previous_owner() -> None:
    eng = engine(NO_SURGE, [rep("a"), rep("b")])
    ev = Events()
    out = run(
        eng,
        [
            ev.status("b", tue(8), "pto"),
            ev.mql("L1", tue(10)),  # a
            ev.status("a", tue(12), "pto"),  # nobody left: queued
            ev.status("b", tue(13), "available"),  # b takes it from the queue
        ],
    )
    one(out, "lead.queued", lead_id="L1", from_rep_id="a")
    r = one(out, "lead.reassigned", lead_id="L1")
    assert (r["rep_id"], r["at"]) == ("b", ny(tue(13)))
    assert r["from_rep_id"] == "a"


def test_away_keeps_open_leads_but_gets_no_new_ones() -> None:
    eng = engine(NO_SURGE, [rep("a"), rep("b")])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L0", tue(9, 0)),  # a
            ev.mql("L1", tue(9, 5)),  # b
            ev.status("a", tue(9, 30), "away"),
            ev.mql("L2", tue(10, 0)),  # a and b at 1 open, a idle longer: would be a
            ev.mql("L3", tue(10, 5)),
        ],
    )
    assert assigned_to(out) == ["a", "b", "b", "b"]
    assert not of(out, "lead.reassigned")
    assert not of(out, "lead.queued")


def test_away_alone_in_pool_queues_new_leads_and_takes_them_when_back() -> None:
    eng = engine(NO_SURGE, [rep("a")])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L0", tue(9)),
            ev.status("a", tue(9, 30), "away"),
            ev.mql("L1", tue(10)),
            ev.status("a", tue(10, 30), "available"),
        ],
    )
    one(out, "lead.queued", lead_id="L1")
    a = one(out, "lead.assigned", lead_id="L1")
    assert (a["rep_id"], a["at"]) == ("a", ny(tue(10, 30)))
    assert not of(out, "lead.reassigned")


def test_until_brings_the_rep_back_automatically() -> None:
    eng = engine(NO_SURGE, [rep("a")])
    ev = Events()
    out = run(
        eng,
        [ev.status("a", tue(8), "pto", until=tue(11)), ev.mql("L1", tue(10))],
        until=tue(12),
    )
    one(out, "lead.queued", lead_id="L1")
    a = one(out, "lead.assigned", lead_id="L1")
    assert (a["rep_id"], a["at"]) == ("a", ny(tue(11)))


def test_until_is_cancelled_by_a_later_status_change() -> None:
    eng = engine(NO_SURGE, [rep("a")])
    ev = Events()
    out = run(
        eng,
        [
            ev.status("a", tue(8), "pto", until=tue(11)),
            ev.status("a", tue(8, 30), "offline"),  # open-ended: the 11:00 return is void
            ev.mql("L1", tue(10)),
        ],
        until=tue(16),
    )
    one(out, "lead.queued", lead_id="L1")
    assert not of(out, "lead.assigned")


def test_rep_without_status_event_is_available_only_in_working_hours() -> None:
    eng = engine(NO_SURGE, [rep("a")])
    ev = Events()
    out = run(
        eng,
        [ev.mql("EARLY", tue(8)), ev.mql("LATE", tue(17, 30))],
        until=at(2026, 1, 7, 10),
    )
    early = one(out, "lead.assigned", lead_id="EARLY")
    assert early["at"] == ny(tue(9))
    late = one(out, "lead.assigned", lead_id="LATE")
    assert late["at"] == ny(at(2026, 1, 7, 9))
    assert len(of(out, "lead.queued")) == 2


def test_rep_with_own_hours_and_zone_works_those_hours() -> None:
    la_hours = {
        "timezone": "America/Los_Angeles",
        **{d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")},
    }
    eng = engine(NO_SURGE, [rep("west", hours=la_hours)])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("NY10", tue(10)),  # 07:00 in LA: waits for 08:00 LA = 11:00 NY
            ev.mql("NY1730", tue(17, 30)),  # 14:30 in LA: on shift
            ev.mql("NY1930", tue(19, 30)),  # 16:30 in LA: off shift again
        ],
        until=at(2026, 1, 7, 12),
    )
    got = {o["lead_id"]: o["at"] for o in of(out, "lead.assigned")}
    assert got == {
        "NY10": ny(tue(11)),
        "NY1730": ny(tue(17, 30)),
        "NY1930": ny(at(2026, 1, 7, 11)),
    }


def test_rep_upserted_at_run_time_takes_waiting_and_new_leads() -> None:
    eng = engine(NO_SURGE, [rep("a", capacity={"max_open": 1})])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10)),
            ev.mql("L2", tue(10, 5)),  # a is full: queued
            ev.rep_upserted("c", tue(10, 30), ["commercial"], team_lead="tl-1"),
            ev.mql("L3", tue(11)),
        ],
    )
    one(out, "lead.queued", lead_id="L2")
    got = [(o["lead_id"], o["rep_id"], o["at"]) for o in of(out, "lead.assigned")]
    assert got == [
        ("L1", "a", ny(tue(10))),
        ("L2", "c", ny(tue(10, 30))),
        ("L3", "c", ny(tue(11))),
    ]


def test_rep_upserted_into_an_unknown_pool_is_rejected() -> None:
    eng = engine(NO_SURGE, [rep("a")])
    ev = Events()
    out = run(eng, [ev.rep_upserted("c", tue(10), ["nowhere"])])
    r = one(out, "event.rejected")
    assert "nowhere" in r["reason"]
    out = run(eng, [ev.mql("L1", tue(11)), ev.mql("L2", tue(11, 1))])
    assert assigned_to(out) == ["a", "a"]


def test_rep_status_for_an_unknown_rep_is_rejected() -> None:
    eng = engine(NO_SURGE, [rep("a")])
    ev = Events()
    out = run(eng, [ev.status("ghost", tue(10), "pto")])
    r = one(out, "event.rejected")
    assert "ghost" in r["reason"]
    assert '"ghost"' in r["raw"]
    assert eng.stats["refused"] == 1
    # Nothing else changed: a still takes leads.
    out = run(eng, [ev.mql("L1", tue(11))])
    assert assigned_to(out) == ["a"]

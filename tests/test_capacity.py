"""The capacity ledger: max_open, max_new_per_day on the rep's local day, per-rep
overrides, overflow to another pool, and the order in which a queue is served."""

from __future__ import annotations

import pytest

from tests.builders import (
    LA,
    Events,
    assigned_to,
    at,
    engine,
    later,
    ny,
    of,
    one,
    rep,
    run,
    tue,
)

NO_SURGE = {"surge": None}
ALL_DAY = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_lead_beyond_max_open_is_queued_then_assigned_when_a_slot_frees() -> None:
    eng = engine(NO_SURGE, [rep("a", capacity={"max_open": 2})])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10, 0)),
            ev.mql("L2", tue(10, 1)),
            ev.mql("L3", tue(10, 2)),
        ],
    )
    assert assigned_to(out) == ["a", "a"]
    q = one(out, "lead.queued", lead_id="L3")
    assert q["pool"] == "commercial" and q["at"] == ny(tue(10, 2))
    assert "a (at max_open 2)" in q["why"]
    assert not of(out, "lead.assigned", lead_id="L3")

    out = run(eng, [ev.disposition("L1", tue(11), "a")])
    a = one(out, "lead.assigned", lead_id="L3")
    assert (a["rep_id"], a["at"]) == ("a", ny(tue(11)))
    # Still waiting for the slot otherwise: a second disposition leaves nothing to assign.
    out = run(eng, [ev.disposition("L2", tue(11, 5), "a")])
    assert not of(out, "lead.assigned")


def test_max_open_counts_across_days() -> None:
    # max_open is not a daily limit: open leads from Tuesday still count on Wednesday.
    eng = engine(NO_SURGE, [rep("a", capacity={"max_open": 1})])
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10)), ev.mql("L2", at(2026, 1, 7, 10))])
    assert assigned_to(out) == ["a"]
    one(out, "lead.queued", lead_id="L2")


def test_max_new_per_day_caps_assignments_and_resets_next_day() -> None:
    eng = engine(NO_SURGE, [rep("a", capacity={"max_new_per_day": 2})])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10, 0)),
            ev.disposition("L1", tue(10, 1), "a"),  # closing a lead does not give the slot back
            ev.mql("L2", tue(10, 2)),
            ev.mql("L3", tue(10, 3)),
        ],
        until=at(2026, 1, 7, 12),
    )
    q = one(out, "lead.queued", lead_id="L3")
    assert "at max_new_per_day 2" in q["why"]
    a = one(out, "lead.assigned", lead_id="L3")
    assert (a["rep_id"], a["at"]) == ("a", ny(at(2026, 1, 7, 9)))  # next shift, new day


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        # LA rep: Tue 23:00/23:10 and Wed 00:30 New York time are all Tuesday in LA; the
        # counter resets at LA midnight = 03:00 New York.
        ("America/Los_Angeles", at(2026, 1, 7, 3)),
        # The same rep in New York: Wed 00:30 is a new day already.
        ("America/New_York", at(2026, 1, 7, 0, 30)),
    ],
)
def test_max_new_per_day_counts_the_reps_local_day(tz: str, expected) -> None:
    hours = {"timezone": tz, **ALL_DAY}
    eng = engine(NO_SURGE, [rep("w", hours=hours, capacity={"max_new_per_day": 2})])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(23, 0)),
            ev.mql("L2", tue(23, 10)),
            ev.mql("L3", at(2026, 1, 7, 0, 30)),
        ],
        until=at(2026, 1, 7, 6),
    )
    a = one(out, "lead.assigned", lead_id="L3")
    assert (a["rep_id"], a["at"]) == ("w", ny(expected))


def test_la_rep_day_counter_is_not_reset_at_new_york_midnight() -> None:
    hours = {"timezone": "America/Los_Angeles", **ALL_DAY}
    eng = engine(NO_SURGE, [rep("w", hours=hours, capacity={"max_new_per_day": 1})])
    ev = Events()
    # 20:30 LA on Tuesday = 23:30 New York; 21:30 LA = 00:30 New York Wednesday.
    out = run(
        eng,
        [
            ev.mql("L1", at(2026, 1, 6, 20, 30, tz=LA)),
            ev.mql("L2", at(2026, 1, 6, 21, 30, tz=LA)),
        ],
    )
    assert assigned_to(out) == ["w"]
    one(out, "lead.queued", lead_id="L2")


@pytest.mark.parametrize(
    ("policy_cap", "rep_cap", "assigned"),
    [
        ({"max_open": 5}, {"max_open": 1}, 1),  # rep lower than policy
        ({"max_open": 1}, {"max_open": 3}, 3),  # rep higher than policy
        ({"max_new_per_day": 2}, {"max_new_per_day": 3}, 3),
        ({"max_new_per_day": 5}, {"max_new_per_day": 1}, 1),
        ({"max_open": 2}, {}, 2),  # no entry of its own: the policy's
    ],
)
def test_reps_own_capacity_overrides_the_policys(policy_cap, rep_cap, assigned) -> None:
    eng = engine(
        {"surge": None, "routing": {"capacity": policy_cap}},
        [rep("a", capacity=rep_cap)],
    )
    ev = Events()
    out = run(eng, [ev.mql(f"L{i}", tue(10, i)) for i in range(4)])
    assert assigned_to(out) == ["a"] * assigned
    assert len(of(out, "lead.queued")) == 4 - assigned


def test_overflow_pool_takes_leads_when_home_pool_is_full() -> None:
    eng = engine(
        NO_SURGE,
        [rep("c", "commercial", capacity={"max_open": 1}), rep("b", "bench")],
    )
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10, 0)), ev.mql("L2", tue(10, 1))])
    first = one(out, "lead.assigned", lead_id="L1")
    assert (first["rep_id"], first["pool"]) == ("c", "commercial")
    second = one(out, "lead.assigned", lead_id="L2")
    assert (second["rep_id"], second["pool"]) == ("b", "bench")
    assert "overflow" in second["why"] and "c (at max_open 1)" in second["why"]
    assert not of(out, "lead.queued")


def test_overflow_follows_the_chain_enterprise_commercial_bench() -> None:
    eng = engine(
        NO_SURGE,
        [
            rep("e", "enterprise", capacity={"max_open": 1}),
            rep("c", "commercial", capacity={"max_open": 1}),
            rep("b", "bench"),
        ],
    )
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10, 0), segment="enterprise"),
            ev.mql("L2", tue(10, 1), segment="enterprise"),
            ev.mql("L3", tue(10, 2), segment="enterprise"),
        ],
    )
    got = [(o["lead_id"], o["rep_id"], o["pool"]) for o in of(out, "lead.assigned")]
    assert got == [("L1", "e", "enterprise"), ("L2", "c", "commercial"), ("L3", "b", "bench")]


def test_home_pool_is_preferred_over_overflow_when_it_has_room() -> None:
    eng = engine(NO_SURGE, [rep("b", "bench"), rep("c", "commercial")])
    ev = Events()
    out = run(eng, [ev.mql(f"L{i}", tue(10, i)) for i in range(3)])
    assert [o["pool"] for o in of(out, "lead.assigned")] == ["commercial"] * 3


def test_queue_order_is_tier_then_score_desc_then_mql_at() -> None:
    eng = engine(NO_SURGE, [rep("a")])
    ev = Events()
    evening = [
        ("T3-55", tue(19, 0), {"score": 55}),
        ("T1-85-early", tue(19, 5), {"score": 85}),
        ("T2-65", tue(19, 10), {"score": 65}),
        ("T1-85-late", tue(19, 20), {"score": 85}),
        ("T1-95", tue(19, 30), {"score": 95}),
        ("DEMO-52", tue(19, 40), {"score": 52, "demo_requested": True}),
        ("T2-75", tue(19, 50), {"score": 75}),
    ]
    out = run(
        eng,
        [ev.mql(lead_id, when, **fields) for lead_id, when, fields in evening],
        until=at(2026, 1, 7, 10),
    )
    assert len(of(out, "lead.queued")) == 7
    assigned = of(out, "lead.assigned")
    assert {o["at"] for o in assigned} == {ny(at(2026, 1, 7, 9))}
    assert [o["lead_id"] for o in assigned] == [
        "DEMO-52",
        "T1-95",
        "T1-85-early",
        "T1-85-late",
        "T2-75",
        "T2-65",
        "T3-55",
    ]


def test_freed_slot_goes_to_the_best_waiting_lead_not_the_oldest() -> None:
    eng = engine(NO_SURGE, [rep("a", capacity={"max_open": 1})])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L0", tue(10, 0)),
            ev.mql("OLD-T3", tue(10, 1), score=55),
            ev.mql("NEW-T1", tue(10, 2), score=90),
            ev.disposition("L0", tue(10, 30), "a"),
        ],
    )
    a = of(out, "lead.assigned")
    assert [o["lead_id"] for o in a] == ["L0", "NEW-T1"]
    assert a[1]["at"] == ny(tue(10, 30))


def test_no_rep_ever_exceeds_its_limits_over_a_busy_day() -> None:
    eng = engine(
        NO_SURGE,
        [
            rep("a", capacity={"max_open": 3, "max_new_per_day": 5}),
            rep("b", capacity={"max_open": 2, "max_new_per_day": 4}),
        ],
    )
    ev = Events()
    events = []
    for i in range(30):
        events.append(ev.mql(f"L{i}", later(tue(9), minutes=10 * i)))
    out = run(eng, events, until=tue(16, 59))
    per_rep = {"a": 0, "b": 0}
    for o in of(out, "lead.assigned"):
        per_rep[o["rep_id"]] += 1
    assert per_rep == {"a": 3, "b": 2}  # nobody dispositions: max_open binds first

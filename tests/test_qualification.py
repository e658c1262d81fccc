"""Shared definitions applied to leads: the MQL moment, tiers, pools, disqualification,
data completeness, and de-duplication of input events."""

from __future__ import annotations

import pytest

from routing.engine import Engine
from tests.builders import (
    COMPLETE,
    Events,
    assigned_to,
    at,
    engine,
    ny,
    of,
    one,
    policy,
    rep,
    run,
    tue,
)

NO_SURGE = {"surge": None}
EVERY_POOL = [rep("e", "enterprise"), rep("c", "commercial"), rep("b", "bench")]


def _routed(out, lead_id: str) -> list[dict]:
    return of(out, "lead.assigned", lead_id=lead_id) + of(out, "lead.queued", lead_id=lead_id)


# --- MQL --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("score", "fit", "engagements", "mql"),
    [
        (50, 70, 1, True),  # every threshold is inclusive
        (49, 90, 3, False),  # score short
        (90, 69, 3, False),  # fit short
        (90, 90, 0, False),  # no engagement
        (None, 90, 1, False),  # a missing field never matches
    ],
)
def test_mql_only_when_score_fit_and_engagement_all_hold(score, fit, engagements, mql) -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    fields = {**COMPLETE, "fit": fit, "segment": "smb"}
    if score is not None:
        fields["score"] = score
    events = [ev.upsert("L1", tue(10), **fields)]
    events += [ev.engaged("L1", tue(10, 1 + i)) for i in range(engagements)]
    out = run(eng, events, until=tue(16))
    assert bool(_routed(out, "L1")) is mql


def test_mql_at_is_when_the_last_condition_became_true() -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    out = run(
        eng,
        [
            ev.upsert("L1", tue(9), **COMPLETE, score=40, fit=80, segment="smb"),
            ev.engaged("L1", tue(9, 30)),
            ev.upsert("L1", tue(10), fit=85),  # still short on score
            ev.upsert("L1", tue(11), score=65),  # the last condition: MQL now
            ev.upsert("L1", tue(12), score=70),  # later updates do not move mql_at
            ev.engaged("L1", tue(12, 30)),
        ],
    )
    a = one(out, "lead.assigned", lead_id="L1")
    assert (a["at"], a["mql_at"]) == (ny(tue(11)), ny(tue(11)))


def test_mql_at_is_the_engagement_when_it_comes_last() -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    out = run(
        eng,
        [
            ev.upsert("L1", tue(9), **COMPLETE, score=60, fit=80, segment="smb"),
            ev.engaged("L1", tue(10, 45), "webinar_attended"),
        ],
    )
    assert one(out, "lead.assigned", lead_id="L1")["mql_at"] == ny(tue(10, 45))


def test_demo_request_engagement_makes_the_tier_demo_request() -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    out = run(
        eng,
        [
            ev.upsert("L1", tue(10), **COMPLETE, score=52, fit=75, segment="smb"),
            ev.engaged("L1", tue(10, 10), "demo_request"),
        ],
    )
    a = one(out, "lead.assigned", lead_id="L1")
    assert (a["tier"], a["first_touch_due"]) == ("demo_request", ny(tue(11, 10)))


@pytest.mark.parametrize(
    ("score", "demo", "tier"),
    [
        (95, True, "demo_request"),  # first match wins, even over tier1
        (52, True, "demo_request"),  # regardless of score
        (80, False, "tier1"),
        (99, False, "tier1"),
        (79, False, "tier2"),
        (60, False, "tier2"),
        (59, False, "tier3"),
        (50, False, "tier3"),
    ],
)
def test_tiers_first_match_wins(score, demo, tier) -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    extra = {"demo_requested": True} if demo else {}
    out = run(eng, [ev.mql("L1", tue(10), score=score, **extra)])
    assert one(out, "lead.assigned", lead_id="L1")["tier"] == tier


@pytest.mark.parametrize(
    ("segment", "pool"),
    [
        ("enterprise", "enterprise"),
        ("mid_market", "commercial"),
        ("smb", "commercial"),
        (None, "bench"),  # no segment: the pool without `when`
    ],
)
def test_pool_is_chosen_by_segment(segment, pool) -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10), segment=segment)])
    a = one(out, "lead.assigned", lead_id="L1")
    assert (a["pool"], a["rep_id"]) == (pool, pool[0])


@pytest.mark.parametrize("segment", [None, "smb"])
def test_queued_lead_names_its_home_pool(segment) -> None:
    eng = engine(NO_SURGE, [])
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10), segment=segment)])
    assert one(out, "lead.queued", lead_id="L1")["pool"] == (
        "bench" if segment is None else "commercial"
    )


# --- disqualification -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"email": "eve@competitor.example"}, "competitor.example"),
        ({"email": "Eve@Competitor.EXAMPLE"}, "competitor.example"),
        ({"role": "student"}, "student"),
        ({"role": "Student"}, "Student"),
        ({"role": "STUDENT"}, "STUDENT"),
    ],
)
def test_disqualified_leads_are_never_routed(fields, needle) -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10), score=95, **fields)], until=at(2026, 1, 20))
    d = one(out, "lead.disqualified", lead_id="L1")
    assert needle in d["reason"]
    assert d["at"] == ny(tue(10))
    assert [o["type"] for o in out if o.get("lead_id") == "L1"] == ["lead.disqualified"]


def test_other_domains_and_roles_are_not_disqualified() -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10), email="x@notcompetitor.example"),
            ev.mql("L2", tue(10), role="student-advisor"),
        ],
    )
    assert not of(out, "lead.disqualified")
    assert len(of(out, "lead.assigned")) == 2


def test_lead_disqualified_after_assignment_is_released() -> None:
    eng = engine(NO_SURGE, [rep("a", capacity={"max_open": 1})])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10)),
            ev.upsert("L1", tue(10, 30), role="Student"),
            ev.mql("L2", tue(11)),  # a's only slot is free again
        ],
        until=at(2026, 1, 20),
    )
    assert assigned_to(out) == ["a", "a"]
    one(out, "lead.disqualified", lead_id="L1", at=ny(tue(10, 30)))
    assert not of(out, "lead.queued")
    assert eng.router.reps["a"].open == {"L2"}
    # L1's clocks stopped: nothing about it after the disqualification.
    after = [o for o in out if o.get("lead_id") == "L1" and o["type"].startswith("sla.")]
    assert all(o["at"] <= ny(tue(10, 30)) for o in after), after


def test_disqualifying_an_assigned_lead_gives_the_slot_to_a_waiting_lead() -> None:
    eng = engine(NO_SURGE, [rep("a", capacity={"max_open": 1})])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10)),
            ev.mql("L2", tue(10, 5)),  # waits for a's slot
            ev.upsert("L1", tue(10, 30), email="spy@competitor.example"),
        ],
        until=tue(16),
    )
    one(out, "lead.queued", lead_id="L2")
    a = one(out, "lead.assigned", lead_id="L2")
    assert (a["rep_id"], a["at"]) == ("a", ny(tue(10, 30)))


def test_queued_lead_disqualified_leaves_the_queue() -> None:
    eng = engine(NO_SURGE, [rep("a", capacity={"max_open": 1})])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10)),
            ev.mql("L2", tue(10, 5)),  # queued
            ev.upsert("L2", tue(10, 10), role="student"),
            ev.mql("L3", tue(10, 20)),  # queued behind nobody
            ev.disposition("L1", tue(11), "a"),
        ],
    )
    a = of(out, "lead.assigned")
    assert [(o["lead_id"], o["at"]) for o in a] == [("L1", ny(tue(10))), ("L3", ny(tue(11)))]


# --- data completeness ------------------------------------------------------------------
def test_handoff_incomplete_lists_missing_required_fields_in_policy_order() -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    out = run(
        eng,
        [
            ev.upsert(
                "L1", tue(10), email="x@example.com", source="ads", score=70, fit=80, segment="smb"
            ),
            ev.engaged("L1", tue(10, 1)),
        ],
    )
    inc = one(out, "handoff.incomplete", lead_id="L1")
    assert inc["missing"] == ["name", "company", "role"]
    assert inc["at"] == ny(tue(10, 1))
    one(out, "lead.assigned", lead_id="L1")  # incomplete leads are still routed


def test_complete_lead_has_no_handoff_incomplete() -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10))])
    assert not of(out, "handoff.incomplete")


# --- de-duplication ---------------------------------------------------------------------
def test_same_event_id_twice_is_applied_once() -> None:
    eng = engine(NO_SURGE, EVERY_POOL)
    ev = Events()
    upsert, engaged = ev.mql("L1", tue(10))
    out = run(eng, [upsert, engaged, upsert, engaged])
    assert len(of(out, "lead.assigned")) == 1
    assert eng.stats["duplicate"] == 2 and eng.stats["applied"] == 2


def test_ids_older_than_the_window_are_forgotten_and_recent_ones_kept() -> None:
    """The window is checked every 1024 new ids: after them, an id seen more than the
    window ago is applied again; one seen within it is still a duplicate."""
    eng = Engine(policy(NO_SURGE, EVERY_POOL), dedupe_window_s=3600.0)
    ev = Events()
    old = ev.engaged("OLD", tue(9), event_id="old")
    recent = ev.engaged("NEW", tue(11, 30), event_id="recent")
    filler = [ev.engaged(f"F{i}", tue(11, 30)) for i in range(1022)]
    run(eng, [old, recent, *filler])  # 1024 ids: the oldest are forgotten now
    run(eng, [ev.engaged("OLD", tue(11, 31), event_id="old")])
    run(eng, [ev.engaged("NEW", tue(11, 30), event_id="recent")])  # the same event again
    assert eng.stats["duplicate"] == 1 and eng.stats["applied"] == 1025
    assert eng.leads["OLD"].fields["engagements"] == 2
    assert eng.leads["NEW"].fields["engagements"] == 1


def test_duplicate_touch_counts_once_toward_the_cadence() -> None:
    eng = engine(NO_SURGE, [rep("a")])
    ev = Events()
    chans = ["call", "email", "call", "email", "call"]
    touches = [
        ev.touched("L1", tue(11, i), "a", ch, event_id=f"t{i}") for i, ch in enumerate(chans)
    ]
    again = ev.touched("L1", tue(11, 4), "a", "call", event_id="t4")  # redelivered as is
    out = run(
        eng,
        [
            ev.mql("L1", tue(10)),
            *touches,
            again,
            ev.disposition("L1", tue(12), "a", "rejected", reason="unresponsive"),
        ],
    )
    assert "5/6 touches" in one(out, "event.rejected")["reason"]
    assert not of(out, "sla.met", sla="follow_up")

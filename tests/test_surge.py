"""The surge protocol of a pool: entering, what changes meanwhile (capacity, overflow to
bench, score-first queue, relaxed first-touch windows), and leaving."""

from __future__ import annotations

import pytest

from tests.builders import Events, assigned_to, at, engine, later, ny, of, one, rep, run, tue

# Pools without their normal overflow, so that what the surge adds is visible.
POOLS = {
    "routing": {
        "pools": [
            {"name": "enterprise", "when": {"segment": "enterprise"}},
            {"name": "commercial", "when": {"segment": ["mid_market", "smb"]}},
            {"name": "bench"},
        ]
    }
}


def _fifteen(ev: Events, start=None) -> list:
    """Fifteen tier2 commercial leads from Tue 09:00, one a minute: a full day for one rep."""
    start = start or tue(9)
    return [ev.mql(f"D{i:02d}", later(start, minutes=i), score=65) for i in range(15)]


def test_queue_during_business_hours_with_nobody_able_enters_surge() -> None:
    eng = engine(POOLS, [rep("c")])
    ev = Events()
    out = run(eng, [ev.status("c", tue(8), "pto"), ev.mql("L1", tue(10))])
    one(out, "lead.queued", lead_id="L1")
    s = one(out, "surge.entered")
    assert (s["pool"], s["at"]) == ("commercial", ny(tue(10)))
    assert "1 queued" in s["why"]


def test_surge_enters_when_queue_per_available_rep_reaches_three() -> None:
    eng = engine(POOLS, [rep("c")])
    ev = Events()
    out = run(eng, _fifteen(ev))  # c is available and on shift, at its daily limit
    out += run(eng, [ev.mql(f"Q{i}", tue(10, i), score=65) for i in range(3)])
    queued = of(out, "lead.queued")
    assert [o["lead_id"] for o in queued] == ["Q0", "Q1", "Q2"]
    s = one(out, "surge.entered")
    assert s["at"] == ny(tue(10, 2))  # 3 queued / 1 available rep, not 1/1 or 2/1
    assert "3 queued / 1" in s["why"]


def test_in_surge_a_rep_may_take_up_to_20_new_leads_a_day() -> None:
    eng = engine(POOLS, [rep("c")])
    ev = Events()
    out = run(eng, _fifteen(ev))
    assert assigned_to(out) == ["c"] * 15 and not of(out, "surge.entered")
    extra = [ev.mql(f"S{i}", tue(10, i), score=65) for i in range(6)]
    out = run(eng, extra)
    entered = one(out, "surge.entered", pool="commercial")
    got = of(out, "lead.assigned")
    assert [o["lead_id"] for o in got] == ["S0", "S1", "S2", "S3", "S4"]  # 16th..20th
    assert all(o["rep_id"] == "c" for o in got)
    assert out.index(entered) < out.index(got[0])  # the 16th only because of the surge
    assert "max_new_per_day 20" in one(out, "lead.queued", lead_id="S5")["why"]
    assert not of(out, "lead.assigned", lead_id="S5")


def test_in_surge_leads_overflow_to_bench() -> None:
    eng = engine(POOLS, [rep("e", "enterprise"), rep("b", "bench")])
    ev = Events()
    out = run(eng, [ev.status("e", tue(8), "pto"), ev.mql("L1", tue(10), segment="enterprise")])
    q = one(out, "lead.queued", lead_id="L1")  # enterprise has no overflow of its own
    assert "bench" not in q["why"]
    one(out, "surge.entered", pool="enterprise")
    a = one(out, "lead.assigned", lead_id="L1")
    assert (a["rep_id"], a["pool"], a["at"]) == ("b", "bench", ny(tue(10)))


@pytest.mark.parametrize(
    ("surge", "order"), [(True, ["T1-90", "DEMO-55"]), (False, ["DEMO-55", "T1-90"])]
)
def test_in_surge_the_queue_puts_score_first(surge: bool, order: list[str]) -> None:
    over = dict(POOLS) if surge else {**POOLS, "surge": None}
    eng = engine(over, [rep("e", "enterprise")])
    ev = Events()
    out = run(
        eng,
        [
            ev.status("e", tue(8), "pto"),
            ev.mql("DEMO-55", tue(10), segment="enterprise", score=55, demo_requested=True),
            ev.mql("T1-90", tue(10, 5), segment="enterprise", score=90),
            ev.status("e", tue(10, 30), "available"),
        ],
    )
    assert bool(of(out, "surge.entered")) is surge
    assert [o["lead_id"] for o in of(out, "lead.assigned")] == order


def test_tier2_mql_in_surge_gets_relaxed_first_touch_window() -> None:
    eng = engine(POOLS, [rep("c")])
    ev = Events()
    out = run(
        eng,
        [
            ev.status("c", tue(8), "pto"),
            ev.mql("BEFORE", tue(9, 50), score=65),  # queued: enters the surge
            ev.mql("T2", tue(9, 55), score=65),  # MQLs while the pool is in surge
            ev.mql("T3", tue(9, 56), score=55),
            ev.mql("T1", tue(9, 57), score=85),  # tier1 is not relaxed
            ev.status("c", tue(10, 30), "available"),
        ],
    )
    one(out, "surge.entered", pool="commercial", at=ny(tue(9, 50)))
    due = {o["lead_id"]: o["first_touch_due"] for o in of(out, "lead.assigned")}
    assert due == {
        "BEFORE": ny(tue(17)),  # an MQL before the surge keeps its end-of-day window
        "T2": ny(at(2026, 1, 7, 9, 55)),  # 1 business day instead of end of day
        "T3": ny(at(2026, 1, 12, 9, 56)),  # 4 business days instead of 2
        "T1": ny(tue(13, 57)),
    }


def test_mql_after_surge_exit_gets_the_normal_window_again() -> None:
    eng = engine(POOLS, [rep("c")])
    ev = Events()
    out = run(
        eng,
        [
            ev.status("c", tue(8), "pto"),
            ev.mql("L1", tue(9, 30)),
            ev.status("c", tue(10), "available"),
            ev.mql("L2", tue(10, 45)),  # surge left at 10:30
        ],
    )
    one(out, "surge.exited", at=ny(tue(10, 30)))
    assert one(out, "lead.assigned", lead_id="L2")["first_touch_due"] == ny(tue(17))


def test_surge_exits_after_ratio_at_most_one_for_30_minutes() -> None:
    eng = engine(POOLS, [rep("c")])
    ev = Events()
    out = run(
        eng,
        [
            ev.status("c", tue(8), "pto"),
            ev.mql("L1", tue(9, 30)),
            ev.status("c", tue(10), "available"),  # takes L1: queue empty from 10:00
        ],
        until=tue(12),
    )
    one(out, "surge.entered", at=ny(tue(9, 30)))
    x = one(out, "surge.exited", pool="commercial")
    assert x["at"] == ny(tue(10, 30))
    assert "30 minutes" in x["why"]


def test_surge_exit_clock_restarts_when_the_queue_grows_again() -> None:
    eng = engine(POOLS, [rep("c")])
    ev = Events()
    out = run(
        eng,
        [
            ev.status("c", tue(8), "pto"),
            ev.mql("L1", tue(9, 30)),
            ev.status("c", tue(10), "available"),  # below from 10:00
            ev.status("c", tue(10, 10), "pto"),  # hands L1 back: queued again
            ev.status("c", tue(10, 20), "available"),  # below again from 10:20
        ],
        until=tue(12),
    )
    assert len(of(out, "surge.entered")) == 1
    exits = of(out, "surge.exited")
    assert [o["at"] for o in exits] == [ny(tue(10, 50))]


def test_surge_exits_when_the_queue_empties_by_disqualification() -> None:
    eng = engine(POOLS, [rep("c")])
    ev = Events()
    out = run(
        eng,
        [
            ev.status("c", tue(8), "pto"),
            ev.mql("L1", tue(9, 30)),
            ev.upsert("L1", tue(9, 40), role="student"),  # leaves the queue
        ],
        until=tue(12),
    )
    one(out, "surge.entered", at=ny(tue(9, 30)))
    one(out, "lead.disqualified", lead_id="L1")
    one(out, "surge.exited", at=ny(tue(10, 10)))


def test_overnight_queue_does_not_enter_surge() -> None:
    eng = engine(POOLS, [rep("c")])
    ev = Events()
    evening = [ev.mql(f"N{i}", tue(18, 10 * i), score=65) for i in range(5)]
    out = run(eng, evening, until=at(2026, 1, 7, 8, 59))
    assert len(of(out, "lead.queued")) == 5
    assert not of(out, "surge.entered")
    out = run(eng, [], until=at(2026, 1, 7, 12))
    assert [o["at"] for o in of(out, "lead.assigned")] == [ny(at(2026, 1, 7, 9))] * 5
    assert not of(out, "surge.entered")

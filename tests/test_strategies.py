"""Assignment strategies, observed through the engine's decisions: who gets each lead."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.calendar import BusinessCalendar
from routing.reps import RepState
from routing.strategies import LeastLoaded
from tests.builders import Events, assigned_to, engine, later, one, rep, run, tue

NO_SURGE = {"surge": None}
ROOMY = {"surge": None, "routing": {"capacity": {"max_open": 1000, "max_new_per_day": 1000}}}


def _strategy(name: str, base: dict | None = None) -> dict:
    over = dict(base or NO_SURGE)
    over["routing"] = {**over.get("routing", {}), "strategy": name}
    return over


# --- least_loaded -----------------------------------------------------------------------
def test_least_loaded_first_lead_goes_to_first_rep_in_roster_order() -> None:
    # Roster order, not alphabetical order, breaks the very first tie.
    eng = engine(_strategy("least_loaded"), [rep("zed"), rep("amy"), rep("bob")])
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10))])
    assert assigned_to(out) == ["zed"]


def test_least_loaded_fewest_open_then_longest_idle() -> None:
    eng = engine(_strategy("least_loaded"), [rep("a"), rep("b"), rep("c")])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10, 0)),  # all empty: roster order -> a
            ev.mql("L2", tue(10, 1)),  # a has 1 -> b
            ev.mql("L3", tue(10, 2)),  # -> c
            ev.disposition("L2", tue(10, 3), "b"),  # b back to 0 open
            ev.mql("L4", tue(10, 4)),  # fewest open: b (though it was served after a)
            ev.mql("L5", tue(10, 5)),  # all at 1: a idle the longest -> a
            ev.mql("L6", tue(10, 6)),  # b and c at 1, a at 2: c idle longer than b -> c
        ],
    )
    assert assigned_to(out) == ["a", "b", "c", "b", "a", "c"]


def test_least_loaded_skips_a_rep_who_is_not_available() -> None:
    eng = engine(_strategy("least_loaded"), [rep("a"), rep("b")])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10, 0)),  # a
            ev.disposition("L1", tue(10, 1), "a"),
            ev.status("a", tue(10, 2), "away"),
            ev.mql("L2", tue(10, 3)),
            ev.mql("L3", tue(10, 4)),
        ],
    )
    assert assigned_to(out) == ["a", "b", "b"]


# --- round_robin ------------------------------------------------------------------------
def test_round_robin_cycles_in_roster_order() -> None:
    eng = engine(_strategy("round_robin"), [rep("c"), rep("a"), rep("b")])
    ev = Events()
    out = run(eng, [ev.mql(f"L{i}", tue(10, i)) for i in range(7)])
    assert assigned_to(out) == ["c", "a", "b", "c", "a", "b", "c"]


def test_round_robin_skips_ineligible_reps_and_resumes_with_them() -> None:
    eng = engine(_strategy("round_robin"), [rep("a"), rep("b"), rep("c")])
    ev = Events()
    events = [ev.status("b", tue(8), "pto")]
    events += [ev.mql(f"L{i}", tue(10, i)) for i in range(4)]  # b skipped: a c a c
    events += [ev.status("b", tue(11), "available")]
    events += [ev.mql(f"M{i}", tue(12, i)) for i in range(3)]  # after c (last served): a b c
    out = run(eng, events)
    assert assigned_to(out) == ["a", "c", "a", "c", "a", "b", "c"]


def test_round_robin_skips_a_rep_at_capacity() -> None:
    eng = engine(
        _strategy("round_robin"),
        [rep("a"), rep("b", capacity={"max_open": 1}), rep("c")],
    )
    ev = Events()
    out = run(eng, [ev.mql(f"L{i}", tue(10, i)) for i in range(6)])
    assert assigned_to(out) == ["a", "b", "c", "a", "c", "a"]


# --- weighted_round_robin ---------------------------------------------------------------
def test_weighted_round_robin_gives_leads_in_proportion_to_weight() -> None:
    eng = engine(
        _strategy("weighted_round_robin", ROOMY),
        [rep("heavy", weight=2.0), rep("light", weight=1.0)],
    )
    ev = Events()
    start = tue(9)
    out = run(eng, [ev.mql(f"L{i}", later(start, minutes=i)) for i in range(90)])
    counts = Counter(assigned_to(out))
    assert sum(counts.values()) == 90
    assert abs(counts["heavy"] - 60) <= 1
    assert abs(counts["light"] - 30) <= 1
    # And it is interleaved, not in blocks: every 3 consecutive leads give light one.
    reps = assigned_to(out)
    for i in range(0, 90, 3):
        assert reps[i : i + 3].count("light") == 1, reps[i : i + 3]


def test_weighted_round_robin_three_reps_half_weight() -> None:
    eng = engine(
        _strategy("weighted_round_robin", ROOMY),
        [rep("a", weight=1.0), rep("b", weight=1.0), rep("c", weight=0.5)],
    )
    ev = Events()
    out = run(eng, [ev.mql(f"L{i}", later(tue(9), minutes=i)) for i in range(100)])
    counts = Counter(assigned_to(out))
    assert abs(counts["a"] - 40) <= 1 and abs(counts["b"] - 40) <= 1
    assert abs(counts["c"] - 20) <= 1


def test_weighted_round_robin_rep_back_from_pto_is_not_flooded() -> None:
    eng = engine(
        _strategy("weighted_round_robin", ROOMY),
        [rep("a"), rep("b"), rep("c")],
    )
    ev = Events()
    t = tue(9)
    events = [ev.mql(f"A{i}", later(t, minutes=i)) for i in range(6)]  # 2 each
    events.append(ev.status("c", later(t, minutes=10), "pto"))
    events += [ev.mql(f"B{i}", later(t, minutes=20 + i)) for i in range(30)]  # a and b only
    events.append(ev.status("c", later(t, minutes=60), "available"))
    events += [ev.mql(f"C{i}", later(t, minutes=70 + i)) for i in range(12)]
    out = run(eng, events)
    reps = assigned_to(out)
    assert len(reps) == 48
    assert Counter(reps[:6]) == {"a": 2, "b": 2, "c": 2}
    assert Counter(reps[6:36]) == {"a": 15, "b": 15}
    after = reps[36:]
    # Its fair share from now on (1/3 of 12), not a burst to catch up on the 15 it missed.
    assert after.count("c") == 4, after
    assert all(after[i : i + 3].count("c") == 1 for i in range(0, 12, 3)), after


def test_weighted_round_robin_why_names_strategy() -> None:
    eng = engine(_strategy("weighted_round_robin"), [rep("a"), rep("b")])
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10))])
    a = one(out, "lead.assigned", lead_id="L1")
    assert a["why"].startswith("weighted_round_robin in commercial: a")


# --- roster updates do not disturb the rotation -----------------------------------------
def test_round_robin_rotation_survives_an_update_of_the_last_served_rep() -> None:
    eng = engine(_strategy("round_robin"), [rep("a"), rep("b"), rep("c")])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L0", tue(10, 0)),  # a
            ev.rep_upserted("a", tue(10, 1), ["commercial"], capacity={"max_open": 30}),
            ev.mql("L1", tue(10, 2)),
            ev.mql("L2", tue(10, 3)),
            ev.mql("L3", tue(10, 4)),
        ],
    )
    assert assigned_to(out) == ["a", "b", "c", "a"]


def test_weighted_round_robin_survives_an_update_of_the_last_served_rep() -> None:
    eng = engine(_strategy("weighted_round_robin"), [rep("a"), rep("b"), rep("c")])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L0", tue(10, 0)),  # a
            ev.rep_upserted("a", tue(10, 1), ["commercial"], capacity={"max_open": 30}),
            ev.mql("L1", tue(10, 2)),
            ev.mql("L2", tue(10, 3)),
            ev.mql("L3", tue(10, 4)),
        ],
    )
    assert assigned_to(out) == ["a", "b", "c", "a"]


def test_least_loaded_unaffected_by_an_update_of_a_rep() -> None:
    eng = engine(_strategy("least_loaded"), [rep("a"), rep("b"), rep("c")])
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L0", tue(10, 0)),
            ev.rep_upserted("a", tue(10, 1), ["commercial"], capacity={"max_open": 30}),
            ev.mql("L1", tue(10, 2)),
            ev.mql("L2", tue(10, 3)),
        ],
    )
    assert assigned_to(out) == ["a", "b", "c"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["available", "away", "offline", "pto"]),
            st.integers(min_value=0, max_value=6),  # open leads
            st.integers(min_value=0, max_value=2**39),  # last assignment's sequence number
        ),
        min_size=1,
        max_size=12,
    ),
    st.data(),
)
def test_least_loaded_order_is_the_documented_tuple_order(
    specs: list[tuple[str, int, int]], data: st.DataObject
) -> None:
    """Fewest open, then longest idle, then roster order; unavailable reps last. The keys
    are packed into ints: any state, changed in any order, keeps this order."""
    cal = BusinessCalendar("UTC", {"mon": "09:00-17:00"})
    reps = [
        RepState(f"r{i}", i * 7919 % 1000 + i * 1000, ("p",), 1.0, 9, 9, None, cal)
        for i in range(len(specs))
    ]
    strategy = LeastLoaded()
    for each in reps:
        strategy.add(each)
    for i in data.draw(st.permutations(range(len(reps)))):
        status, n_open, last = specs[i]
        reps[i].status, reps[i].last_assigned = status, last
        reps[i].open = {f"L{k}" for k in range(n_open)}
        strategy.load_changed(reps[i])
    want = sorted(
        reps, key=lambda r: (r.status != "available", len(r.open), r.last_assigned, r.order)
    )
    assert [r.id for r in strategy.candidates()] == [r.id for r in want]
    assert sorted(reps, key=strategy.rank) == want

"""What the weekly scorecard counts (issue 12's semantics), each rule on a small stream
checked by hand: handoff at reaching sales, one first-touch verdict per lead (a new
owner's window counted per rep), the reassignment cap, a disposition without a touch,
`n` and the counting rule on every row, undocumented rejections, intent spikes held for
a queued lead, touches by reps off the team, and ids repeated with other content."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

from routing.engine import Engine
from routing.outputs import Output
from routing.replay import replay
from routing.scorecard import Row, WeekCard
from streams.lead_stage import Invalid, LeadStage
from streams.records import apply_record
from tests.builders import Events, at, engine, ny, of, one, policy, rep, run, tue

LEADS = {"tl-west": {"sales_manager": "mgr-9"}}
WED = (2026, 1, 7)
TEAM = (rep("a", team_lead="tl-west"), rep("b", team_lead="tl-west"))
TUE_NOON = tue(12)
SPIKE = ("pricing_page_visit", "email_open", "email_open", "email_open")


def _engine(reps=TEAM, **extra) -> Engine:  # type: ignore[no-untyped-def]
    return engine({"surge": None, **extra}, list(reps), LEADS)


def card(eng: Engine, when: datetime = TUE_NOON) -> WeekCard:
    """The card of the week containing `when` (as of the engine's latest instant)."""
    for c in eng.commitments.scorecard(max(eng.now, when.timestamp())):
        if c.start <= when.timestamp() < c.end:
            return c
    raise AssertionError(f"no week contains {when}")


def row(c: WeekCard, key: str) -> Row:
    [found] = [r for r in c.rows if r.commitment == key]
    return found


# --- 1. handoff: met when the MQL reaches sales -------------------------------------------
def test_a_lead_queued_after_hours_meets_handoff_and_its_wait_is_first_touch() -> None:
    eng = _engine(reps=[])  # nobody to take it: it waits in a queue
    ev = Events()
    run(eng, [ev.mql("L1", tue(18), score=85)], until=at(*WED, 14))  # tier1, 4 business h
    c = card(eng)
    handoff = row(c, "handoff")
    assert (handoff.actual, handoff.n, handoff.status) == (1.0, 1, "in progress")
    assert c.breaches["handoff"] == 0
    # Its 4 business hours ran from Wed 09:00: missed at 13:00, in sales' row.
    ft = row(card(eng, at(*WED, 13)), "first_touch:tier1")
    assert (ft.actual, ft.n) == (0.0, 1)


# --- 2. one lead, one verdict; a new owner's window is theirs ------------------------------
def test_a_reassigned_untouched_lead_is_one_tier_breach_and_one_window_per_rep() -> None:
    eng = _engine()
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10), score=85)], until=at(*WED, 15))
    # a's window breached Tue 14:00; at 2x (Wed 10:00) it went to b, whose window
    # breached Wed 14:00: two decisions, each naming its rep ...
    breaches = of(out, "sla.breached", sla="first_touch")
    assert [(b["rep_id"], b["at"]) for b in breaches] == [
        ("a", ny(tue(14))),
        ("b", ny(at(*WED, 14))),
    ]
    # ... but one verdict for the tier, and one window for each rep.
    c = card(eng)
    ft = row(c, "first_touch:tier1")
    assert (ft.actual, ft.n) == (0.0, 1)
    assert c.breaches["first_touch:tier1"] == 1
    assert c.reps == {"a": (0, 1, 0), "b": (0, 1, 0)}


def test_a_new_owner_who_touches_in_their_window_is_met_for_them_not_for_the_tier() -> None:
    eng = _engine()
    ev = Events()
    run(
        eng,
        [ev.mql("L1", tue(10), score=85), ev.touched("L1", at(*WED, 11), "b")],
        until=at(*WED, 15),
    )
    c = card(eng)
    assert (row(c, "first_touch:tier1").actual, row(c, "first_touch:tier1").n) == (0.0, 1)
    assert c.reps == {"a": (0, 1, 0), "b": (1, 0, 0)}


def test_a_reassignment_before_the_due_time_carries_the_tiers_verdict() -> None:
    # A ladder that reassigns at half the window: b gets the lead at Tue 12:00 with a
    # window to 16:00; a touch at 15:00 meets b's window, not the tier's (due 14:00).
    ladder = {"escalation": {"lead": [{"after": 0.5, "action": "reassign"}]}}
    eng = _engine(**ladder)
    ev = Events()
    out = run(
        eng, [ev.mql("L1", tue(10), score=85), ev.touched("L1", tue(15), "b")], until=tue(17)
    )
    assert one(out, "lead.reassigned")["first_touch_due"] == ny(tue(16))
    c = card(eng)
    ft = row(c, "first_touch:tier1")
    assert (ft.actual, ft.n) == (0.0, 1)
    assert c.reps == {"b": (1, 0, 0)}


def test_the_reassignment_cap_leaves_the_ladder_notifying_only() -> None:
    ladder = {
        "escalation": {
            "max_reassignments": 1,
            "lead": [
                {"after": 1.0, "notify": ["rep"]},
                {"after": 2.0, "notify": ["sales_manager"], "action": "reassign"},
            ],
        }
    }
    eng = _engine(**ladder)
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10), score=85)], until=at(2026, 1, 9, 12))
    assert [r["rep_id"] for r in of(out, "lead.reassigned")] == ["b"]  # once, a -> b
    steps = of(out, "sla.escalated", sla="first_touch", level=2)
    assert [s["action"] for s in steps] == ["reassign", None]
    assert "max_reassignments" in steps[1]["why"] and steps[1]["rep_id"] == "b"


# --- 3. a disposition without a touch ------------------------------------------------------
def test_a_disposition_without_a_touch_stops_first_touch_without_meeting_it() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [ev.mql("L1", tue(10), score=85), ev.disposition("L1", tue(11), "a", "rejected",
                                                          reason="wrong_persona")],
        until=at(*WED, 12),
    )  # fmt: skip
    assert not of(out, "sla.met", sla="first_touch")
    assert not of(out, "sla.breached", sla="first_touch")  # the clock stopped
    c = card(eng)
    ft = row(c, "first_touch:tier1")
    assert (ft.actual, ft.n, c.breaches["first_touch:tier1"]) == (0.0, 1, 0)
    assert c.closed_untouched == 1
    assert c.reps == {"a": (0, 0, 1)}


# --- 4. n, the counting rule and the units --------------------------------------------------
def test_every_row_has_its_n_and_sla_rows_count_by_due_week() -> None:
    eng = _engine()
    ev = Events()
    # Fri 16:00, tier3: 2 business days -> due Tue 2026-01-13 16:00, the next week.
    run(eng, [ev.mql("L1", at(2026, 1, 9, 16), score=50)], until=at(2026, 1, 14, 12))
    first, second = card(eng, at(2026, 1, 9)), card(eng, at(2026, 1, 13))
    assert row(first, "mql_volume").n == 1 and row(second, "mql_volume").n == 0  # MQL week
    assert row(first, "first_touch:tier3").n == 0
    assert (row(second, "first_touch:tier3").n, row(second, "first_touch:tier3").actual) == (
        1,
        0.0,
    )
    for r in first.rows:
        assert r.basis, r.commitment
        if r.commitment.startswith(("first_touch", "handoff", "follow_up", "disposition")):
            assert "by due week" in r.basis
    assert "calendar hours" in row(first, "handoff").basis
    assert "business hours" in row(first, "first_touch:tier1").basis
    assert "calendar hours" in row(first, "first_touch:demo_request").basis


# --- 5. undocumented rejections are counted -------------------------------------------------
def test_a_rejection_refused_for_its_reason_counts_in_rejection_documentation() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10)),
            ev.mql("L2", tue(10)),
            ev.disposition("L1", tue(11), "a", "rejected"),  # no reason: refused
            ev.disposition("L2", tue(11), "b", "rejected", reason="wrong_persona"),
        ],
        until=tue(12),
    )
    assert "needs a reason code" in one(out, "event.rejected")["reason"]
    c = card(eng)
    doc = row(c, "rejection_documentation")
    assert (doc.actual, doc.n) == (0.5, 2)
    assert (c.rejections_attempted, c.rejections_refused, c.dispositions_attempted) == (2, 1, 2)
    assert row(c, "sal_rate").n == 1  # the refused one changed nothing else


# --- 6. an intent spike on a queued lead ----------------------------------------------------
def test_an_intent_spike_on_a_queued_lead_is_delivered_with_the_rep_at_assignment() -> None:
    eng = _engine(reps=[])
    ev = Events()
    spike = [ev.engaged("L1", tue(11, i), activity) for i, activity in enumerate(SPIKE)]
    out = run(eng, [ev.mql("L1", tue(10)), *spike], until=tue(12))
    assert not of(out, "intent.spike")  # nobody to tell yet
    out = run(eng, [ev.rep_upserted("c", tue(13), ["commercial"])])
    one(out, "lead.assigned", lead_id="L1", rep_id="c")
    s = one(out, "intent.spike", lead_id="L1")
    assert (s["rep_id"], s["held"], s["at"]) == ("c", True, ny(tue(13)))
    assert s["signals"] == {"pricing_page_visit": 1, "email_open": 3}


# --- 7. who may touch a lead ---------------------------------------------------------------
def test_a_touch_or_disposition_by_a_rep_off_the_team_is_refused_naming_them() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10), score=85),
            ev.touched("L1", tue(11), "zed"),
            ev.disposition("L1", tue(11, 30), "zed", "accepted"),
        ],
        until=tue(15),
    )
    refusals = of(out, "event.rejected")
    assert len(refusals) == 2
    assert all("rep 'zed' is not on the team" in r["reason"] for r in refusals)
    one(out, "sla.breached", sla="first_touch", rep_id="a")  # the touch did not count
    assert not of(out, "sla.met", sla="disposition")


def test_a_touch_by_a_team_member_who_is_not_the_owner_is_credited_to_them() -> None:
    eng = _engine()
    ev = Events()
    out = run(eng, [ev.mql("L1", tue(10), score=85), ev.touched("L1", tue(11), "b")])
    assert one(out, "lead.assigned")["rep_id"] == "a"
    assert one(out, "sla.met", sla="first_touch")["rep_id"] == "b"
    assert card(eng).reps == {"b": (1, 0, 0)}


def test_a_rep_added_at_run_time_is_on_the_team() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [
            ev.mql("L1", tue(10), score=85),
            ev.rep_upserted("c", tue(10, 30), ["commercial"]),
            ev.touched("L1", tue(11), "c"),
        ],
    )
    assert not of(out, "event.rejected")
    assert one(out, "sla.met", sla="first_touch")["rep_id"] == "c"


# --- 8. an id seen with other content -------------------------------------------------------
def _lines(*events: dict[str, object]) -> list[str]:
    return [json.dumps(e) for e in events]


UPSERT = {"event_id": "u1", "type": "lead.upserted", "at": "2026-01-06T10:00:00-05:00",
          "lead_id": "L1", "score": 50, "fit": 80, "segment": "smb"}  # fmt: skip


def test_an_id_repeated_with_other_content_is_refused_naming_the_first_copy() -> None:
    eng = _engine()
    changed = {**UPSERT, "score": 95}
    out = list(replay(eng, _lines(UPSERT, UPSERT, changed)))  # the same bytes, then others
    r = one(out, "event.rejected")
    assert r["source"] == "line 3"
    assert "'u1' was seen before with different content (first read at line 1)" in r["reason"]
    assert eng.stats["duplicate"] == 1 and eng.stats["refused"] == 1
    assert eng.leads["L1"].fields["score"] == 50


def test_the_lead_stage_decides_the_new_rules_as_the_one_process_engine(tmp_path: Path) -> None:
    """Every rule above that the lead desk decides, through the worker's two stages."""
    ev = Events()
    loaded = policy({"surge": None}, [rep("a"), rep("b")], LEADS)
    events = [
        *ev.mql("L1", tue(10), score=85),
        ev.touched("L1", tue(11), "zed"),  # off the team
        ev.touched("L1", tue(11, 5), "b"),  # not the owner
        *ev.mql("L2", tue(10, 1)),
        ev.disposition("L2", tue(11), "a", "rejected"),  # undocumented
        ev.disposition("L2", tue(11, 10), "b"),  # without a touch, by a non-owner
    ]
    lines = [e.model_dump_json() for e in events]
    assert "11:05:00" in lines[3]  # b's touch
    lines.append(lines[3].replace("11:05:00", "11:06:00"))  # its id, other content
    lines.append(lines[7])  # the same again
    raw = [line.encode() for line in lines]

    one_process = Engine(loaded)
    expected = list(replay(one_process, lines))

    stage = LeadStage(loaded, "in", 0, snapshot_path=tmp_path / "s", fork_snapshots=False)
    asyncio.run(stage.recover(0, _empty))
    pool = Engine(loaded)
    got: list[Output] = []
    for offset, line in enumerate(raw):
        for record in stage.apply(offset, line):
            assert not isinstance(record, Invalid)
            got += apply_record(pool, record)
    got += pool.advance(one_process.now)
    expected_kept = [_comparable(o) for o in expected]
    assert [_comparable(o) for o in got] == expected_kept
    reasons = [o["reason"] for o in got if o["type"] == "event.rejected"]
    assert len(reasons) == 3
    assert "first read at in:0:3" in reasons[2]
    assert card(pool).reps == card(one_process).reps == {"b": (1, 0, 1)}
    assert card(pool).rows == card(one_process).rows


async def _empty(start: int, end: int):  # type: ignore[no-untyped-def]
    return
    yield


def _comparable(o: Output) -> object:
    """Rejections name their source (a file's line, a topic's offset): compared by what
    was refused and why, with the source left out of the reason."""
    if o["type"] != "event.rejected":
        return o
    return (o["raw"], o["reason"].split(" (first read")[0], o["at"])

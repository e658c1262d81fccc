"""The rep board (routing.board.rep_board): what it says is the engine's own state, it
marks at-risk and breached when the engine did, and reading it changes nothing."""

from __future__ import annotations

from datetime import timedelta

from routing.board import rep_board
from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import replay
from tests.builders import Events, engine, rep, run, tue
from tests.worker_process import POLICY, SAMPLE

REPS = [rep("rep-a", "commercial"), rep("rep-b", "commercial"), rep("rep-x", "enterprise")]


def test_a_demo_request_counts_down_turns_at_risk_then_breached() -> None:
    e, ev = engine(reps=REPS), Events()
    mql_at = tue(10)
    run(e, [ev.mql("L-1", mql_at, demo_requested=True, segment="smb")])

    board = rep_board(e, (mql_at + timedelta(minutes=10)).timestamp())
    (owner,) = [r for r in board["reps"] if r["leads"]]
    (lead,) = owner["leads"]
    assert (owner["open"], owner["new_today"]) == (1, 1)
    assert lead["lead_id"] == "L-1" and lead["sla"] == "first_touch"
    assert lead["due"] == "2026-01-06T11:00:00-05:00"  # demo_request: 1 h, calendar clock
    assert lead["due_in_s"] == 50 * 60 and lead["state"] == "ok"

    e.advance((mql_at + timedelta(minutes=46)).timestamp())  # at-risk point: 0.75 x 1 h
    lead = next(r for r in rep_board(e, e.now)["reps"] if r["leads"])["leads"][0]
    assert lead["state"] == "at_risk"

    e.advance((mql_at + timedelta(minutes=61)).timestamp())
    board = rep_board(e, e.now)
    owner = next(r for r in board["reps"] if r["leads"])
    assert owner["leads"][0]["state"] == "breached" and owner["leads"][0]["due_in_s"] == -60
    assert owner["breached"] == 1 and owner["at_risk"] == 0


def test_leads_sorted_by_next_due_and_queues_by_pool() -> None:
    e, ev = engine(reps=[rep("rep-a", "commercial", capacity={"max_open": 2})]), Events()
    run(e, [
        ev.mql("L-slow", tue(10), score=55),  # tier3: 2 business days
        ev.mql("L-fast", tue(10, 5), demo_requested=True),  # 1 h
        ev.mql("L-wait", tue(10, 10)),  # no room: queued
    ])  # fmt: skip

    board = rep_board(e, tue(10, 15).timestamp())
    rep_a = board["reps"][0]
    assert [lead["lead_id"] for lead in rep_a["leads"]] == ["L-fast", "L-slow"]
    assert (rep_a["open"], rep_a["max_open"]) == (2, 2)
    commercial = next(p for p in board["pools"] if p["pool"] == "commercial")
    assert commercial["depth"] == 1 and commercial["oldest_lead_id"] == "L-wait"
    assert commercial["oldest_wait_s"] == 5 * 60 and commercial["surge"] is False


def test_no_personal_data_unless_asked() -> None:
    e, ev = engine(reps=REPS), Events()
    run(e, [ev.mql("L-1", tue(10))])

    plain = str(rep_board(e, e.now))
    people = str(rep_board(e, e.now, people=True))

    assert "Ada Lovelace" not in plain and "ada@example.com" not in plain
    assert "Ada Lovelace" in people and "ada@example.com" in people


def test_reading_the_board_changes_no_decision() -> None:
    lines = [line for line in SAMPLE.read_text().splitlines() if line.strip()]
    half = len(lines) // 2
    looked, untouched = Engine(load_policy(POLICY)), Engine(load_policy(POLICY))
    first = list(replay(looked, lines[:half]))
    for hours in (0, 5, 30, 400):  # also far ahead: a rep's day and shift caches stay put
        rep_board(looked, looked.now + hours * 3600)
    rest = list(replay(looked, lines[half:]))

    assert first + rest == list(replay(untouched, lines[:half])) + list(
        replay(untouched, lines[half:])
    )

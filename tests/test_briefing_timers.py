"""The core emits the daily digests and the weekly summary itself (routing/briefings.py,
routing/commitments.py), as decisions among the others, when the policy asks for them:
so replay, the simulator and the worker make the same records with the same ids."""

from __future__ import annotations

import json
import pickle
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import replay
from routing.summary import weekly_summary

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "examples" / "notify" / "policy.yaml"
SAMPLE = REPO / "examples" / "events.sample.jsonl"


@pytest.fixture(scope="module")
def loaded():  # type: ignore[no-untyped-def]
    return load_policy(POLICY)


def later(at: str, event_id: str = "later") -> str:
    return json.dumps({"event_id": event_id, "type": "rep.status", "at": at,
                       "rep_id": "rep-01", "status": "available"})


def events() -> list[str]:
    """The reference sample (Tue 6 Jan 2026), then an input on Tue 20 Jan: weeks W02
    (partial: the first input is mid-week) and W03 close in between."""
    return [*SAMPLE.read_text().splitlines(), later("2026-01-20T10:00:00-05:00")]


def test_a_closed_week_gives_its_summary_after_its_own_decisions(loaded) -> None:  # type: ignore[no-untyped-def]
    out = list(replay(Engine(loaded), events()))
    summaries = [o for o in out if o["type"] == "summary.weekly"]
    # W02 began before the first input (partial, not judged): no summary for it.
    assert [s["event_id"] for s in summaries] == ["summary:2026-W03"]
    [s] = summaries
    assert s["at"] == "2026-01-19T00:00:00-05:00" and s["partial"] is False
    i = out.index(s)
    week = [o for o in out if o.get("period") == "2026-W03" and o["type"] == "period.breached"]
    assert week and all(out.index(o) < i for o in week)  # the week's misses come first
    assert s["actions"] == [{"commitment": o["commitment"], "side": o["side"],
                             "action": o["action"], "consecutive": o["consecutive"]}
                            for o in week if o["action"]]
    # The same rows as the scorecard JSON read afterwards gives for that week.
    engine = Engine(loaded)
    list(replay(engine, events()))
    card = weekly_summary(engine.commitments.to_json(engine.now), "2026-W03")
    assert card is not None
    assert (s["rows"], s["headline"], s["met"], s["judged"]) == (
        card["rows"], card["headline"], card["met"], card["judged"])


def test_digests_follow_each_reps_day_start_and_ids_never_repeat(loaded) -> None:  # type: ignore[no-untyped-def]
    tokyo = {"event_id": "new-rep", "type": "rep.upserted", "at": "2026-01-06T09:30:00-05:00",
             "rep_id": "rep-20", "pools": ["commercial"], "team_lead": "tl-west",
             "hours": {"timezone": "Asia/Tokyo", "mon": "09:00-17:00", "tue": "09:00-17:00",
                       "wed": "09:00-17:00", "thu": "09:00-17:00", "fri": "09:00-17:00"}}
    lines = [json.dumps(tokyo), *events()]
    out = list(replay(Engine(loaded), lines))
    ids = [o["event_id"] for o in out]
    assert len(ids) == len(set(ids))
    digests = [o for o in out if o["type"] == "digest.due"]
    starts = {o["at"] for o in digests if o["role"] == "rep"}
    # The reference reps start at 09:00 New York; no one else is digested at other times
    # unless they have items (rep-20 starts at 19:00 New York the day before).
    assert all(a.endswith("T09:00:00-05:00") or a.endswith("T19:00:00-05:00") for a in starts)
    # At most one digest per rep per day, and each lists only that rep's leads.
    per_day = Counter((o["recipient"], o["event_id"]) for o in digests)
    assert max(per_day.values()) == 1
    assert all(i["rep_id"] == o["recipient"] for o in digests if o["role"] == "rep"
               for i in o["items"])


def test_a_pickled_engine_goes_on_to_the_same_digests_and_summary(loaded) -> None:  # type: ignore[no-untyped-def]
    """The worker snapshots its engine and goes on from the snapshot after a restart."""
    lines = events()
    whole = list(replay(Engine(loaded), lines))
    engine = Engine(loaded)
    first = list(replay(engine, lines[:8]))
    again: Any = pickle.loads(pickle.dumps(engine))
    rest = list(replay(again, lines[8:]))
    def kept(outs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [o for o in outs if o["type"] != "event.rejected"]  # named by line number

    assert kept(first + rest) == kept(whole)
    assert {o["type"] for o in whole} >= {"digest.due", "summary.weekly"}


def test_the_simulators_textless_engine_counts_the_same_digests(loaded) -> None:  # type: ignore[no-untyped-def]
    full, textless = Engine(loaded), Engine(loaded, texts=False)
    a = [o for o in replay(full, events()) if o["type"] == "digest.due"]
    b = [o for o in replay(textless, events()) if o["type"] == "digest.due"]
    assert [(o["recipient"], len(o["items"])) for o in a] == [
        (o["recipient"], len(o["items"])) for o in b]
    assert full.day_starts is not None and textless.day_starts is not None
    assert (full.day_starts.digests, full.day_starts.items) == (len(a), sum(
        len(o["items"]) for o in a))


def test_a_state_from_before_digests_starts_its_timer_once_migrated(loaded) -> None:  # type: ignore[no-untyped-def]
    """A state of format 2 (before the digests' timer) is migrated to 3 with the policy's
    fresh timer, not started (routing.briefings.DayStarts starts at the first input, long
    gone). Once loaded it is started at the state's time: the digests from then on are the
    ones an engine with digests from the start gives; without the start, none come."""
    from routing.briefings import day_starts_for
    from streams.state_format import _start_briefings

    lines = events()
    whole = list(replay(Engine(loaded), lines))

    def migrated() -> Engine:
        engine = Engine(loaded)
        engine.day_starts = None  # the code of format 2 had no digests' timer
        list(replay(engine, lines[:8]))
        engine.day_starts = day_starts_for(loaded.policy)  # the 2 -> 3 ref: a fresh one
        return engine

    engine = migrated()
    since = engine.now
    _start_briefings(engine)
    after = [o for o in replay(engine, lines[8:]) if o["type"] == "digest.due"]
    want = [o for o in whole if o["type"] == "digest.due"
            and datetime.fromisoformat(o["at"]).timestamp() > since]  # fmt: skip
    assert want and after == want
    unstarted = migrated()
    assert not [o for o in replay(unstarted, lines[8:]) if o["type"] == "digest.due"]

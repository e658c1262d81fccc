"""Bad input gets a clear reason and loses nothing: each bad line is rejected on its own."""

from __future__ import annotations

import json

import pytest

from routing.errors import EventError
from routing.events import MAX_EVENT_BYTES, parse_event
from routing.replay import replay
from tests.replaying import example_engine, of

GOOD = {
    "event_id": "u1",
    "type": "lead.upserted",
    "at": "2026-01-06T10:00:00-05:00",
    "lead_id": "L-1",
    "score": 90,
}


def bad(**change: object) -> str:
    event = dict(GOOD) | change
    return json.dumps({k: v for k, v in event.items() if v is not None})


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('{"event_id": "x", ', "not valid JSON"),
        ("[1, 2]", "event"),
        (bad(type="lead.merged"), "unknown type 'lead.merged'"),
        (bad(type=None), "missing field `type`"),
        (bad(lead_id=None), "lead_id: missing required field"),
        (bad(score="high"), "score: input should be a valid number"),
        (bad(score=140), "score: input should be less than or equal to 100"),
        (bad(at="not-a-time"), "at: input should be a valid datetime"),
        (bad(at="2026-01-06T10:00:00"), "at: input should have timezone info"),
        (bad(at="1999-01-13T10:00:00Z"), "timestamp year 1999 is outside 2000-2100"),
        (bad(segment="galactic"), "segment: input should be 'enterprise', 'mid_market' or 'smb'"),
        (bad(event_id=""), "event_id: string should have at least 1 character"),
    ],
)
def test_each_mistake_is_named(line: str, words: str) -> None:
    with pytest.raises(EventError) as caught:
        parse_event(line)
    assert words in str(caught.value)


def test_oversize_payload_is_refused_before_parsing() -> None:
    line = bad(name="x" * MAX_EVENT_BYTES)
    with pytest.raises(EventError, match="bytes; the limit is"):
        parse_event(line)


def test_unknown_extra_fields_are_ignored_not_fatal() -> None:
    event = parse_event(bad(utm_campaign="spring"))
    assert event.event_id == "u1"


def test_bad_lines_are_rejected_and_the_rest_applied() -> None:
    lines = [
        '{"event_id": "broken", ',
        bad(event_id="u0", score="high"),
        json.dumps(
            {
                "event_id": "r1",
                "type": "rep.upserted",
                "at": "2026-01-06T09:00:00-05:00",
                "rep_id": "rep-99",
                "pools": ["bench"],
                "hours": {"mon": "9-17"},
            }
        ),
        json.dumps(
            {
                "event_id": "s1",
                "type": "rep.status",
                "at": "2026-01-06T09:01:00-05:00",
                "rep_id": "rep-404",
                "status": "pto",
            }
        ),
        bad(
            name="A",
            email="a@acme.example",
            company="Acme",
            role="CTO",
            source="web",
            fit=90,
            segment="enterprise",
        ),
        json.dumps(
            {
                "event_id": "g1",
                "type": "lead.engaged",
                "at": "2026-01-06T10:01:00-05:00",
                "lead_id": "L-1",
                "activity": "email_open",
            }
        ),
    ]
    engine = example_engine()
    out = list(replay(engine, lines))
    rejected = of(out, "event.rejected")
    assert [r["source"] for r in rejected] == ["line 1", "line 2", "line 3", "line 4"]
    assert "HH:MM-HH:MM" in rejected[2]["reason"]
    assert "unknown rep 'rep-404'" in rejected[3]["reason"]
    assert rejected[0]["raw"] == '{"event_id": "broken",'
    assert of(out, "lead.assigned", lead_id="L-1")  # the good lines still count
    assert engine.stats["rejected"] == 2 and engine.stats["refused"] == 2
    assert engine.stats["applied"] == 2

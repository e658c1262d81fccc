"""Desk records (streams.desk_records): what the lead stage tells the pool stage. They
read back as written, anything else is refused with a reason (and becomes an
`event.rejected`, never a crash of the pool stage), and the same record twice is
applied once."""

from __future__ import annotations

import math

import orjson
import pytest

from routing.engine import Engine
from streams.desk_records import RecordError, apply_desk, decode, encode
from tests.builders import COMPLETE, policy, rep, tue

CALLS = [
    ["fields_changed", "L1", {"score": 71.5, "fit": 80}],
    ["mql", "L1", tue(10).timestamp(), "e1", 1, 0, "tier1", "commercial", ["role"],
     {"score": 71.5}],
    ["touched", "L1", tue(11).timestamp(), "e2", True, False, "a"],
    ["intent", "L1", 1767711600.000123, "e3", {"pricing_page_visit": 2}],
    ["refused", 1767711600.5, "e4", "in:0:4", None, '{"x": "é"}', "no reason"],
]  # fmt: skip


def test_a_record_reads_back_as_written() -> None:
    data = encode("e1", 1767711600.000123, "leads.events:3:17", CALLS)
    record = decode(data)
    assert (record.id, record.source, record.calls) == ("e1", "leads.events:3:17", CALLS)
    assert record.t == 1767711600.000123  # exactly: floats survive the JSON
    assert decode(encode("x", 1.0, "", [])).calls == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a desk record"),
        (b"e{}", "not a desk record"),
        (b"d{not json", "not JSON"),
        (b"d[1,2]", "version 'list'"),
        (b'd{"v":2,"id":"a","t":1,"src":"","calls":[]}', "version 2"),
        (b'd{"v":1,"t":1,"src":"","calls":[]}', "without an id"),
        (b'd{"v":1,"id":"a","t":"noon","src":"","calls":[]}', "t is not a number"),
        (b'd{"v":1,"id":"a","t":true,"src":"","calls":[]}', "t is not a number"),
        (b'd{"v":1,"id":"a","t":1,"src":"","calls":{}}', "calls a list"),
        (b'd{"v":1,"id":"a","t":1,"src":"","calls":[["explode","L1"]]}', "not a known call"),
        (b'd{"v":1,"id":"a","t":1,"src":"","calls":[["touched","L1"]]}', "not a known call"),
        (b'd{"v":1,"id":"a","t":1,"src":"","calls":[[]]}', "not a known call"),
    ],
)
def test_garbage_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        decode(data)


def _engine() -> Engine:
    return Engine(policy({"surge": None}, [rep("a", "commercial")]))


def _mql(event_id: str, lead_id: str) -> bytes:
    t = tue(10).timestamp()
    call = ["mql", lead_id, t, event_id, 1, 1, "tier2", "commercial", [], {"score": 70}]
    return encode(event_id, t, "in:0:1", [call])


def test_the_pool_side_applies_a_record_once_and_refuses_garbage() -> None:
    engine = _engine()
    first = apply_desk(engine, _mql("e1", "L1"))
    assert [o["type"] for o in first] == ["lead.assigned", "sla.met"]  # handoff on the spot
    assert first[0]["event_id"] == "e1:lead.assigned:L1"
    assert apply_desk(engine, _mql("e1", "L1")) == []  # sent again after a restart
    assert engine.stats["duplicate"] == 1 and engine.stats["applied"] == 1
    bad = apply_desk(engine, b'd{"v":1,"id":"a","t":1,"src":"","calls":[["explode"]]}')
    assert bad[0]["type"] == "event.rejected" and "not a known call" in bad[0]["reason"]
    assert engine.leads["L1"].owner == "a"


def test_a_refusal_decided_by_the_desk_is_published_by_the_pool_side() -> None:
    engine = _engine()
    raw = orjson.dumps({"event_id": "e9", "lead_id": "L9", **COMPLETE}).decode()
    call = ["refused", math.pi, "e9", "in:0:9", "L9", raw, "lead 'L9' is not an open MQL"]
    out = apply_desk(engine, encode("e9", math.pi, "in:0:9", [call]))
    assert [(o["type"], o["lead_id"], o["raw"], o["source"]) for o in out] == [
        ("event.rejected", "L9", raw, "in:0:9")
    ]
    assert engine.stats["refused"] == 1 and engine.stats["applied"] == 0


def test_a_record_sent_again_from_far_behind_is_dropped_by_its_position() -> None:
    """A lead stage that restarts from an old committed offset sends records whose ids the
    pool side has forgotten (ids are kept for 7 days of event time): their position in
    the input partition still marks them as applied."""
    engine = _engine()
    first = _mql("e1", "L1")  # read at in:0:1, on Tuesday
    assert apply_desk(engine, first)
    two_weeks = tue(10).timestamp() + 14 * 86400
    for offset in range(2, 2100):  # the partition goes on, two weeks later
        apply_desk(engine, encode(f"x{offset}", two_weeks + offset, f"in:0:{offset}", []))
    assert apply_desk(engine, first) == []
    assert engine.stats["duplicate"] == 1
    # The id alone would not have caught it: from another partition it is applied again.
    elsewhere = decode(first)
    again = apply_desk(engine, encode(elsewhere.id, elsewhere.t, "in:1:1", elsewhere.calls))
    assert again and engine.stats["duplicate"] == 1  # applied: the id was forgotten


def test_a_deferral_fired_again_is_dropped_by_the_leads_cycle() -> None:
    engine = _engine()
    t = tue(10).timestamp()
    call = ["mql", "L1", t, "L1#0@defer", 1, 1, "tier2", "commercial", [], {}]
    assert apply_desk(engine, encode("L1#0@defer", t, "", [call]))
    assert apply_desk(engine, encode("L1#0@defer", t, "", [call])) == []
    assert engine.stats["duplicate"] == 1 and engine.leads["L1"].cycle == 1

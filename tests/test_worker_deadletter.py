"""Bad input through the real broker: every message that is not a valid event goes to the
dead-letter topic with its raw bytes, where it was read and the parser's reason; the worker
counts it and goes on."""

from __future__ import annotations

import re

import orjson
from aiokafka.structs import ConsumerRecord

from routing.errors import EventError
from routing.events import MAX_EVENT_BYTES, parse_event
from tests.worker_process import WorkerRig, worker_rig_fixture  # noqa: F401

VALID = {
    "event_id": "ok-1",
    "type": "lead.upserted",
    "at": "2026-01-06T10:00:00-05:00",
    "lead_id": "L-ok",
    "name": "x",
    "email": "a@competitor.example",
    "company": "c",
    "role": "student",
    "source": "web",
    "score": 90,
}


def _bad(**changes: object) -> bytes:
    event = {**VALID, **changes}
    return orjson.dumps({k: v for k, v in event.items() if v is not None})


BAD = {
    "bad JSON": b'{"event_id": "b1", "type": ',
    "not UTF-8": b"\xff\xfe\x00garbage",
    "empty": b"",
    "wrong type": _bad(event_id="b2", score="high"),
    "unknown type": _bad(event_id="b3", type="lead.teleported"),
    "missing field": _bad(event_id="b4", lead_id=None),
    "impossible timestamp": _bad(event_id="b5", at="1900-01-01T00:00:00Z"),
    "not a timestamp": _bad(event_id="b6", at="2026-13-45T99:00:00Z"),
    "oversize": _bad(event_id="b7", company="x" * (MAX_EVENT_BYTES + 10)),
}


def _reason(raw: bytes) -> str:
    if not raw:
        return "empty message: no value"
    try:
        parse_event(raw)
    except EventError as exc:
        return str(exc)
    raise AssertionError(f"{raw[:60]!r} parses")


async def test_bad_input_is_dead_lettered_and_the_worker_goes_on(worker_rig: WorkerRig) -> None:
    rig = worker_rig
    await rig.create_input()
    rig.start("--clock", "event")
    await rig.ready()
    bad = list(BAD.values())
    sent = await rig.produce([*bad, orjson.dumps(VALID)])

    def done(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        dead = sum(r.topic == rig.deadletter for r in records)
        return dead >= len(bad) and any(r.topic == rig.assignments for r in records)

    records = await rig.read([rig.deadletter, rig.assignments], done)
    dead = sorted((r for r in records if r.topic == rig.deadletter), key=lambda r: r.offset)
    assert len(dead) == len(bad)
    by_offset = {meta.offset: (raw, meta) for raw, meta in zip(bad, sent, strict=False)}
    for record in dead:
        headers = {k: v.decode() for k, v in record.headers}
        raw, meta = by_offset[int(headers["leadflow.offset"])]
        assert record.value == raw  # the bytes as received, not a re-encoding
        assert headers["leadflow.topic"] == rig.events
        assert int(headers["leadflow.partition"]) == meta.partition
        assert headers["leadflow.reason"] == _reason(raw)
        assert headers["leadflow.stage"] == "lead"
    reasons = {
        h for r in dead for k, v in r.headers if k == "leadflow.reason" for h in [v.decode()]
    }
    assert any("unknown type 'lead.teleported'" in r for r in reasons)
    assert any("limit is 65536" in r for r in reasons)

    # The valid event after them was routed: the worker kept going.
    routed = [orjson.loads(r.value or b"") for r in records if r.topic == rig.assignments]
    assert [d["event_id"] for d in routed] == ["ok-1:lead.disqualified:L-ok"]
    # ... and counted what it dead-lettered.
    status, _, body = rig.get("/metrics")
    assert status == 200
    counted = re.search(rb'leadflow_deadlettered_total\{stage="lead"\} (\S+)', body)
    assert counted is not None and float(counted.group(1)) == len(bad)

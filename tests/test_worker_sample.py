"""Must-show 1: the reference sample through the real broker and `leadflow worker` gives the
decisions `leadflow replay` gives, with the same event_ids, in the same order per topic;
the malformed line and the refused rejection are dead-lettered; re-sent events are ignored.

The worker runs with `--clock event` (time follows the events, as in replay: the sample is
from January while the wall clock is not) and one partition per topic, so that the input
order is the file order (Kafka orders within a partition only).
"""

from __future__ import annotations

from typing import Any

from aiokafka.structs import ConsumerRecord

from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import dumps, replay
from streams.records import ASSIGNMENT_TYPES
from tests.worker_process import (  # noqa: F401
    POLICY,
    WorkerRig,
    start_and_send_sample,
    worker_rig_fixture,
)

SENTINEL = (
    b'{"event_id":"sentinel-1","type":"lead.upserted","at":"2026-01-07T11:00:00-05:00",'
    b'"lead_id":"L-sentinel","name":"x","email":"a@competitor.example","company":"c",'
    b'"role":"student","source":"web","score":90}'
)


def _headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


def _split(expected: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    kept = [d for d in expected if d["type"] != "event.rejected"]
    return kept, [d for d in expected if d["type"] == "event.rejected"]


def _by_topic(rig: WorkerRig, records: list[ConsumerRecord[bytes, bytes]]) -> dict[str, list[str]]:
    got: dict[str, list[str]] = {rig.assignments: [], rig.alerts: []}
    for record in records:
        if record.topic in got:
            got[record.topic].append((record.value or b"").decode())
    return got


async def test_sample_stream_gives_the_replay_decisions(worker_rig: WorkerRig) -> None:
    rig = worker_rig
    lines, sent = await start_and_send_sample(rig)

    oracle = Engine(load_policy(POLICY))
    expected, rejected = _split(list(replay(oracle, lines)))
    assert expected and len(rejected) == 2  # e19 does not parse; e18 is refused by a rule
    outputs = [rig.assignments, rig.alerts, rig.deadletter]

    def complete(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        dead = sum(r.topic == rig.deadletter for r in records)
        return len(records) - dead >= len(expected) and dead >= len(rejected)

    records = await rig.read(outputs, complete)
    got = _by_topic(rig, records)
    # The same decisions, byte for byte, in replay order within each output topic.
    want_assign = [dumps(d) for d in expected if d["type"] in ASSIGNMENT_TYPES]
    want_alerts = [dumps(d) for d in expected if d["type"] not in ASSIGNMENT_TYPES]
    assert got[rig.assignments] == want_assign
    assert got[rig.alerts] == want_alerts

    dead = [r for r in records if r.topic == rig.deadletter]
    assert len(dead) == 2
    by_stage = {_headers(r)["leadflow.stage"]: r for r in dead}
    # The line that is not an event: raw bytes, where it was, and the parser's reason.
    malformed = by_stage["lead"]
    unparsed = next(d for d in rejected if d["event_id"].endswith(":event.rejected:input"))
    line = int(unparsed["source"].removeprefix("line "))
    h = _headers(malformed)
    assert malformed.value == lines[line - 1]
    assert (h["leadflow.topic"], int(h["leadflow.partition"]), int(h["leadflow.offset"])) == (
        rig.events,
        sent[line - 1].partition,
        sent[line - 1].offset,
    )
    assert h["leadflow.reason"] == unparsed["reason"]
    # The rejection without a reason: refused by the engine, with the engine's reason; its id
    # names the event (the prefix names where it was read: a file line, or topic:partition:offset).
    refused = next(d for d in rejected if d is not unparsed)
    h = _headers(by_stage["pool"])
    subject = refused["event_id"].rsplit(":", 1)[1]
    assert h["leadflow.event_id"].endswith(f":event.rejected:{subject}")
    assert h["leadflow.reason"] == refused["reason"]
    assert by_stage["pool"].value == refused["raw"].encode()

    # Every event again, then a sentinel: only the malformed line and the sentinel do anything.
    await rig.produce([*lines, SENTINEL])
    again_expected, again_rejected = _split(list(replay(oracle, [*lines, SENTINEL])))
    assert [d["type"] for d in again_expected] == ["lead.disqualified"]
    total = len(records) + len(again_expected) + len(again_rejected)
    records = await rig.read(outputs, lambda rs: len(rs) >= total)
    assert len(records) == total
    after = _by_topic(rig, records)
    assert after[rig.assignments][-1] == dumps(again_expected[0])
    assert after[rig.alerts] == want_alerts

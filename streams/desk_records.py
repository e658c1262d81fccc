"""Desk records: what the lead stage tells the pool stage, one record per input (or desk
timer), on the routing topic (streams.records names the other kinds).

A desk record holds the `routing.sink.DeskSink` calls the lead desk made for one input,
in order, with the input's id, instant and source:

    b"d" + orjson({"v": 1, "id": "<event id>", "t": <epoch s>, "src": "<topic:part:offset>",
                   "calls": [["mql", <args>...], ["touched", <args>...], ...]})

`id` is the input event's id, or a desk timer's cause (`<lead>#<cycle>@defer`); `src` is
where the input was read (empty for a deferral). The same input, applied again after a
restart, gives the same record, and the pool side drops it (`apply_desk`). Each call's
arguments are the sink method's, in order; `fields` carry only what the pool side reads
(`routing.queue.ROUTING_FIELDS`, and at an MQL `routing.funnel.FUNNEL_FIELDS`).
orjson writes floats so that they read back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from routing.engine import Engine
from routing.outputs import Output
from streams.errors import StreamsError

DESK = ord("d")
VERSION = 1
#: The sink methods a record may call, with their number of arguments.
CALLS = {
    "mql": 9,
    "disqualified": 5,
    "touched": 6,
    "dispositioned": 6,
    "stage_changed": 6,
    "intent": 4,
    "fields_changed": 2,
    "refused": 6,
    "rejection_undocumented": 3,
}
#: Calls a version-1 record of an older lead stage wrote with fewer arguments (before the
#: acting rep was passed on): read with the rep unknown (None: the owner's, as then).
_SHORTER = {"touched": 5, "dispositioned": 5}


class RecordError(StreamsError):
    """A routing record that is not a valid desk record; the message says why."""


@dataclass(frozen=True, slots=True)
class DeskRecord:
    id: str
    t: float
    source: str
    calls: list[list[Any]]


def encode(record_id: str, t: float, source: str, calls: list[list[Any]]) -> bytes:
    body = {"v": VERSION, "id": record_id, "t": t, "src": source, "calls": calls}
    return b"d" + orjson.dumps(body)


def decode(data: bytes) -> DeskRecord:
    """A desk record's content; `RecordError` for anything else."""
    if not data or data[0] != DESK:
        raise RecordError(f"not a desk record: {data[:20]!r}")
    try:
        body = orjson.loads(data[1:])
    except orjson.JSONDecodeError as exc:
        raise RecordError(f"desk record is not JSON: {exc}") from None
    if not isinstance(body, dict) or body.get("v") != VERSION:
        got = body.get("v") if isinstance(body, dict) else type(body).__name__
        raise RecordError(f"desk record of version {got!r}; this worker reads {VERSION}")
    record_id, t, source, calls = body.get("id"), body.get("t"), body.get("src"), body.get("calls")
    if not isinstance(record_id, str) or not record_id:
        raise RecordError("desk record without an id")
    if not isinstance(t, int | float) or isinstance(t, bool):
        raise RecordError(f"desk record {record_id!r}: t is not a number: {t!r}")
    if not isinstance(source, str) or not isinstance(calls, list):
        raise RecordError(f"desk record {record_id!r}: src must be text and calls a list")
    for call in calls:
        if not isinstance(call, list) or not call:
            raise RecordError(f"desk record {record_id!r}: not a known call: {call!r:.80}")
        if _SHORTER.get(call[0]) == len(call) - 1:
            call.append(None)
        if CALLS.get(call[0]) != len(call) - 1:
            raise RecordError(f"desk record {record_id!r}: not a known call: {call!r:.80}")
    return DeskRecord(record_id, float(t), source, calls)


def source_position(source: str) -> tuple[str, int]:
    """The input log (`topic:partition`) and offset a source (`topic:partition:offset`,
    as the lead stage names its input) names, or ("", -1)."""
    log, _, offset = source.rpartition(":")
    return (log, int(offset)) if log and offset.isdigit() else ("", -1)


def _stale(engine: Engine, record: DeskRecord) -> bool:
    """A deferral fired again (after a lead stage's restart): the pool side has had the
    lead's new cycle already."""
    for name, *args in record.calls:
        if name == "mql":
            lead = engine.leads.get(args[0])
            if lead is not None and lead.cycle >= args[3]:
                return True
    return False


def apply_desk(engine: Engine, data: bytes) -> list[Output]:
    """Apply a desk record to the pool side of `engine`; return the decisions it caused.

    A record sent again is applied once: one of an input by its position in that input's
    partition (the lead stage sends a partition's records in offset order), one of a
    deferral by its id and by the lead's cycle."""
    try:
        record = decode(data)
    except RecordError as exc:
        return engine.reject(data.decode(errors="replace"), "routing", str(exc))
    log, offset = source_position(record.source)
    if not log and _stale(engine, record):
        engine.stats["duplicate"] += 1
        return []
    if not engine.open_input(record.id, record.t, log, offset):
        return engine.em.take()  # a duplicate: applied before
    refused = False
    for name, *args in record.calls:
        getattr(engine, name)(*args)
        refused = refused or name == "refused"
    if not refused:
        engine.stats["applied"] += 1
    return engine.close_input(record.t)

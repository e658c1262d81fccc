"""What travels on the internal routing topic, and where each decision is published.

The lead stage sends, for every valid input, a *record* to the pool stage; the tick
task adds tick records. The routing topic is therefore the complete, ordered input of
the engine: applying its records in offset order (`apply_record`) is what the pool
stage does live, what it does again after a crash (from a snapshot's offset), and what
the fault test's offline oracle does. One function, three callers.

Record layout (bytes, no JSON round trip for the event itself):

- ``d{...}``: what the lead desk decided for one input (or a deferral that came due):
  the pool side's calls, `streams.desk_records` (JSON, versioned).
- ``e<source>\\n<raw event JSON>``: an input event as received; `source` names where
  it came from (`topic:partition:offset`), used by `event.rejected` decisions. The lead
  stage forwards rep events so (the pool side's own); an older lead stage forwarded
  every event so, and the pool stage still applies them whole.
- ``t<epoch seconds>``: a wall-clock tick: fire every timer due by that instant.
- ``t``: an event-time tick: fire every timer due by the engine's own event time
  (what `leadflow replay` does at the end of its input).
"""

from __future__ import annotations

from routing.engine import Engine
from routing.errors import EventError
from routing.events import parse_event, raw_text
from routing.outputs import Output
from streams.desk_records import DESK, apply_desk, source_position

EVENT = ord("e")
TICK = ord("t")

# Decision type -> which output topic it goes to (see `OutputTopics`).
ASSIGNMENT_TYPES = frozenset(
    {"lead.assigned", "lead.queued", "lead.reassigned", "lead.disqualified", "handoff.incomplete"}
)
REJECTED = "event.rejected"


def event_record(source: str, raw: bytes) -> bytes:
    return b"e" + source.encode() + b"\n" + raw


def tick_record(at: float | None) -> bytes:
    """A tick at a wall-clock instant, or (None) at the engine's own event time."""
    return b"t" if at is None else b"t" + repr(at).encode()


def split_event(record: bytes) -> tuple[str, bytes]:
    """The (source, raw bytes) of an event record."""
    head, _, raw = record.partition(b"\n")
    return head[1:].decode(), raw


def apply_record(engine: Engine, record: bytes) -> list[Output]:
    """Apply one routing record to the engine; return the decisions it caused."""
    kind = record[0] if record else 0
    if kind == DESK:
        return apply_desk(engine, record)
    if kind == EVENT:
        source, raw = split_event(record)
        # Sent again by a lead stage restarting far behind (its id may be forgotten: a
        # 7-day window of event time): applied once, by its position, as a desk record.
        log, offset = source_position(source)
        if log:
            if offset <= engine.positions.get(log, -1):
                engine.stats["duplicate"] += 1
                return []
            engine.positions[log] = offset
        try:
            event = parse_event(raw)
        except EventError as exc:  # validated upstream; a record is never dropped silently
            return engine.reject(raw_text(raw), source, str(exc))
        return engine.apply(event, source, raw)
    if kind == TICK:
        if len(record) == 1:
            return engine.advance(engine.now) if engine.now != float("-inf") else []
        return engine.advance(float(record[1:]))
    return engine.reject(raw_text(record), "routing", f"unknown routing record {record[:20]!r}")


def decision_key(decision: Output) -> bytes:
    """The Kafka key of a decision: what it is about (lead, pool, commitment), else its type."""
    for field in ("lead_id", "pool", "commitment", "rep_id"):
        value = decision.get(field)
        if isinstance(value, str):
            return value.encode()
    return str(decision["type"]).encode()

"""Faust codecs for leadflow's topics, backed by the core's pydantic models.

- `leadflow.event` (values of `leads.events`): bytes -> the core's validated input event
  (`routing.events.parse_event`: a `LeadUpserted`, `LeadEngaged`, ... model), and back to
  compact JSON. A value that is not a valid event raises `EventError` with the reason
  (Faust wraps it in `ValueDecodeError`).
- `leadflow.decision` (values of `leads.assignments` and `sla.alerts`): bytes -> a
  `Decision` (pydantic: `event_id`, `type`, `at` checked; every other field of the decision
  kept as it is, see events.md), and a decision (a `Decision` or the core's dict) -> the
  bytes the worker publishes.

The worker's two stages read and write bytes with aiokafka (docs/worker.md, "Faust, and
what it does here") and call the same functions; the codecs are what the declared topics
carry, so a Faust agent or table on these topics (a downstream consumer, a test with
`agent.test_context()`) gets validated models instead of bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from faust.serializers import codecs
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from routing.errors import EventError
from routing.events import InputEvent, explain, parse_event

EVENT_CODEC = "leadflow.event"
DECISION_CODEC = "leadflow.decision"


def _rfc3339(text: str) -> str:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a time with its UTC offset, e.g. 2026-01-05T09:00:00-05:00")
    return text  # kept as written: a decision re-encoded gives the bytes it came in


class Decision(BaseModel):
    """One decision as published: the fields every decision has, the rest kept as is."""

    model_config = ConfigDict(extra="allow", frozen=True)
    event_id: Annotated[str, Field(min_length=1)]
    type: str
    at: Annotated[str, AfterValidator(_rfc3339)]

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.at)

    def as_dict(self) -> dict[str, Any]:
        """The decision's fields in the order the core emitted them."""
        return self.model_dump()


class EventCodec(codecs.Codec):
    """bytes <-> the core's input event models."""

    def _loads(self, s: bytes) -> InputEvent:
        return parse_event(s)

    def _dumps(self, s: Any) -> bytes:
        if isinstance(s, BaseModel):
            return s.model_dump_json(exclude_none=True).encode()
        return orjson.dumps(s)


def parse_decision(raw: bytes | str) -> Decision:
    try:
        return Decision.model_validate_json(raw)
    except ValidationError as exc:
        raise EventError(explain(exc)) from None


class DecisionCodec(codecs.Codec):
    """bytes <-> decisions (`Decision` models on the way in)."""

    def _loads(self, s: bytes) -> Decision:
        return parse_decision(s)

    def _dumps(self, s: Any) -> bytes:
        if isinstance(s, Decision):
            return orjson.dumps(s.as_dict())
        return orjson.dumps(s)


def register() -> None:
    """Make the codecs known to Faust by name (idempotent; called by `build_app`)."""
    codecs.register(EVENT_CODEC, EventCodec())
    codecs.register(DECISION_CODEC, DecisionCodec())

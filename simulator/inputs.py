"""Input events the simulation makes itself, built without validation.

They are generated here, typed by the signatures below, so pydantic's validation (and
even `model_construct`, about 5 µs an event) would check nothing new; the models the
core receives are complete: every field present, `model_fields_set` as the given ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from routing.events import LeadDispositioned, LeadEngaged, LeadTouched, LeadUpserted, RepStatus
from simulator.work import Channel, Outcome

M = TypeVar("M", bound=BaseModel)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {}
_set = object.__setattr__


def at(t: float) -> datetime:
    """Epoch seconds as an aware datetime (UTC)."""
    return EPOCH + timedelta(seconds=t)


def _build(cls: type[M], given: dict[str, Any]) -> M:
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = {
            name: f.get_default() for name, f in cls.model_fields.items() if not f.is_required()
        }
    model = cls.__new__(cls)
    values = dict(defaults)
    values.update(given)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(given))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def upserted(event_id: str, t: float, lead_id: str, fields: dict[str, Any]) -> LeadUpserted:
    given = {"event_id": event_id, "type": "lead.upserted", "at": at(t), "lead_id": lead_id}
    given.update(fields)
    return _build(LeadUpserted, given)


def engaged(event_id: str, t: float, lead_id: str, activity: str) -> LeadEngaged:
    return _build(
        LeadEngaged,
        {
            "event_id": event_id,
            "type": "lead.engaged",
            "at": at(t),
            "lead_id": lead_id,
            "activity": activity,
        },
    )


def touched(
    event_id: str, t: float, lead_id: str, rep_id: str, channel: Channel, connected: bool
) -> LeadTouched:
    return _build(
        LeadTouched,
        {
            "event_id": event_id,
            "type": "lead.touched",
            "at": at(t),
            "lead_id": lead_id,
            "rep_id": rep_id,
            "channel": channel,
            "outcome": "connected" if connected else "no_answer",
        },
    )


def dispositioned(
    event_id: str, t: float, lead_id: str, rep_id: str, outcome: Outcome, reason: str
) -> LeadDispositioned:
    return _build(
        LeadDispositioned,
        {
            "event_id": event_id,
            "type": "lead.dispositioned",
            "at": at(t),
            "lead_id": lead_id,
            "rep_id": rep_id,
            "outcome": outcome,
            "reason": reason,
        },
    )


def absent(event_id: str, t: float, rep_id: str, until: float) -> RepStatus:
    return _build(
        RepStatus,
        {
            "event_id": event_id,
            "type": "rep.status",
            "at": at(t),
            "rep_id": rep_id,
            "status": "pto",
            "until": at(until),
        },
    )

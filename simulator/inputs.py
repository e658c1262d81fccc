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


def _event(cls: type[M], event_id: str, kind: str, t: float, **fields: Any) -> M:
    return _build(cls, {"event_id": event_id, "type": kind, "at": at(t), **fields})


def upserted(event_id: str, t: float, lead_id: str, fields: dict[str, Any]) -> LeadUpserted:
    return _event(LeadUpserted, event_id, "lead.upserted", t, lead_id=lead_id, **fields)


def engaged(event_id: str, t: float, lead_id: str, activity: str) -> LeadEngaged:
    return _event(LeadEngaged, event_id, "lead.engaged", t, lead_id=lead_id, activity=activity)


def touched(
    event_id: str, t: float, lead_id: str, rep_id: str, channel: Channel, connected: bool
) -> LeadTouched:
    outcome = "connected" if connected else "no_answer"
    return _event(
        LeadTouched,
        event_id,
        "lead.touched",
        t,
        lead_id=lead_id,
        rep_id=rep_id,
        channel=channel,
        outcome=outcome,
    )


def dispositioned(
    event_id: str, t: float, lead_id: str, rep_id: str, outcome: Outcome, reason: str
) -> LeadDispositioned:
    return _event(
        LeadDispositioned,
        event_id,
        "lead.dispositioned",
        t,
        lead_id=lead_id,
        rep_id=rep_id,
        outcome=outcome,
        reason=reason,
    )


def absent(event_id: str, t: float, rep_id: str, until: float) -> RepStatus:
    return _event(
        RepStatus, event_id, "rep.status", t, rep_id=rep_id, status="pto", until=at(until)
    )

"""Input events the simulation makes itself, built without validation.

They are generated here, typed by the signatures below, so pydantic's validation (and
even `model_construct`, about 5 µs an event) would check nothing new; the models the
core receives are complete: every field present, `model_fields_set` as the given ones.
Each builder writes its model's `__dict__` in one go (about 1 µs an event).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from routing.events import LeadDispositioned, LeadEngaged, LeadTouched, LeadUpserted, RepStatus
from simulator.work import Channel, Outcome

M = TypeVar("M", bound=BaseModel)
# BaseModel's slots, written through their descriptors (what object.__setattr__ would find).
_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
_set_dict, _set_fields, _set_extra, _set_private = (BaseModel.__dict__[n].__set__ for n in _SLOTS)
_fromtimestamp = datetime.fromtimestamp
_new = object.__new__
NAN = float("nan")
_TOUCHED = frozenset(("event_id", "type", "at", "lead_id", "rep_id", "channel", "outcome"))
_ENGAGED = frozenset(("event_id", "type", "at", "lead_id", "activity"))
_DISPOSITIONED = frozenset(("event_id", "type", "at", "lead_id", "rep_id", "outcome", "reason"))


def at(t: float) -> datetime:
    """Epoch seconds as an aware datetime (UTC); the same instant as EPOCH + timedelta."""
    return _fromtimestamp(t, UTC)


def _defaults(cls: type[BaseModel]) -> dict[str, Any]:
    return {name: f.get_default() for name, f in cls.model_fields.items() if not f.is_required()}


def _model(cls: type[M], values: dict[str, Any], given: Iterable[str]) -> M:
    model: M = _new(cls)  # what `cls.__new__(cls)` finds, without the look-up (~1.5k instr.)
    _set_dict(model, values)
    _set_fields(model, set(given))
    _set_extra(model, None)
    _set_private(model, None)
    return model


_UPSERTED = _defaults(LeadUpserted)
_DISPOSITION_DEFAULTS = _defaults(LeadDispositioned)
_STATUS_DEFAULTS = _defaults(RepStatus)


class Inputs:
    """Builds one replication's input events. Event ids are `s1`, `s2`, ... in the order
    built; the events of one instant share its datetime (made once: an arrival touched at
    once, a touch ending and the next starting). The three per-lead builders (`upserted`,
    `touched`, `dispositioned`) are written out in full: each is called once or more for
    every simulated lead, and a helper call costs as much as what it would share."""

    __slots__ = ("_at", "_seq", "_t")

    def __init__(self) -> None:
        self._seq = 0
        self._t = NAN
        self._at = at(0.0)

    def eid(self) -> str:
        self._seq += 1
        return f"s{self._seq}"

    def when(self, t: float) -> datetime:
        if t != self._t:
            self._t, self._at = t, _fromtimestamp(t, UTC)
        return self._at

    def upserted(self, t: float, lead_id: str, fields: dict[str, Any]) -> LeadUpserted:
        given = {"event_id": self.eid(), "type": "lead.upserted", "at": self.when(t)}
        given["lead_id"] = lead_id
        given.update(fields)
        values = dict(_UPSERTED)
        values.update(given)
        return _model(LeadUpserted, values, given)

    def engaged(self, t: float, lead_id: str, activity: str) -> LeadEngaged:
        values = {
            "event_id": self.eid(),
            "type": "lead.engaged",
            "at": self.when(t),
            "lead_id": lead_id,
            "activity": activity,
        }
        return _model(LeadEngaged, values, _ENGAGED)

    def touched(
        self, t: float, lead_id: str, rep_id: str, channel: Channel, connected: bool
    ) -> LeadTouched:
        self._seq += 1
        if t != self._t:
            self._t, self._at = t, _fromtimestamp(t, UTC)
        model = _new(LeadTouched)
        _set_dict(
            model,
            {
                "event_id": f"s{self._seq}",
                "type": "lead.touched",
                "at": self._at,
                "lead_id": lead_id,
                "rep_id": rep_id,
                "channel": channel,
                "outcome": "connected" if connected else "no_answer",
            },
        )
        _set_fields(model, set(_TOUCHED))
        _set_extra(model, None)
        _set_private(model, None)
        return model

    def dispositioned(
        self, t: float, lead_id: str, rep_id: str, outcome: Outcome, reason: str
    ) -> LeadDispositioned:
        self._seq += 1
        if t != self._t:
            self._t, self._at = t, _fromtimestamp(t, UTC)
        values = dict(_DISPOSITION_DEFAULTS)
        values["event_id"] = f"s{self._seq}"
        values["type"] = "lead.dispositioned"
        values["at"] = self._at
        values["lead_id"] = lead_id
        values["rep_id"] = rep_id
        values["outcome"] = outcome
        values["reason"] = reason
        model = _new(LeadDispositioned)
        _set_dict(model, values)
        _set_fields(model, set(_DISPOSITIONED))
        _set_extra(model, None)
        _set_private(model, None)
        return model

    def absent(self, t: float, rep_id: str, until: float) -> RepStatus:
        given = {
            "event_id": self.eid(),
            "type": "rep.status",
            "at": self.when(t),
            "rep_id": rep_id,
            "status": "pto",
            "until": at(until),
        }
        values = dict(_STATUS_DEFAULTS)
        values.update(given)
        return _model(RepStatus, values, given)

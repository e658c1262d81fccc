"""Input events the simulation makes itself, built without validation.

They are generated here, typed by the signatures below, so pydantic's validation (and
even `model_construct`, about 5 µs an event) would check nothing new; the models the
core receives are complete: every field present, `model_fields_set` as the given ones.
A model is made once per kind of event (a new one is about 3 µs) and refilled in place.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from routing.events import LeadDispositioned, LeadEngaged, LeadTouched, LeadUpserted, RepStatus
from routing.outputs import epoch
from simulator.work import Channel, Outcome

M = TypeVar("M", bound=BaseModel)
# BaseModel's slots, written through their descriptors (what object.__setattr__ would find).
_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
_set_dict, _set_fields, _set_extra, _set_private = (BaseModel.__dict__[n].__set__ for n in _SLOTS)
_fromtimestamp = datetime.fromtimestamp
_floor = math.floor
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
    once, a touch ending and the next starting).

    The per-lead builders (`upserted`, `engaged`, `touched`, `dispositioned`) return the
    same model object each time, its fields rewritten in place (a new model costs about
    five times as much as the event's handling in the driver): the core keeps nothing of
    an event it applied, neither the model nor its `__dict__` (tests/test_sim_inputs.py
    checks that), so the driver applies each event before it builds the next of its
    kind. An upsert's model is kept per set of fields given (its `model_fields_set`).

    `at_s` is the instant of the events last built as the core reads it: the epoch
    seconds of their `at` (a datetime, so to the microsecond): the simulated time
    itself when that is whole seconds (arrivals and work times are), else worked out
    from the datetime, once per instant. The driver hands it to `Engine.apply` with the
    event, which then need not read the datetime back."""

    __slots__ = ("_at", "_dispositioned", "_engaged", "_seq", "_t", "_touched", "_upserts", "at_s")

    def __init__(self) -> None:
        self._seq = 0
        self._t = NAN
        self._at = at(0.0)
        self.at_s = 0.0
        self._upserts: dict[tuple[str, ...], LeadUpserted] = {}
        self._engaged = _model(
            LeadEngaged,
            {"event_id": "", "type": "lead.engaged", "at": self._at, "lead_id": "", "activity": ""},
            _ENGAGED,
        )
        values = {"event_id": "", "type": "lead.touched", "at": self._at, "lead_id": ""}
        values.update(rep_id="", channel="call", outcome="no_answer")
        self._touched = _model(LeadTouched, values, _TOUCHED)
        values = dict(_DISPOSITION_DEFAULTS)
        values.update(event_id="", type="lead.dispositioned", at=self._at, lead_id="")
        values.update(rep_id="", outcome="accepted", reason="")
        self._dispositioned = _model(LeadDispositioned, values, _DISPOSITIONED)

    def eid(self) -> str:
        self._seq += 1
        return f"s{self._seq}"

    def when(self, t: float) -> datetime:
        if t != self._t:
            self._t, self._at = t, _fromtimestamp(t, UTC)
            self.at_s = t if t == _floor(t) else epoch(self._at)
        return self._at

    def upserted(self, t: float, lead_id: str, fields: dict[str, Any]) -> LeadUpserted:
        names = tuple(fields)
        model = self._upserts.get(names)
        if model is None:
            given = {"event_id": "", "type": "lead.upserted", "at": self._at, "lead_id": ""}
            given.update(fields)
            values = dict(_UPSERTED)
            values.update(given)
            model = self._upserts[names] = _model(LeadUpserted, values, given)
        self._refill(model, t, lead_id).update(fields)
        return model

    def engaged(self, t: float, lead_id: str, activity: str) -> LeadEngaged:
        model = self._engaged
        self._refill(model, t, lead_id)["activity"] = activity
        return model

    def touched(
        self, t: float, lead_id: str, rep_id: str, channel: Channel, connected: bool
    ) -> LeadTouched:
        model = self._touched
        values = self._refill(model, t, lead_id)
        values["rep_id"] = rep_id
        values["channel"] = channel
        values["outcome"] = "connected" if connected else "no_answer"
        return model

    def dispositioned(
        self, t: float, lead_id: str, rep_id: str, outcome: Outcome, reason: str
    ) -> LeadDispositioned:
        model = self._dispositioned
        values = self._refill(model, t, lead_id)
        values["rep_id"] = rep_id
        values["outcome"] = outcome
        values["reason"] = reason
        return model

    def _refill(self, model: BaseModel, t: float, lead_id: str) -> dict[str, Any]:
        """A lead's event model with its id, instant and lead rewritten; its fields."""
        values: dict[str, Any] = model.__dict__
        values["event_id"] = self.eid()
        values["at"] = self.when(t)
        values["lead_id"] = lead_id
        return values

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

"""What a stage's state is made of, for the state format (docs/state-format.md): the kinds
of state objects (by the stable names the format gives them), the few value types, what a
stage builds from the policy (never written: refs), and how an object's fields are read
and set, compiled (mypyc) or not. streams.state_tree writes and reads the tree.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from routing.briefings import DayStarts
from routing.calendar import WEEKDAYS, BusinessCalendar
from routing.commitment_specs import Spec
from routing.commitments import Commitments
from routing.dedupe import FirstCopy, SeenInputs
from routing.desk import LeadDesk
from routing.durations import Duration
from routing.engine import Engine
from routing.funnel import Funnel, _Mql
from routing.intent import IntentDetector
from routing.lead import Condition, Definitions, Lead, _Check
from routing.outputs import Emitter, TimeFormat
from routing.period_counts import PeriodCounts
from routing.periods import Periods
from routing.queue import OrderKey, PoolQueue
from routing.reps import RepState
from routing.router import PoolState, Router
from routing.scorecard import Row
from routing.sla import Point, SlaClock
from routing.strategies import LeastLoaded, RoundRobin, WeightedRoundRobin
from routing.surge import SurgeRule, SurgeState
from routing.tally import Tally
from routing.versions import Terms, Versions
from routing.windows import Window
from streams.errors import StreamsError


class StateFormatError(StreamsError):
    """A state cannot be written in, or read from, the state format."""


# The kinds of state objects, by the stable name the format gives them.
KINDS: dict[str, type[Any]] = {
    "Engine": Engine, "LeadDesk": LeadDesk, "Lead": Lead, "SlaClock": SlaClock,
    "RepState": RepState, "Router": Router, "PoolState": PoolState, "PoolQueue": PoolQueue,
    "SurgeState": SurgeState, "LeastLoaded": LeastLoaded, "RoundRobin": RoundRobin,
    "WeightedRoundRobin": WeightedRoundRobin, "Commitments": Commitments, "Week": PeriodCounts,
    "Funnel": Funnel, "Mql": _Mql, "Row": Row, "SeenInputs": SeenInputs,
    "DayStarts": DayStarts,
}  # fmt: skip
_PLAIN = frozenset({dt.date, dt.datetime, dt.time, dt.timedelta, dt.timezone})
# What a stage builds from the policy and team and never changes: written as refs. A class
# that is in neither list stops the writer (a new class must say which it is: one that
# holds state made from the policy would otherwise lose that state without a word).
POLICY_MADE: tuple[type[Any], ...] = (
    BaseModel, BusinessCalendar, ZoneInfo, Condition, _Check, Definitions, Point, Window,
    OrderKey, SurgeRule, IntentDetector, TimeFormat, Emitter, Periods, Spec, Duration,
    Versions, Terms,
)  # fmt: skip


def register(kind: str, cls: type[Any]) -> None:
    """A state class defined outside the core (the lead stage's `DeskHost`)."""
    KINDS[kind] = cls
    _KIND_OF[cls] = kind


_KIND_OF: dict[type[Any], str] = {cls: kind for kind, cls in KINDS.items()}


# --- values --------------------------------------------------------------------------
def _calendar_data(cal: BusinessCalendar) -> dict[str, Any]:
    """A calendar made at run time (a rep's own hours from a `rep.upserted`): what makes it."""
    week: tuple[tuple[tuple[int, int], ...], ...] = cal._week
    hours = {
        WEEKDAYS[i]: ["-".join(f"{m // 60:02d}:{m % 60:02d}" for m in span) for span in day]
        for i, day in enumerate(week)
        if day
    }
    return {"timezone": cal.timezone, "hours": hours, "holidays": sorted(cal.holidays)}


def _calendar(data: dict[str, Any]) -> BusinessCalendar:
    return BusinessCalendar(data["timezone"], data["hours"], data["holidays"])


def _first_copy(t: float, digest: int, where: str) -> FirstCopy:
    # Not `FirstCopy(...)`: compiled, a native class without allow_interpreted_subclasses
    # built from interpreted code does not run its __init__ (its attributes stay unset).
    copy: FirstCopy = FirstCopy.__new__(FirstCopy)
    set_fields(copy, {"t": t, "digest": digest, "where": where})
    return copy


# kind -> (type, data of an object, object of data)
VALUES: dict[str, tuple[type[Any], Callable[[Any], Any], Callable[[Any], Any]]] = {
    "Tally": (Tally, dict, Tally),
    "Counter": (Counter, dict, Counter),
    "ZoneInfo": (ZoneInfo, lambda z: z.key, ZoneInfo),
    "BusinessCalendar": (BusinessCalendar, _calendar_data, _calendar),
    # never changed once made, and many (one per input id of the window): one call each
    "FirstCopy": (FirstCopy, lambda c: (c.t, c.digest, c.where), lambda d: _first_copy(*d)),
}
_VALUE_OF = {cls: (kind, data) for kind, (cls, data, _) in VALUES.items()}


# --- fields of an object ---------------------------------------------------------------
@functools.cache
def _names(cls: type[Any]) -> tuple[str, ...]:
    """The attributes a class declares: compiled (mypyc), `__mypyc_attrs__`; in Python,
    its `__slots__` (with its bases'). Attributes in a `__dict__` come on top."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        declared = klass.__dict__.get("__mypyc_attrs__", ())
        slots = klass.__dict__.get("__slots__", ())
        for name in (*declared, *((slots,) if isinstance(slots, str) else slots)):
            if name not in ("__dict__", "__weakref__") and name not in names:
                names.append(name)
    return tuple(names)


_UNSET = object()


def fields(obj: Any) -> dict[str, Any]:
    """An object's attributes by name (those set), compiled or not."""
    cls = type(obj)
    native = _native(cls)
    if native is not None:
        got: dict[str, Any] = native[0](obj)
        return got
    out = {}
    for name in _names(cls):  # type: ignore[arg-type]  # a class is hashable
        value = getattr(obj, name, _UNSET)
        if value is not _UNSET:
            out[name] = value
    extra = getattr(obj, "__dict__", None)
    if extra:
        out.update(extra)
    return out


_NATIVE: dict[type[Any], tuple[Any, Any] | None] = {}


def _native(cls: type[Any]) -> tuple[Any, Any] | None:
    """A compiled (mypyc) class's own `__getstate__` and `__setstate__`: the attributes as a
    dict and back, in C (the same dict as `fields` reads; not for an interpreted
    subclass, which has a `__dict__` too)."""
    try:
        return _NATIVE[cls]
    except KeyError:
        own = cls.__dict__
        found = _NATIVE[cls] = (
            (own["__getstate__"], own["__setstate__"])
            if "__mypyc_attrs__" in own and "__getstate__" in own and "__setstate__" in own
            else None
        )
        return found


def set_fields(obj: Any, values: dict[str, Any]) -> None:
    """Set an object's attributes by name, compiled or not (`fields` read them)."""
    native = _native(type(obj))
    if native is not None:
        native[1](obj, values)
        return
    for name, value in values.items():
        object.__setattr__(obj, name, value)

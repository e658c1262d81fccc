"""Small builders for engine tests: a policy (the reference one with overrides), an inline
team, input events with automatic ids, and a driver that applies them and lets time pass.

Times are aware datetimes in America/New_York (the reference calendar's zone); the
outputs' `at`/`due` strings are compared with `ny(...)`, which formats the same way.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

import yaml

from routing.engine import Engine
from routing.events import InputEvent, parse_event_object
from routing.outputs import Output
from routing.policy.loader import LoadedPolicy, policy_from_dict
from routing.policy.team import Team
from tests.replaying import EXAMPLES

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
DELETE = object()  # an override value that removes the key


# --- time ---------------------------------------------------------------------------------
def at(y: int, mo: int, d: int, h: int = 9, mi: int = 0, s: int = 0, tz: ZoneInfo = NY) -> datetime:
    """An aware instant (New York unless `tz` is given)."""
    return datetime(y, mo, d, h, mi, s, tzinfo=tz)


def tue(h: int = 9, mi: int = 0, s: int = 0) -> datetime:
    """Tuesday 2026-01-06 (a plain working day after the agreement's effective date)."""
    return at(2026, 1, 6, h, mi, s)


def ny(moment: datetime) -> str:
    """An instant as the engine writes it: RFC 3339 with the New York offset."""
    return moment.astimezone(NY).isoformat(timespec="seconds")


# --- policy and team ----------------------------------------------------------------------
@cache
def _reference_text() -> str:
    return (EXAMPLES / "policy.yaml").read_text(encoding="utf-8")


def reference_policy() -> dict[str, Any]:
    """The parsed examples/policy.yaml (a fresh copy each call)."""
    raw: dict[str, Any] = yaml.safe_load(_reference_text())
    return raw


def merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `overrides` into a copy of `base`: mappings merge, anything else
    (lists included) replaces; `DELETE` removes the key."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is DELETE:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def rep(rep_id: str, *pools: str, **fields: Any) -> dict[str, Any]:
    """One roster entry, e.g. rep("a", "commercial", capacity={"max_open": 1})."""
    return {"id": rep_id, "pools": list(pools) or ["commercial"], **fields}


def team(*reps: Mapping[str, Any], team_leads: Mapping[str, Any] | None = None) -> Team:
    """An inline team. Reps without a team lead get `tl-1`; every team lead reports to mgr-1
    unless `team_leads` is given."""
    roster = [dict(r) for r in reps]
    leads = dict(team_leads) if team_leads is not None else {}
    if team_leads is None:
        for r in roster:
            r.setdefault("team_lead", "tl-1")
        leads = {r["team_lead"]: {"sales_manager": "mgr-1"} for r in roster}
    return Team.model_validate({"reps": roster, "team_leads": leads})


def policy(
    overrides: Mapping[str, Any] | None = None,
    reps: Iterable[Mapping[str, Any]] = (),
    team_leads: Mapping[str, Any] | None = None,
) -> LoadedPolicy:
    """The reference policy with `overrides` merged in, and an inline team of `reps`."""
    raw = merge(reference_policy(), overrides or {})
    raw.pop("team", None)
    return policy_from_dict(raw, team(*reps, team_leads=team_leads))


def engine(
    overrides: Mapping[str, Any] | None = None,
    reps: Iterable[Mapping[str, Any]] = (),
    team_leads: Mapping[str, Any] | None = None,
) -> Engine:
    return Engine(policy(overrides, reps, team_leads))


# --- events -------------------------------------------------------------------------------
COMPLETE = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "company": "Analytical Engines",
    "role": "cto",
    "source": "webinar",
}


class Events:
    """Builds validated input events with automatic, unique event ids (`e0001`, ...)."""

    def __init__(self, prefix: str = "e") -> None:
        self._ids = itertools.count(1)
        self.prefix = prefix

    def next_id(self) -> str:
        return f"{self.prefix}{next(self._ids):04d}"

    def make(
        self, kind: str, when: datetime, event_id: str | None = None, **fields: Any
    ) -> InputEvent:
        obj: dict[str, Any] = {
            "event_id": event_id or self.next_id(),
            "type": kind,
            "at": when.isoformat(),
        }
        for key, value in fields.items():
            obj[key] = value.isoformat() if isinstance(value, datetime) else value
        return parse_event_object(obj)

    def upsert(self, lead_id: str, when: datetime, **fields: Any) -> InputEvent:
        return self.make("lead.upserted", when, lead_id=lead_id, **fields)

    def engaged(
        self,
        lead_id: str,
        when: datetime,
        activity: str = "content_download",
        event_id: str | None = None,
    ) -> InputEvent:
        return self.make("lead.engaged", when, event_id, lead_id=lead_id, activity=activity)

    def touched(
        self,
        lead_id: str,
        when: datetime,
        rep_id: str,
        channel: str = "call",
        outcome: str = "no_answer",
        event_id: str | None = None,
    ) -> InputEvent:
        return self.make(
            "lead.touched",
            when,
            event_id,
            lead_id=lead_id,
            rep_id=rep_id,
            channel=channel,
            outcome=outcome,
        )

    def disposition(
        self, lead_id: str, when: datetime, rep_id: str, outcome: str = "accepted", **fields: Any
    ) -> InputEvent:
        if outcome == "accepted":
            fields.setdefault("reason", "accepted")
        return self.make(
            "lead.dispositioned", when, lead_id=lead_id, rep_id=rep_id, outcome=outcome, **fields
        )

    def status(self, rep_id: str, when: datetime, status: str, **fields: Any) -> InputEvent:
        return self.make("rep.status", when, rep_id=rep_id, status=status, **fields)

    def rep_upserted(
        self, rep_id: str, when: datetime, pools: list[str], **fields: Any
    ) -> InputEvent:
        return self.make("rep.upserted", when, rep_id=rep_id, pools=pools, **fields)

    def mql(
        self,
        lead_id: str,
        when: datetime,
        score: float = 70,
        fit: float = 80,
        segment: str | None = "smb",
        complete: bool = True,
        **fields: Any,
    ) -> list[InputEvent]:
        """A lead that becomes an MQL at `when`: an upsert, then one engagement."""
        given: dict[str, Any] = {**(COMPLETE if complete else {}), "score": score, "fit": fit}
        if segment is not None:
            given["segment"] = segment
        given.update(fields)
        return [self.upsert(lead_id, when, **given), self.engaged(lead_id, when)]


# --- driving ------------------------------------------------------------------------------
def run(
    engine: Engine,
    events: Iterable[InputEvent | Iterable[InputEvent]],
    until: datetime | None = None,
) -> list[Output]:
    """Apply `events` in the order given (lists are flattened), then let time pass up to
    `until` (or the last event's time); return every output in the order made."""
    out: list[Output] = []
    for item in events:
        if isinstance(item, list | tuple):
            batch = cast(list[InputEvent], list(item))
        else:
            batch = [cast(InputEvent, item)]
        for event in batch:
            out.extend(engine.apply(event))
    end = until.timestamp() if until is not None else engine.now
    if end != float("-inf"):
        out.extend(engine.advance(end))
    return out


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)


def of(outputs: list[Output], kind: str, **match: Any) -> list[Output]:
    """Outputs of one type whose fields equal `match`."""
    return [
        o for o in outputs if o["type"] == kind and all(o.get(k) == v for k, v in match.items())
    ]


def one(outputs: list[Output], kind: str, **match: Any) -> Output:
    found = of(outputs, kind, **match)
    assert len(found) == 1, f"expected one {kind} {match}, found {len(found)}: {found}"
    return found[0]


def owners(outputs: list[Output]) -> dict[str, str]:
    """Lead id -> the rep it was (last) assigned or reassigned to."""
    got: dict[str, str] = {}
    for o in outputs:
        if o["type"] in ("lead.assigned", "lead.reassigned"):
            got[o["lead_id"]] = o["rep_id"]
    return got


def assigned_to(outputs: list[Output]) -> list[str]:
    """The rep of each `lead.assigned`, in order."""
    return [o["rep_id"] for o in outputs if o["type"] == "lead.assigned"]

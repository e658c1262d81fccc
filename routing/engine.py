"""The engine: one event and one instant in, decisions out. Pure and deterministic.

Drivers (offline replay, the Kafka worker, the simulator) call `apply(event)` for each
input and `advance(now)` as time passes; `next_deadline()` says when to call back. Time
is always an argument: the engine never reads a clock.

Events are applied at their own time. Before an event at t, every timer due before t
fires; timers due at exactly t fire after the events at t (a touch at the due instant
meets the window). The high-water mark of event time is `now`.
"""

from __future__ import annotations

import heapq
from collections import Counter
from datetime import datetime, time
from typing import Any, Final, cast

from mypy_extensions import mypyc_attr
from pydantic import ValidationError

from routing.commitments import Commitments
from routing.dedupe import CONFLICT, DEDUPE_WINDOW_S, NO_DIGEST, content_digest
from routing.desk import DEFER, LeadDesk, UndocumentedRejection
from routing.errors import EventError
from routing.events import InputEvent, RepStatus, RepUpserted, explain, raw_text
from routing.lead import Lead
from routing.lifecycle import Lifecycle
from routing.outputs import Emitter, Output, TextlessEmitter, TimeFormat, Untimed, epoch
from routing.plausible import ahead_reason
from routing.policy.loader import LoadedPolicy
from routing.policy.team import Rep
from routing.reps import build_rep
from routing.router import Router
from routing.sink import DeskSink
from routing.sla import SlaClock
from routing.tally import Tally

NEG_INF: Final = float("-inf")
INF: Final = float("inf")
# Compiled (mypyc), a module's attribute is a lookup at each use, a Final name a C static.
heappush: Final = heapq.heappush
heappop: Final = heapq.heappop


def conflict_reason(event_id: str, first: str) -> str:
    """Why an input whose id was seen with other content is refused."""
    where = f"first read at {first}" if first else "first read earlier"
    return (
        f"event_id {event_id!r} was seen before with different content ({where}); "
        "an id names one event: send a changed event under a new id"
    )


def _rep_spec(raw: dict[str, Any]) -> Rep:
    try:
        return Rep.model_validate(raw)
    except ValidationError as exc:
        raise EventError(explain(exc)) from None


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Engine(Lifecycle):
    """The routing core: the lead desk (routing.desk) in front of the pool side
    (routing.lifecycle), one timer heap for both. See the module docstring for the time
    model."""

    def __init__(
        self, loaded: LoadedPolicy, dedupe_window_s: float = DEDUPE_WINDOW_S, texts: bool = True
    ) -> None:
        """`texts=False`: decisions without their text, for a driver that reads only what
        was decided (the simulator): the same decisions, fields and order, with
        `event_id`, the times written into them and `why` left empty."""
        policy = loaded.policy
        self.policy = policy
        self.team = loaded.team
        self.cal = policy.calendar.build()
        self.fmt = TimeFormat(self.cal.tz)
        self.em = Emitter(self.fmt) if texts else TextlessEmitter(Untimed(self.cal.tz))
        self.commitments = Commitments(policy, self.cal)
        effective = datetime.combine(policy.agreement.effective, time(0), self.cal.tz)
        self.effective_at = effective.timestamp()
        reps = [
            build_rep(rep, i, policy.routing.capacity, self.cal)
            for i, rep in enumerate(loaded.team.reps)
        ]
        self.router = Router(policy, reps)
        self.router.explain = texts
        self.managers = {k: v.sales_manager for k, v in loaded.team.team_leads.items()}
        self.desk = LeadDesk(
            policy, self.fmt, self, dedupe_window_s, (r.id for r in loaded.team.reps)
        )
        self.leads: dict[str, Lead] = self.desk.leads  # one record per lead, the desk's
        self.now = NEG_INF
        self._timers: list[tuple[float, int, str, Any, int]] = []
        self._tseq = 0
        self.positions: dict[str, int] = {}  # input log -> highest offset applied (open_input)
        self.stats: Counter[str] = Tally()  # a Counter; `+= 1` at a dict's cost
        self.max_ahead_s: float = policy.inputs.max_ahead.seconds  # routing.plausible
        self._observed = False  # the commitments have seen the first instant
        self._conflict = False  # open_input met an id seen with other content
        self.setup_lifecycle()

    def release(self) -> None:
        """Break the one reference cycle the core makes (the engine is its own desk's sink,
        routing.collector), so that reference counting frees a dropped engine at once.
        For drivers that make many engines (the simulator's replications). The engine
        cannot be used after."""
        self.desk.sink = DeskSink()

    # --- driving ----------------------------------------------------------------------
    def apply(
        self,
        event: InputEvent,
        source: str = "",
        raw: str | bytes | None = None,
        t: float | None = None,
    ) -> list[Output]:
        """Apply one validated input event; return the decisions it (and time) caused.
        `t`: the event's `at` in epoch seconds, when the caller has it already (the
        simulator, which made the event; a replay, which compared it with `--until`);
        it must be `epoch(event.at)`."""
        # The fields, read from the model's __dict__ at once: each attribute of a pydantic
        # model is a Python lookup (~0.1-0.2 us), a dict item is not.
        values: dict[str, Any] = event.__dict__
        if t is None:
            t = epoch(values["at"])
        cause: str = values["event_id"]
        if t - self.now > self.max_ahead_s and self.now != NEG_INF:  # routing.plausible
            text = raw_text(raw) if raw is not None else event.model_dump_json()
            why = ahead_reason(t, self.now, self.max_ahead_s, self.fmt.text)
            self.stats["implausible"] += 1  # also counted as refused
            self.refused(self.now, cause, source, values.get("lead_id"), text, why)
            return self.em.take()
        digest = content_digest(raw) if raw is not None else NO_DIGEST
        if not self.open_input(cause, t, digest=digest, where=source):
            if self._conflict:
                self._conflict = False
                first = self.desk.seen.first_read(cause)
                text = raw_text(raw) if raw is not None else event.model_dump_json()
                self.refused(
                    t, cause, source, values.get("lead_id"), text, conflict_reason(cause, first)
                )
            return self.em.take()
        try:
            self.desk.dispatch(event, values, t, cause)
        except EventError as exc:
            lead_id: str | None = values.get("lead_id")
            text = raw_text(raw) if raw is not None else event.model_dump_json()
            self.refused(t, cause, source, lead_id, text, str(exc))
            if isinstance(exc, UndocumentedRejection):
                self.rejection_undocumented(lead_id, t, cause)
        else:
            self.stats["applied"] += 1
        return self.close_input(t)

    def open_input(
        self, input_id: str, t: float, log: str = "", offset: int = -1,
        digest: int = NO_DIGEST, where: str = "",
    ) -> bool:  # fmt: skip
        """The pool side driven from elsewhere (the worker's pool stage, reading what the
        lead desk decided: streams.desk_records): before the sink calls of input
        `input_id` at t. False when that input was applied already (skip its calls).
        Then `close_input(t)` gives the decisions. `apply` is the same around the desk.

        `log`, `offset`: where the input was read, when it comes from a log read in
        order (a partition of the worker's input): an offset at or below the highest one
        applied from that log is a repeat, however old (ids are remembered for a window
        of event time only, and a lead stage may send again from far behind).

        `digest`, `where`: the input's `content_digest` and where it was read, when the
        caller has its content (`apply`): a repeat of its id with other content is a
        conflict, not a duplicate (False, with `_conflict` set for the caller)."""
        self._fire_until(t, inclusive=False)
        if log:
            if offset <= self.positions.get(log, -1):
                self.stats["duplicate"] += 1
                return False
            self.positions[log] = offset
        seen = self.desk.seen.check(input_id, t, self.now, digest, where)
        if seen:
            if seen == CONFLICT:
                self._conflict = True
            else:
                self.stats["duplicate"] += 1
            return False
        if t > self.now:
            self.now = t
        if not self._observed:
            self._observed = True
            self.commitments.observe(t)
        return True

    def close_input(self, t: float) -> list[Output]:
        if t < self.now:  # a late input: its own timers may already be due
            self._fire_until(self.now, inclusive=False)
        return self.em.take()

    def refused(
        self, t: float, cause: str, source: str, lead_id: str | None, raw: str, reason: str
    ) -> None:
        self.stats["refused"] += 1
        about = {"lead_id": lead_id} if lead_id is not None else {}
        self.em.emit(
            "event.rejected", t, source or cause, cause, **about, raw=raw, source=source,
            reason=reason,
        )  # fmt: skip

    def reject(self, raw: str, source: str, reason: str) -> list[Output]:
        """An input that could not be parsed at all: say so, at the current event time."""
        self.stats["rejected"] += 1
        at = self.now if self.now != NEG_INF else 0.0
        self.em.emit("event.rejected", at, source, "input", raw=raw, source=source, reason=reason)
        return self.em.take()

    def advance(self, now: float) -> list[Output]:
        """Let time pass up to and including `now`: fire every timer due by then."""
        if now > self.now:
            self.now = now
        self._fire_until(now, inclusive=True)
        return self.em.take()

    def next_deadline(self) -> float | None:
        """The earliest instant at which `advance` would decide something."""
        self._drop_stale()
        nxt = self._timers[0][0] if self._timers else None
        periods = self.commitments.next_deadline()
        if periods is not None and (nxt is None or periods < nxt):
            nxt = periods
        return nxt

    @property
    def timers_pending(self) -> int:
        """Timers scheduled and not yet fired (for monitoring; some may be superseded)."""
        return len(self._timers)

    # --- timers -----------------------------------------------------------------------
    def schedule(self, at: float, kind: str, subject: Any, version: int) -> None:
        self._tseq += 1
        heappush(self._timers, (at, self._tseq, kind, subject, version))

    def _drop_stale(self) -> None:
        timers = self._timers
        while timers:
            _, _, kind, subject, version = timers[0]  # compiled: the entry unpacked once
            if self.timer_live(kind, subject, version):
                return
            heappop(timers)

    def _fire_until(self, limit: float, inclusive: bool) -> None:
        timers = self._timers
        commitments = self.commitments
        periods = commitments.next_deadline()  # only `commitments.advance` moves it
        while True:
            top = timers[0][0] if timers else INF
            if periods is not None and periods < top:
                if periods < limit or (inclusive and periods == limit):
                    commitments.advance(periods, self.em)
                    periods = commitments.next_deadline()
                    continue
                return
            if top > limit or (top == limit and not inclusive):
                return
            at, _, kind, subject, version = heappop(timers)
            if kind == "sla":  # most timers: a clock's next point, live while unchanged
                clock = cast(SlaClock, subject)  # compiled: its attributes read natively
                if clock.version == version:
                    self.fire_clock(self.leads[clock.lead_id], clock, at)
            elif self.timer_live(kind, subject, version):
                self.fire(at, kind, subject, version)

    def timer_live(self, kind: str, subject: Any, version: int) -> bool:
        if kind == DEFER:
            return self.desk.timer_live(subject, version)
        return super().timer_live(kind, subject, version)

    def fire(self, at: float, kind: str, subject: Any, version: int) -> None:
        if kind == DEFER:
            self.desk.fire(at, subject)
        else:
            super().fire(at, kind, subject, version)

    # --- rep events (the lead desk passes them on) -------------------------------------
    def rep_event(self, event: InputEvent, t: float, cause: str) -> None:
        kind = event.type  # not isinstance: a Python call through pydantic's metaclass
        if kind == "rep.status":
            self._rep_status(cast(RepStatus, event), t, cause)
        elif kind == "rep.upserted":
            self._rep_upserted(cast(RepUpserted, event), t, cause)

    def _rep_status(self, event: RepStatus, t: float, cause: str) -> None:
        rep = self.router.reps.get(event.rep_id)
        if rep is None:
            raise EventError(f"unknown rep {event.rep_id!r}; add it with rep.upserted first")
        self.set_status(rep, event.status, t, cause)
        if event.until is not None and event.status != "available":
            self.schedule(event.until.timestamp(), "status", rep, rep.status_version)

    def _rep_upserted(self, event: RepUpserted, t: float, cause: str) -> None:
        # Its pools were checked by the lead desk (LeadDesk._rep_upserted).
        old = self.router.reps.get(event.rep_id)
        spec = _rep_spec(
            {
                "id": event.rep_id,
                "pools": event.pools,
                "team_lead": event.team_lead
                if event.team_lead is not None
                else (old.team_lead if old is not None else None),
                "weight": event.weight
                if event.weight is not None
                else (old.weight if old is not None else 1.0),
                "capacity": event.capacity.model_dump() if event.capacity else {},
                "hours": event.hours.model_dump() if event.hours else None,
            }
        )
        order = old.order if old is not None else len(self.router.reps) + 1_000_000
        fresh = build_rep(spec, order, self.policy.routing.capacity, self.cal)
        if old is None:
            self.router.add_rep(fresh)
        else:
            self.router.update_rep(
                old, fresh, capacity=event.capacity is not None, hours=event.hours is not None
            )
        self._notify_cache.clear()  # team leads or pools may have changed
        self.drain(t, cause)


__all__ = ["DEDUPE_WINDOW_S", "Engine", "conflict_reason"]

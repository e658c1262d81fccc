"""The lead stage's state on one input partition: a lead desk (routing.desk) and its
deferral timers, whose decisions go to the pool stage as desk records.

Each valid input gives one routing record, in input order: a rep event as itself
(`streams.records.event_record`: the pool side's own), anything else as the desk record
of the sink calls it caused (streams.desk_records), possibly none. Input that is not an
event gives an `Invalid` (the worker dead-letters it). A deferral that comes due gives a
desk record named by its cause (`<lead>#<cycle>@defer`).

State, snapshots and recovery are `streams.stage_state`'s: after a restart the desk is
rebuilt from its snapshot and the partition's input after it; records published again
carry the same ids, and the pool side drops them (`Engine.open_input`).
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from typing import Any

from routing.dedupe import CONFLICT, content_digest
from routing.desk import LeadDesk, UndocumentedRejection
from routing.engine import conflict_reason
from routing.errors import EventError
from routing.events import InputEvent, parse_event, raw_text
from routing.funnel import FUNNEL_FIELDS
from routing.lead import Lead
from routing.order import FIRST, OrderKey
from routing.outputs import TimeFormat, epoch
from routing.policy.loader import LoadedPolicy
from routing.queue import ROUTING_FIELDS
from routing.sink import DeskSink
from routing.versions import build_versions
from streams import desk_records, state_tree
from streams.ahead import Rule, record_seconds
from streams.records import event_record
from streams.stage_state import StageState

NEG_INF = float("-inf")
TIMER = "\uffff"  # a timer fired at t: after the inputs at t (they go first, as in replay)
Scheduled = tuple[float, str, int]
_MQL_FIELDS = tuple(dict.fromkeys((*ROUTING_FIELDS, *FUNNEL_FIELDS)))


@dataclass(frozen=True, slots=True)
class Invalid:
    """An input that is not an event (it goes to the dead-letter topic)."""

    reason: str


def _routing(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: fields[name] for name in ROUTING_FIELDS if name in fields}


def _at_mql(fields: dict[str, Any]) -> dict[str, Any]:
    """What the pool side reads of a new MQL: the routing fields and the funnel's."""
    return {name: fields[name] for name in _MQL_FIELDS if name in fields}


class DeskHost(DeskSink):
    """A lead desk whose sink records the calls, and the desk's timers."""

    def __init__(self, loaded: LoadedPolicy) -> None:
        policy = loaded.policy
        self.desk = LeadDesk(
            policy, TimeFormat(policy.calendar.build().tz), self,
            team=(r.id for r in loaded.team.reps), versions=build_versions(loaded),
        )  # fmt: skip
        self.now = NEG_INF
        # (due, when it was scheduled, lead, version). "When": the event-time order key of
        # the input (or timer) that scheduled it, then a counter: deferrals due at the same
        # instant on several desks fire in the order one desk (`leadflow replay`) would.
        self.timers: list[tuple[float, Scheduled, Lead, int]] = []
        self.seq = 0
        self.cause: OrderKey = FIRST  # of the input or timer being applied
        self.calls: list[list[Any]] = []
        self.rep = False  # the input was a rep event (forwarded as it is)
        self.stats: Counter[str] = Counter()

    # Pickled by hand: the compiled base class pickles only its own (native) attributes.
    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "cause" not in state:  # an older worker's snapshot: timers ordered by a counter
            self.cause = FIRST
            old: list[tuple[float, Any, Lead, int]] = self.timers
            self.timers = [(at, (*FIRST, int(n)), lead, v) for at, n, lead, v in old]

    # --- the sink: record each call -----------------------------------------------------
    def mql(
        self, lead_id: str, t: float, cause: str, cycle: int, tier_index: int, tier: str,
        pool: str | None, missing: list[str], fields: dict[str, Any],
    ) -> None:  # fmt: skip
        self.calls.append(
            ["mql", lead_id, t, cause, cycle, tier_index, tier, pool, missing, _at_mql(fields)]
        )

    def disqualified(self, lead_id: str, t: float, cause: str, reason: str, was_open: bool) -> None:
        self.calls.append(["disqualified", lead_id, t, cause, reason, was_open])

    def touched(
        self, lead_id: str, t: float, cause: str, first: bool, cadence_done: bool,
        rep_id: str | None = None,
    ) -> None:  # fmt: skip
        self.calls.append(["touched", lead_id, t, cause, first, cadence_done, rep_id])

    def dispositioned(
        self, lead_id: str, t: float, cause: str, outcome: str, reason: str | None,
        rep_id: str | None = None,
    ) -> None:  # fmt: skip
        self.calls.append(["dispositioned", lead_id, t, cause, outcome, reason, rep_id])

    def rejection_undocumented(self, lead_id: str | None, t: float, cause: str) -> None:
        self.calls.append(["rejection_undocumented", lead_id, t, cause])

    def stage_changed(
        self, lead_id: str, t: float, cause: str, stage: str, amount: float | None,
        currency: str | None,
    ) -> None:  # fmt: skip
        self.calls.append(["stage_changed", lead_id, t, cause, stage, amount, currency])

    def intent(self, lead_id: str, t: float, cause: str, signals: dict[str, int]) -> None:
        self.calls.append(["intent", lead_id, t, cause, signals])

    def fields_changed(self, lead_id: str, fields: dict[str, Any]) -> None:
        self.calls.append(["fields_changed", lead_id, _routing(fields)])

    def refused(
        self, t: float, cause: str, source: str, lead_id: str | None, raw: str, reason: str
    ) -> None:
        self.calls.append(["refused", t, cause, source, lead_id, raw, reason])

    def rep_event(self, event: InputEvent, t: float, cause: str) -> None:
        self.rep = True

    def schedule(self, at: float, kind: str, subject: Any, version: int) -> None:
        self.seq += 1
        cause_at, cause_id = self.cause
        heapq.heappush(self.timers, (at, (cause_at, cause_id, self.seq), subject, version))

    # --- driving ------------------------------------------------------------------------
    def apply(self, event: InputEvent, source: str, raw: bytes) -> list[bytes]:
        """Apply one valid input at its own time; return the routing records it (and the
        desk's timers due before it) gave."""
        values: dict[str, Any] = event.__dict__
        t = epoch(values["at"])
        cause: str = values["event_id"]
        out = self._fire_until(t, inclusive=False)
        self.cause = (t, cause)
        seen = self.desk.seen.check(cause, t, self.now, content_digest(raw), source)
        if seen == CONFLICT:
            # Refused under an id of its own (the pool side has seen the event's id):
            # the same `event.rejected` as `Engine.apply` makes.
            self.stats["refused"] += 1
            reason = conflict_reason(cause, self.desk.seen.first_read(cause))
            refused = ["refused", t, cause, source, values.get("lead_id"), raw_text(raw), reason]
            out.append(desk_records.encode(f"{cause}@{source}", t, source, [refused]))
            return out
        if seen:
            # Still forwarded, without calls: the pool side counts it (every input is
            # accounted for there) and its time goes on as it would.
            self.stats["duplicate"] += 1
            out.append(desk_records.encode(cause, t, source, []))
            return out
        self.now = max(self.now, t)
        self.calls, self.rep = [], False
        try:
            self.desk.dispatch(event, values, t, cause)
        except EventError as exc:
            self.stats["refused"] += 1
            self.calls = []
            lead_id = values.get("lead_id")
            self.refused(t, cause, source, lead_id, raw_text(raw), str(exc))
            if isinstance(exc, UndocumentedRejection):
                self.rejection_undocumented(lead_id, t, cause)
        else:
            self.stats["applied"] += 1
        if self.rep:
            out.append(event_record(source, raw))
        else:
            out.append(desk_records.encode(cause, t, source, self.calls))
        self.calls = []
        if t < self.now:  # a late event: a deferral may be due already
            out += self._fire_until(self.now, inclusive=False)
        return out

    def advance(self, now: float) -> list[bytes]:
        """Let time pass up to `now`: the records of the deferrals due by then."""
        self.now = max(self.now, now)
        return self._fire_until(now, inclusive=True)

    def next_timer(self) -> tuple[float, Scheduled] | None:
        """(due, when scheduled) of the earliest live timer."""
        return self.timers[0][:2] if self.next_deadline() is not None else None

    def next_deadline(self) -> float | None:
        timers = self.timers
        while timers and not self.desk.timer_live(timers[0][2], timers[0][3]):
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def fire_next(self) -> bytes | None:
        """Fire the earliest live timer (due at `next_deadline()`): its routing record."""
        if self.next_deadline() is None:
            return None
        at, _, lead, _ = heapq.heappop(self.timers)
        self.calls = []
        self.cause = (at, TIMER)
        cause = self.desk.fire(at, lead)
        record = desk_records.encode(cause, at, "", self.calls)
        self.calls = []
        return record

    def _fire_until(self, limit: float, inclusive: bool) -> list[bytes]:
        out: list[bytes] = []
        timers = self.timers
        while timers and (timers[0][0] < limit or (inclusive and timers[0][0] == limit)):
            at, _, lead, version = heapq.heappop(timers)
            self.cause = (at, TIMER)
            if self.desk.timer_live(lead, version):
                self.calls = []
                cause = self.desk.fire(at, lead)
                out.append(desk_records.encode(cause, at, "", self.calls))
                self.calls = []
        return out


state_tree.register("DeskHost", DeskHost)  # a kind of the state format (docs/state-format.md)


class LeadStage(StageState[DeskHost]):
    """State of the lead stage on one input partition (of topic `topic`)."""

    kind = DeskHost

    def __init__(
        self, loaded: LoadedPolicy, topic: str, partition: int, ahead: Rule | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(loaded, **kwargs)
        self.prefix = f"{topic}:{partition}:"
        self.ahead = ahead  # the implausible-time rule (streams.ahead)

    def fresh(self) -> DeskHost:
        return DeskHost(self.loaded)

    def step(
        self, state: DeskHost, offset: int, record: bytes, timestamp_ms: int | None = None
    ) -> list[bytes | Invalid]:
        return self.step_parsed(state, offset, parse(record), record, timestamp_ms)

    def step_parsed(
        self, state: DeskHost, offset: int, parsed: InputEvent | Invalid, record: bytes,
        timestamp_ms: int | None = None,
    ) -> list[bytes | Invalid]:  # fmt: skip
        """`timestamp_ms`: the Kafka record's (the wall-clock implausible-time check reads
        it: the same answer when the record is read again after a restart)."""
        if isinstance(parsed, Invalid):
            return [parsed]
        if self.ahead is not None:
            why = self.ahead(state.now, record_seconds(timestamp_ms), epoch(parsed.at))
            if why is not None:
                return [Invalid(why)]
        return [*state.apply(parsed, self.prefix + str(offset), record)]

    def apply_parsed(
        self, offset: int, parsed: InputEvent | Invalid, record: bytes, timestamp_ms: int | None
    ) -> list[bytes | Invalid]:
        """`apply`, for an input parsed already (the lead stage's merge parses first)."""
        if offset <= self.offset:
            return []
        self.offset = offset
        return self.step_parsed(self.loaded_state, offset, parsed, record, timestamp_ms)


def parse(record: bytes) -> InputEvent | Invalid:
    """The event a message holds, or why it is not one."""
    try:
        if not record:
            raise EventError("empty message: no value")
        return parse_event(record)
    except EventError as exc:
        return Invalid(str(exc))

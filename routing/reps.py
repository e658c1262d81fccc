"""Reps as the router sees them: status, working hours, and the capacity ledger.

Capacity is two counters per rep: `open` (assigned, not yet dispositioned) against
`max_open`, and `new_today` (assignments on the rep's local business day) against
`max_new_per_day`. A surge may raise the limits of its pool's reps; nothing else may.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from mypy_extensions import mypyc_attr

from routing.calendar import BusinessCalendar
from routing.policy.models import Capacity, RoutingCapacity
from routing.policy.team import Rep

ACCEPTING: Final = "available"
# How long a rep's daily assignment counts are kept: a late event (a backlog read from
# several partitions can be weeks behind) still counts against its own day within this.
KEEP_DAYS: Final = 92
INF: Final = float("inf")


@mypyc_attr(serializable=True)
@dataclass(slots=True)
class RepState:
    id: str
    order: int  # roster position: the deterministic tie-break everywhere
    pools: tuple[str, ...]
    weight: float
    max_open: int
    max_new_per_day: int
    team_lead: str | None
    calendar: BusinessCalendar
    status: str = ACCEPTING
    status_version: int = 0
    open: set[str] = field(default_factory=set)
    shift_open: bool = False
    shift_from: float = float("inf")  # `shift_open` holds on [shift_from, shift_until)
    shift_until: float = float("-inf")
    day_from: float = float("inf")  # the cached local day is [day_from, day_end)
    day_end: float = float("-inf")
    new_by_day: dict[float, int] = field(default_factory=dict)  # keyed by the day's end
    last_assigned: int = 0  # sequence number of the last assignment (longest idle wins ties)

    def on_shift(self, t: float) -> bool:
        """Inside the rep's working hours at t (cached until the next change)."""
        if not self.shift_from <= t < self.shift_until:
            self.shift_open, self.shift_until = self.calendar.state_until(t)
            self.shift_from = t
        return self.shift_open

    def _day(self, t: float) -> float:
        if self.day_from <= t < self.day_end:
            return self.day_end
        end = self.calendar.next_local_midnight(t)
        if end == self.day_end:
            self.day_from = min(self.day_from, t)
        else:
            self.day_from, self.day_end = t, end
            if len(self.new_by_day) > KEEP_DAYS + 30:  # now and then, forget old days
                horizon = max(self.new_by_day) - KEEP_DAYS * 86400.0
                for old in [d for d in self.new_by_day if d < horizon]:
                    del self.new_by_day[old]
        return end

    def new_on(self, t: float) -> int:
        """Assignments so far on the rep's local day containing t."""
        return self.new_by_day.get(self._day(t), 0)

    def count_new(self, t: float) -> None:
        day = self._day(t)
        self.new_by_day[day] = self.new_by_day.get(day, 0) + 1

    def limits(self, surge: Capacity | None) -> tuple[int, int]:
        if surge is None:
            return self.max_open, self.max_new_per_day
        return (
            max(self.max_open, surge.max_open or 0),
            max(self.max_new_per_day, surge.max_new_per_day or 0),
        )

    def blocked(self, t: float, surge: Capacity | None) -> tuple[str, float] | None:
        """Why this rep cannot take a new lead at t and when that may change by itself
        (inf: only an event can change it), or None if the rep can take one."""
        if self.status != ACCEPTING:
            return self.status, INF
        if not (self.shift_open if self.shift_from <= t < self.shift_until else self.on_shift(t)):
            return "off shift", self.shift_until
        if surge is None:
            max_open, max_new = self.max_open, self.max_new_per_day
        else:
            max_open, max_new = self.limits(surge)
        if len(self.open) >= max_open:
            return _limit_reason(_AT_MAX_OPEN, "max_open", max_open), INF
        day = self.day_end if self.day_from <= t < self.day_end else self._day(t)
        if self.new_by_day.get(day, 0) >= max_new:
            return _limit_reason(_AT_MAX_NEW, "max_new_per_day", max_new), self.day_end
        return None

    def load(self, t: float, surge: Capacity | None) -> str:
        max_open, max_new = self.limits(surge)
        return f"open {len(self.open)}/{max_open}, today {self.new_on(t)}/{max_new}"


# "at max_open 1", made once per limit: a full pool is scanned rep by rep, often.
_AT_MAX_OPEN: Final[dict[int, str]] = {}
_AT_MAX_NEW: Final[dict[int, str]] = {}


def _limit_reason(made: dict[int, str], name: str, limit: int) -> str:
    reason = made.get(limit)
    if reason is None:
        if len(made) > 256:
            made.clear()
        reason = made[limit] = f"at {name} {limit}"
    return reason


def build_rep(
    rep: Rep, order: int, default: RoutingCapacity, policy_calendar: BusinessCalendar
) -> RepState:
    calendar = policy_calendar
    if rep.hours is not None:
        calendar = BusinessCalendar(
            rep.hours.timezone or policy_calendar.timezone,
            rep.hours.days(),
            policy_calendar.holidays,
        )
    return RepState(
        id=rep.id,
        order=order,
        pools=tuple(rep.pools),
        weight=rep.weight,
        max_open=rep.capacity.max_open or default.max_open,
        max_new_per_day=rep.capacity.max_new_per_day or default.max_new_per_day,
        team_lead=rep.team_lead,
        calendar=calendar,
    )

"""The daily digest's timer: the engine emits `digest.due` at each rep's working-day start.

When the policy's `notifications.digest` is set, the engine (routing/engine.py) holds one
`DayStarts` and one timer of kind `DAY_START` in its heap: the next instant at which any
rep's working day begins in that rep's own calendar (`routing.digest.day_starts`). When it
fires, the digests of every rep whose day starts then are computed from the engine's
state (`routing.digest.digest`) and emitted with the other decisions; then the next day
start is scheduled. So `leadflow replay`, the simulator and the worker make the same
digest records, with the same `event_id`s (`digest:<person>:<local date>`).

A day start is a timer like the others: one at the instant of an input fires after the
inputs at that instant. The first is the first day start at or after the first input;
a `rep.upserted` (a new rep, or new hours) reschedules from where the timer had got to,
so no day start is digested twice. Without `notifications.digest` the engine has no
`DayStarts` and schedules nothing (its decisions are byte-identical to before).

Pure: time is an argument; not compiled (it runs once per day start, not per event).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from routing.calendar import BusinessCalendar
from routing.digest import day_starts, digest
from routing.policy.models import Policy
from routing.policy.notifications import Digest

if TYPE_CHECKING:
    from routing.engine import Engine

__all__ = ["DAY_START", "DayStarts", "day_starts_for", "with_digests"]

DAY_START: Final = "day_start"
#: How far ahead a rep's next working-day start is looked for (a calendar with a longer
#: run of days off, e.g. a two-week holiday, is looked at again from the end of that run).
LOOKAHEAD_S: Final = 14 * 86400.0


def day_starts_for(policy: Policy) -> DayStarts | None:
    """The digest timer's state for `policy`, or None when it asks for no digest."""
    n = policy.notifications
    if n is None or n.digest is None:
        return None
    return DayStarts(n.digest)


def _next_start(cal: BusinessCalendar, after: float) -> float | None:
    """The first working-day start of `cal` strictly after `after`, or None within the
    look-ahead."""
    return next(day_starts(cal, after, after + LOOKAHEAD_S), None)


class DayStarts:
    """The digest timer of one engine: its version (a timer is live while it matches),
    the instant up to which day starts are done, and counts of what it emitted."""

    def __init__(self, config: Digest) -> None:
        self.config = config
        self.version = 0
        self.done = -math.inf  # every day start at or before this is digested
        self.relook = False  # the pending timer only looks again (nobody worked ahead)
        self.digests = 0  # digest records emitted (reps', team leads', managers')
        self.items = 0  # items in them

    def start(self, engine: Engine, t: float) -> None:
        """The first input, at `t`: schedule the first day start at or after it."""
        self.schedule(engine, math.nextafter(t, -math.inf))

    def reschedule(self, engine: Engine, t: float) -> None:
        """The reps changed at `t` (a `rep.upserted`): look again from where we are."""
        if self.version:  # started
            self.schedule(engine, math.nextafter(t, -math.inf))

    def schedule(self, engine: Engine, after: float) -> None:
        """The next day start of any rep after `after` (and after what is done); when
        nobody works within the look-ahead, a look again from its end."""
        after = max(after, self.done)
        nxt: float | None = None
        for rep in engine.router.reps.values():
            s = _next_start(rep.calendar, after)
            if s is not None and (nxt is None or s < nxt):
                nxt = s
        self.version += 1
        self.relook = nxt is None
        engine.schedule(after + LOOKAHEAD_S if nxt is None else nxt, DAY_START, None,
                        self.version)

    def fire(self, engine: Engine, at: float) -> None:
        """The timer at `at`: the digests of the reps whose working day starts then."""
        if not self.relook:
            before = math.nextafter(at, -math.inf)
            reps = [
                r.id for r in engine.router.reps.values()
                if next(day_starts(r.calendar, before, at), None) is not None
            ]
            records = digest(engine, at, reps, self.config)
            self.digests += len(records)
            self.items += sum(len(r["items"]) for r in records)
            engine.em.out.extend(records)
        self.done = at
        self.schedule(engine, at)


def with_digests(engine: Engine, config: Digest) -> Engine:
    """`engine`, emitting the daily digests with `config` when its policy asks for none
    (`leadflow notify --digests`: the digests a policy would give). Before any input."""
    if engine.day_starts is None:
        engine.day_starts = DayStarts(config)
    return engine

"""SLA windows: from a start instant to a due instant, on the business or calendar clock.

One compiled `Window` serves every SLA (handoff, first touch per tier, follow-up,
disposition) and the surge's relaxed windows. Points inside a window (the at-risk
share, the escalation multiples) are measured in the same clock as the window.
"""

from __future__ import annotations

import math
from typing import Final

from mypy_extensions import mypyc_attr

from routing.calendar import BusinessCalendar
from routing.durations import Duration

EOBD: Final = "end_of_business_day"


# allow_interpreted_subclasses: compiled, a serializable class built from interpreted code
# does not run its __init__ otherwise.
@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Window:
    """`within` on a clock. `business` windows count only the calendar's working time.

    Not changed once made. A plain class, not a frozen dataclass: compiled (mypyc), a
    frozen native class cannot be unpickled, and a non-native one's `due` is a Python
    method call; a native class's is a direct call."""

    __slots__ = ("business", "days", "eobd", "seconds", "text")

    def __init__(
        self,
        text: str,
        business: bool,
        seconds: float = 0.0,  # calendar seconds, or business seconds for s/m/h units
        days: float = 0.0,  # business days (d, w units)
        eobd: bool = False,
    ) -> None:
        self.text = text
        self.business = business
        self.seconds = seconds
        self.days = days
        self.eobd = eobd

    @classmethod
    def of(cls, within: Duration | str, clock: str) -> Window:
        if isinstance(within, str):
            if within != EOBD:
                raise ValueError(f"unknown window {within!r}")
            return cls(text="end of the business day", business=True, eobd=True)
        if clock == "calendar":
            return cls(text=f"{within.text} (calendar)", business=False, seconds=within.seconds)
        if within.unit in ("d", "w"):
            return cls(text=f"{within.text} (business)", business=True, days=within.business_days())
        return cls(text=f"{within.text} (business)", business=True, seconds=within.seconds)

    def due(self, start: float, cal: BusinessCalendar) -> float:
        if not self.business:
            return start + self.seconds
        if self.eobd:
            return cal.end_of_business_day(start)
        if self.days:
            whole = math.floor(self.days)
            due = cal.add_days(start, whole) if whole else start
            fraction = self.days - whole
            if fraction:
                due = cal.add(due, fraction * typical_day_seconds(cal))
            return due
        return cal.add(start, self.seconds)


def point(start: float, due: float, share: float, business: bool, cal: BusinessCalendar) -> float:
    """The instant at `share` of the window [start, due] (0.75: at-risk; 2.0: twice the window)."""
    if share == 1.0:
        return due
    if not business:
        return start + share * (due - start)
    return cal.add(start, share * cal.between(start, due))


def typical_day_seconds(cal: BusinessCalendar) -> float:
    """The mean length of the calendar's working days: what a fraction of a day is worth."""
    days = [sum(end - start for start, end in spans) for spans in cal.weekly_hours.values()]
    return 60.0 * sum(days) / len(days)

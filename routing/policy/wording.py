"""Plain words for policy values: numbers, shares, durations, windows, weekly hours, dates.

Helpers of :mod:`routing.policy.describe`; pure and deterministic.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Mapping, Sequence
from datetime import date

from routing.calendar import WEEKDAYS
from routing.durations import Duration
from routing.policy.models import Capacity, Pool, Window
from routing.policy.team import RepCapacity

_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
_REVIEW_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
STRATEGY = {
    "least_loaded": "the rep with the fewest open leads takes the next one",
    "round_robin": "reps take turns",
    "weighted_round_robin": "reps take turns in proportion to their weight",
}
QUEUE_KEY = {
    "tier": "tier (in the order listed)",
    "score_desc": "highest score first",
    "score_asc": "lowest score first",
    "fit_desc": "highest fit first",
    "mql_at": "earliest MQL first",
    "mql_at_desc": "latest MQL first",
}


def num(value: float) -> str:
    """1.0 -> '1', 0.5 -> '0.5'."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def pct(share: float) -> str:
    """0.95 -> '95%'."""
    return f"{num(round(share * 100, 2))}%"


def plural(count: float, word: str, many: str | None = None) -> str:
    """'1 hour', '2 hours'; MANY is the plural where it is not WORD + 's'."""
    return f"{num(count)} {word if count == 1 else many or word + 's'}"


def names(items: Sequence[str], empty: str = "none") -> str:
    return ", ".join(items) if items else empty


def duration(d: Duration, clock: str = "calendar", mark: bool = False) -> str:
    """'4 business hours', '2 business days', '30 minutes' ('1 hour (calendar)' with MARK)."""
    unit = _UNITS[d.unit]
    if clock == "business":
        text = plural(d.count, f"business {unit}")
        if d.unit == "w":
            text += f" ({plural(d.count * 5, 'working day')})"
        return text
    return plural(d.count, unit) + (" (calendar)" if mark else "")


def clocked(d: Duration, clock: str) -> str:
    """A duration on a policy clock: business time said, calendar time marked as such."""
    return duration(d, clock, mark=True)


def window(w: Window) -> str:
    """'within 4 business hours', 'by the end of the business day', 'within 1 hour (calendar)'."""
    if w.within == "end_of_business_day":
        text = "by the end of the business day"
    else:
        text = "within " + clocked(w.within, w.clock)
    return text + target(w.target)


def target(share: float) -> str:
    """'' for 1.0 (every lead), else ' (for at least 90% of leads)'."""
    return f" (for at least {pct(share)} of leads)" if share < 1.0 else ""


def minutes(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def week_hours(weekly: Mapping[str, Sequence[tuple[int, int]]]) -> list[str]:
    """Working hours grouped by runs of weekdays with the same ranges, e.g.
    ['Mon-Fri 09:00-17:00 (8 hours a day)', 'Sat, Sun closed']."""
    runs: list[tuple[list[str], tuple[tuple[int, int], ...]]] = []
    for day in WEEKDAYS:
        spans = tuple(weekly.get(day, ()))
        if runs and runs[-1][1] == spans:
            runs[-1][0].append(day)
        else:
            runs.append(([day], spans))
    lines: list[str] = []
    closed: list[str] = []
    for days, spans in runs:
        label = _day_run(days)
        if not spans:
            closed.append(label)
            continue
        ranges = ", ".join(f"{minutes(a)}-{minutes(b)}" for a, b in spans)
        hours = sum(b - a for a, b in spans) / 60
        each = " a day" if len(days) > 1 else ""
        lines.append(f"{label} {ranges} ({plural(round(hours, 2), 'hour')}{each})")
    if closed:
        lines.append(f"{', '.join(closed)} closed")
    return lines


def _day_run(days: list[str]) -> str:
    titled = [d.title() for d in days]
    if len(titled) > 2:
        return f"{titled[0]}-{titled[-1]}"
    return ", ".join(titled)


def overflow_chain(pool: Pool, by_name: dict[str, Pool]) -> str:
    """'overflow: commercial -> bench': the pools a lead may overflow through."""
    chain: list[str] = []
    nxt = pool.overflow
    while nxt is not None and nxt not in chain and nxt != pool.name:
        chain.append(nxt)
        nxt = by_name[nxt].overflow
    if nxt is not None:
        chain.append(f"{nxt} (a loop)")
    return "overflow: " + " -> ".join(chain) if chain else "no overflow"


def capacity(c: Capacity | RepCapacity) -> str:
    """'at most 40 open leads and at most 15 new a day'."""
    parts = []
    if c.max_open is not None:
        parts.append(f"at most {c.max_open} open leads")
    if c.max_new_per_day is not None:
        parts.append(f"at most {c.max_new_per_day} new a day")
    return " and ".join(parts) or "no limit"


def add_months(d: date, months: int) -> date:
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def next_review(effective: date, every: str, today: date | None = None) -> date:
    """The first review date after EFFECTIVE (or, given TODAY, the first on or after it)."""
    step = _REVIEW_MONTHS[every]
    n = 1
    while True:
        due = add_months(effective, step * n)
        if today is None or due >= today:
            return due
        n += 1


__all__ = [
    "QUEUE_KEY",
    "STRATEGY",
    "add_months",
    "capacity",
    "clocked",
    "duration",
    "minutes",
    "names",
    "next_review",
    "num",
    "overflow_chain",
    "pct",
    "plural",
    "target",
    "week_hours",
    "window",
]

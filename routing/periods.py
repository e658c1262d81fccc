"""Scorecard periods: ISO weeks, calendar months and quarters in the policy's time zone.

Every period starts at local midnight (Monday for a week, the 1st for a month, January,
April, July or October 1st for a quarter) and ends where the next one starts, so a
period that contains a DST change is an hour shorter or longer than its nominal length:
arithmetic is on local dates, turned into instants at the end. The one place where the
scorecard, the commitments and their labels (`2026-W03`, `2026-01`, `2026-Q1`) come from.
Pure: no clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo

Per = Literal["week", "month", "quarter"]
PERS: Final[tuple[str, ...]] = get_args(Per)  # finest first
TITLES: Final = {"week": "Week", "month": "Month", "quarter": "Quarter"}
#: The agreement's review cadence (`agreement.review_every`) in months.
REVIEW_MONTHS: Final = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


def add_months(d: date, months: int) -> date:
    """`d` moved by whole months, the day kept or clamped to the month's last (Jan 31 + 1
    month is Feb 28 or 29)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(d.day, (nxt - timedelta(days=1)).day))


def _first_day(per: str, d: date) -> date:
    if per == "week":
        return d - timedelta(days=d.weekday())
    if per == "month":
        return d.replace(day=1)
    if per == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    raise ValueError(f"unknown period {per!r}: expected one of {', '.join(PERS)}")


def _next_first_day(per: str, first: date) -> date:
    if per == "week":
        return first + timedelta(days=7)
    months = 1 if per == "month" else 3
    y, m = divmod(first.month - 1 + months, 12)
    return date(first.year + y, m + 1, 1)


class Periods:
    """Period arithmetic in one time zone; instants are epoch seconds."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def midnight(self, d: date) -> float:
        return datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp()

    def local_date(self, t: float) -> date:
        return datetime.fromtimestamp(t, self.tz).date()

    def start(self, per: str, t: float) -> float:
        """The start of the `per` period containing instant `t`."""
        return self.midnight(_first_day(per, self.local_date(t)))

    def end(self, per: str, start: float) -> float:
        """The end (exclusive) of the period starting at `start`: the next one's start."""
        return self.midnight(_next_first_day(per, self.local_date(start)))

    def first_day(self, start: float) -> date:
        return self.local_date(start)

    def last_day(self, per: str, start: float) -> date:
        return _next_first_day(per, self.local_date(start)) - timedelta(days=1)

    def label(self, per: str, start: float) -> str:
        """`2026-W03` (ISO week), `2026-01` (month), `2026-Q1` (quarter)."""
        d = self.local_date(start)
        if per == "week":
            iso = d.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if per == "month":
            return f"{d.year}-{d.month:02d}"
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


__all__ = ["PERS", "TITLES", "Per", "Periods"]

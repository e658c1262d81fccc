"""Business calendar: a time zone, weekly working hours and holidays.

Every hot-path method takes and returns **epoch seconds (UTC) as float**.
Nothing here reads the clock; results depend only on the arguments.

Definitions
-----------
* A *working interval* is a half-open UTC range ``[start, end)`` produced by one
  ``"HH:MM-HH:MM"`` range on one local date. ``"24:00"`` is the next local
  midnight, so ``"00:00-24:00"`` is the whole local day: 23 h on a spring-forward
  date, 25 h on a fall-back date.
* Local wall times are converted with :mod:`zoneinfo` using ``fold=0``: a wall
  time inside a DST gap (e.g. 02:30 on a US spring-forward date) is read with
  the offset in force *before* the transition (02:30 EST = 03:30 EDT), and an
  ambiguous wall time in a fold means its *first* occurrence. Ranges that come
  out empty are dropped and ranges that come out overlapping are merged.
* A *working day* is a local date with at least one working interval. Its
  *opening* is the start of its first interval, its *closing* the end of its last.
* The *local date* of an instant is the date whose ``[midnight, next midnight)``
  contains it, midnight being ``00:00`` of that date read with ``fold=0``.

Implementation: per-date intervals are cached in a dict; for the hot path the
calendar also keeps a flat, sorted array of interval bounds with cumulative
working seconds over a window of dates that grows on demand, so ``is_open``,
``add`` and ``between`` are a couple of :func:`bisect` calls.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mypy_extensions import mypyc_attr

__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarError",
    "parse_hours",
    "to_epoch",
]

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Longest stretch of days without working time that a forward search accepts.
MAX_SCAN_DAYS: Final = 3700
#: Longest span of dates one query may need (about 110 years).
MAX_SPAN_DAYS: Final = 40_000
#: Extra dates covered beyond what a query needs when the window grows.
_PAD_DAYS: Final = 366

_ONE_DAY: Final = timedelta(days=1)
_HOURS_RE: Final = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")
_EXPECTED_HOURS: Final = 'expected working hours as "HH:MM-HH:MM", e.g. "09:00-17:00"'
# Compiled (mypyc), a name imported from a module is a dict lookup at each use, a Final
# one a C static.
bisect_left: Final = bisect.bisect_left
bisect_right: Final = bisect.bisect_right


class CalendarError(ValueError):
    """Invalid calendar definition, or a query the calendar cannot answer."""


def parse_hours(text: str) -> tuple[int, int]:
    """Parse ``"HH:MM-HH:MM"`` into ``(start, end)`` minutes after local midnight.

    ``"09:00-17:00"`` -> ``(540, 1020)``; ``"00:00-24:00"`` -> ``(0, 1440)``.
    ``24:00`` is only valid as an end; the end must be after the start.
    """
    if not isinstance(text, str):
        raise CalendarError(f"{_EXPECTED_HOURS}, got {type(text).__name__} {text!r}")
    match = _HOURS_RE.fullmatch(text)
    if match is None:
        raise CalendarError(f"{_EXPECTED_HOURS}, got {text!r}")
    sh, sm, eh, em = (int(g) for g in match.groups())
    for hour, minute in ((sh, sm), (eh, em)):
        if minute > 59 or hour > 24 or (hour == 24 and minute != 0):
            raise CalendarError(
                f"{_EXPECTED_HOURS} with hours 00-23 (or 24:00 as an end) and minutes 00-59, "
                f"got {text!r}"
            )
    start, end = sh * 60 + sm, eh * 60 + em
    if start == 1440:
        raise CalendarError(f"{_EXPECTED_HOURS}, got {text!r}: 24:00 can only be an end")
    if end <= start:
        raise CalendarError(f"{_EXPECTED_HOURS}, got {text!r}: the end must be after the start")
    return start, end


def to_epoch(dt: datetime) -> float:
    """Epoch seconds (UTC) of an aware datetime; naive datetimes are refused."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise CalendarError(f"expected a timezone-aware datetime, got naive {dt.isoformat()}")
    return dt.timestamp()


def _parse_day(key: str, value: str | Sequence[str]) -> tuple[tuple[int, int], ...]:
    ranges = [value] if isinstance(value, str) else list(value)
    parsed: list[tuple[int, int]] = []
    for item in ranges:
        try:
            parsed.append(parse_hours(item))
        except CalendarError as exc:
            raise CalendarError(f"hours for {key!r}: {exc}") from None
    parsed.sort()
    merged: list[tuple[int, int]] = []
    for start, end in parsed:
        if merged and start < merged[-1][1]:
            raise CalendarError(
                f"hours for {key!r} overlap: {_fmt(merged[-1])} and {_fmt((start, end))}"
            )
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _fmt(span: tuple[int, int]) -> str:
    return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in span)


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class BusinessCalendar:
    """Working hours in one time zone, with holidays. See the module docstring."""

    __slots__ = (
        "_bounds",
        "_cov_hi",
        "_cov_lo",
        "_cum",
        "_day_cache",
        "_day_first",
        "_day_last",
        "_day_m",
        "_hi",
        "_lo",
        "_midnights",
        "_week",
        "_work_days",
        "holidays",
        "timezone",
        "tz",
    )

    def __init__(
        self,
        timezone: str,
        hours: Mapping[str, str | Sequence[str]],
        holidays: Iterable[date] = (),
    ) -> None:
        if not isinstance(timezone, str) or not timezone.strip():
            raise CalendarError(f"expected an IANA time zone name, got {timezone!r}")
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise CalendarError(
                f"unknown time zone {timezone!r}: expected an IANA name like 'America/New_York'"
            ) from None
        if not isinstance(hours, Mapping):
            raise CalendarError(
                f"expected hours as a mapping of weekday to 'HH:MM-HH:MM', got {hours!r}"
            )
        week: list[tuple[tuple[int, int], ...]] = [() for _ in WEEKDAYS]
        for key, value in hours.items():
            if key not in WEEKDAYS:
                raise CalendarError(
                    f"unknown weekday {key!r} in hours: expected one of {', '.join(WEEKDAYS)}"
                )
            week[WEEKDAYS.index(key)] = _parse_day(key, value)
        if not any(week):
            raise CalendarError("the calendar has no working hours on any weekday")
        days: set[date] = set()
        for day in holidays:
            if isinstance(day, datetime):
                day = day.date()
            if not isinstance(day, date):
                raise CalendarError(f"expected holidays as dates, got {day!r}")
            days.add(day)

        self.timezone: str = timezone
        self.tz: ZoneInfo = tz
        self.holidays: frozenset[date] = frozenset(days)
        self._week: tuple[tuple[tuple[int, int], ...], ...] = tuple(week)
        self._day_cache: dict[date, tuple[tuple[float, float], ...]] = {}
        self._midnights: dict[date, float] = {}
        # Covered window of local dates [_lo, _hi) and its flattened timeline.
        self._lo: date = date.min
        self._hi: date = date.min
        self._cov_lo: float = math.inf
        self._cov_hi: float = -math.inf
        self._bounds: list[float] = []  # start0, end0, start1, end1, ... (merged, increasing)
        self._cum: list[float] = []  # working seconds before each bound (from _cov_lo)
        self._day_m: list[float] = []  # midnight of each covered date, plus one after
        self._day_first: list[float] = []  # opening of each covered date (nan if closed)
        self._day_last: list[float] = []  # closing of each covered date (nan if closed)
        self._work_days: list[int] = []  # indices (from _lo) of working days

    def __repr__(self) -> str:
        hours = {
            WEEKDAYS[i]: [_fmt(span) for span in spans]
            for i, spans in enumerate(self._week)
            if spans
        }
        return (
            f"BusinessCalendar({self.timezone!r}, {hours!r}, holidays=<{len(self.holidays)} dates>)"
        )

    @property
    def weekly_hours(self) -> dict[str, tuple[tuple[int, int], ...]]:
        """Working ranges per weekday in minutes after midnight (closed days omitted)."""
        return {WEEKDAYS[i]: spans for i, spans in enumerate(self._week) if spans}

    # ------------------------------------------------------------------ per-date

    def _midnight(self, d: date) -> float:
        m = self._midnights.get(d)
        if m is None:
            m = datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp()
            self._midnights[d] = m
        return m

    def intervals_on(self, d: date) -> tuple[tuple[float, float], ...]:
        """Working intervals ``[start, end)`` (UTC epoch) of local date ``d``; cached.

        Empty for holidays and non-working weekdays.
        """
        cached = self._day_cache.get(d)
        if cached is not None:
            return cached
        spans = self._week[d.weekday()]
        result: tuple[tuple[float, float], ...] = ()
        if spans and d not in self.holidays:
            try:
                lo, hi = self._midnight(d), self._midnight(d + _ONE_DAY)
            except OverflowError:
                raise CalendarError(f"date {d} is out of range") from None
            raw: list[tuple[float, float]] = []
            for start_min, end_min in spans:
                start = self._wall(d, start_min, lo)
                end = hi if end_min == 1440 else self._wall(d, end_min, lo)
                # Clip to the local day: keeps days disjoint even around odd DST gaps.
                start, end = max(start, lo), min(end, hi)
                if end > start:
                    raw.append((start, end))
            raw.sort()
            merged: list[tuple[float, float]] = []
            for start, end in raw:
                if merged and start <= merged[-1][1]:
                    if end > merged[-1][1]:
                        merged[-1] = (merged[-1][0], end)
                else:
                    merged.append((start, end))
            result = tuple(merged)
        self._day_cache[d] = result
        return result

    def _wall(self, d: date, minutes: int, midnight: float) -> float:
        if minutes == 0:
            return midnight
        return datetime(
            d.year, d.month, d.day, minutes // 60, minutes % 60, tzinfo=self.tz
        ).timestamp()

    def is_working_day(self, d: date) -> bool:
        """True if local date ``d`` has working time."""
        return bool(self.intervals_on(d))

    # ------------------------------------------------------------------ coverage

    def _ensure(self, t: float) -> None:
        if not self._cov_lo <= t < self._cov_hi:
            d = self._raw_date(t)
            try:
                lo, hi = d - _ONE_DAY, d + 2 * _ONE_DAY
            except OverflowError:
                raise CalendarError(f"instant {t!r} is too close to the end of time") from None
            self._cover(lo, hi)

    def _raw_date(self, t: float) -> date:
        try:
            return datetime.fromtimestamp(t, self.tz).date()
        except (OverflowError, ValueError, OSError):
            raise CalendarError(f"instant {t!r} is not a representable epoch time") from None

    def _cover(self, lo: date, hi: date) -> None:
        """Make the timeline cover local dates ``[lo, hi)`` (plus padding)."""
        if self._lo <= lo and hi <= self._hi:
            return
        try:
            if (hi - lo).days > MAX_SPAN_DAYS:
                raise CalendarError(
                    f"time span from {lo} to {hi} is too long (more than {MAX_SPAN_DAYS} days)"
                )
            if self._hi == date.min:  # nothing covered yet
                new_lo, new_hi = lo - 7 * _ONE_DAY, hi + _PAD_DAYS * _ONE_DAY
            else:
                span = self._hi - self._lo
                pad = max(timedelta(days=_PAD_DAYS), span)  # grow geometrically
                new_lo = lo - pad if lo < self._lo else self._lo
                new_hi = hi + pad if hi > self._hi else self._hi
                if (new_hi - new_lo).days > MAX_SPAN_DAYS:  # start afresh around the query
                    new_lo = lo - 7 * _ONE_DAY
                    new_hi = hi + _PAD_DAYS * _ONE_DAY
                    if (new_hi - new_lo).days > MAX_SPAN_DAYS:
                        new_hi = new_lo + timedelta(days=MAX_SPAN_DAYS)
        except OverflowError:
            raise CalendarError(f"dates around {lo} .. {hi} are out of range") from None
        self._rebuild(new_lo, new_hi)

    def _grow(self, origin: date) -> None:
        """Extend the window forward from the date ``origin`` (which stays covered)."""
        last_work = self._lo + timedelta(days=self._work_days[-1]) if self._work_days else self._lo
        since = max(last_work, origin)
        if (self._hi - since).days > MAX_SCAN_DAYS:
            raise CalendarError(
                f"no working hours within {MAX_SCAN_DAYS} days after {since} "
                f"in time zone {self.timezone}"
            )
        try:
            hi = self._hi + timedelta(days=_PAD_DAYS)
        except OverflowError:
            raise CalendarError(f"dates after {self._hi} are out of range") from None
        self._cover(origin - _ONE_DAY, hi)

    def _rebuild(self, lo: date, hi: date) -> None:
        bounds: list[float] = []
        cum: list[float] = []
        day_m: list[float] = []
        first: list[float] = []
        last: list[float] = []
        work: list[int] = []
        total = 0.0
        d = lo
        nan = math.nan
        try:
            for i in range((hi - lo).days):
                day_m.append(self._midnight(d))
                spans = self.intervals_on(d)
                if spans:
                    work.append(i)
                    first.append(spans[0][0])
                    last.append(spans[-1][1])
                    for start, end in spans:
                        if bounds and bounds[-1] == start:  # adjacent across midnight
                            total += end - start
                            bounds[-1] = end
                            cum[-1] = total
                        else:
                            bounds.append(start)
                            cum.append(total)
                            total += end - start
                            bounds.append(end)
                            cum.append(total)
                else:
                    first.append(nan)
                    last.append(nan)
                d += _ONE_DAY
            day_m.append(self._midnight(d))
        except OverflowError:
            raise CalendarError(f"dates around {lo} .. {hi} are out of range") from None
        self._lo, self._hi = lo, hi
        self._cov_lo, self._cov_hi = day_m[0], day_m[-1]
        self._bounds, self._cum = bounds, cum
        self._day_m, self._day_first, self._day_last = day_m, first, last
        self._work_days = work

    def _day_index(self, t: float) -> int:
        """Index (from ``_lo``) of the local date of a covered instant."""
        return bisect_right(self._day_m, t) - 1

    # ------------------------------------------------------------------ queries

    def local_date(self, t: float) -> date:
        """The calendar-local date of instant ``t``."""
        self._ensure(t)
        return self._lo + timedelta(days=self._day_index(t))

    def next_local_midnight(self, t: float) -> float:
        """Start of the local day after the one containing ``t`` (DST-correct)."""
        self._ensure(t)
        return self._day_m[self._day_index(t) + 1]

    def week_start(self, t: float) -> float:
        """Monday 00:00 local of the ISO week containing ``t``."""
        d = self.local_date(t)
        return self._midnight(d - timedelta(days=d.weekday()))

    def to_datetime(self, t: float) -> datetime:
        """``t`` as an aware datetime in the calendar's zone."""
        try:
            return datetime.fromtimestamp(t, self.tz)
        except (OverflowError, ValueError, OSError):
            raise CalendarError(f"instant {t!r} is not a representable epoch time") from None

    def is_open(self, t: float) -> bool:
        """True if ``t`` lies inside a working interval."""
        if not self._cov_lo <= t < self._cov_hi:
            self._ensure(t)
        return bool(bisect_right(self._bounds, t) & 1)

    def next_open(self, t: float) -> float:
        """``t`` if open, else the start of the next working interval."""
        if not self._cov_lo <= t < self._cov_hi:
            self._ensure(t)
        while True:
            bounds = self._bounds
            k = bisect_right(bounds, t)
            if k & 1:
                return t
            if k < len(bounds):
                return bounds[k]
            self._grow(self.local_date(t))

    def state_until(self, t: float) -> tuple[bool, float]:
        """``(is_open(t), u)``: the state is constant on ``[t, u)`` and changes at ``u``.

        ``u`` is ``math.inf`` when the calendar stays open for good (a 24/7
        calendar with no holiday after ``t``).
        """
        if not self._cov_lo <= t < self._cov_hi:
            self._ensure(t)
        while True:
            bounds = self._bounds
            k = bisect_right(bounds, t)
            is_open = bool(k & 1)
            # The last bound may be an artefact of the window's end; only trust it inside.
            if k < len(bounds) and bounds[k] < self._cov_hi:
                return is_open, bounds[k]
            origin = self.local_date(t)
            if is_open and (self._hi - origin).days > MAX_SCAN_DAYS:
                later = [h for h in self.holidays if h >= self._hi]
                if not later:
                    return True, math.inf
                return True, self._midnight(min(later))
            self._grow(origin)

    def add(self, t: float, seconds: float) -> float:
        """Earliest instant at which ``seconds`` of working time have elapsed since ``t``.

        ``add(t, 0) == t``. For ``seconds > 0`` the result lies inside a working
        interval or exactly at an interval's end. ``seconds`` must be >= 0.
        """
        if not seconds > 0:
            if seconds == 0:
                return t
            raise CalendarError(f"cannot add a negative or NaN working time ({seconds!r} s)")
        if not self._cov_lo <= t < self._cov_hi:
            self._ensure(t)
        bounds = self._bounds
        k = bisect_right(bounds, t)
        n = len(bounds)
        if k & 1:  # open: same interval?
            x = t + seconds
            if x <= bounds[k]:
                return x
        elif k < n:  # closed: fits in the next interval?
            x = bounds[k] + seconds
            if x <= bounds[k + 1]:
                return x
        if seconds > MAX_SPAN_DAYS * 86400.0:
            raise CalendarError(f"working time of {seconds!r} s is too long")
        while True:
            bounds, cum = self._bounds, self._cum
            k = bisect_right(bounds, t)
            base = cum[k - 1] if k else 0.0
            offset = t - bounds[k - 1] if k & 1 else 0.0
            target = base + offset + seconds
            if cum and cum[-1] >= target:
                j = bisect_left(cum, target, k)
                start, end = bounds[j - 1], bounds[j]
                x = start + (seconds + offset - (cum[j - 1] - base))
                return end if x > end else (start if x < start else x)
            self._grow(self.local_date(t))

    def between(self, a: float, b: float) -> float:
        """Working seconds in ``[a, b)``; ``-between(b, a)`` when ``b < a``."""
        if b < a:
            return -self.between(b, a)
        cov_lo, cov_hi = self._cov_lo, self._cov_hi
        if not (cov_lo <= a < cov_hi and cov_lo <= b < cov_hi):
            self._ensure_both(a, b)
        bounds = self._bounds
        ka = bisect_right(bounds, a)
        kb = bisect_right(bounds, b)
        if ka == kb:
            return b - a if ka & 1 else 0.0
        cum = self._cum
        result = cum[kb - 1] - (cum[ka - 1] if ka else 0.0)
        if kb & 1:
            result += b - bounds[kb - 1]
        if ka & 1:
            result -= a - bounds[ka - 1]
        return result

    def _ensure_both(self, a: float, b: float) -> None:
        if b - a > MAX_SPAN_DAYS * 86400.0:
            raise CalendarError(f"time span from {a!r} to {b!r} is too long")
        da, db = self._raw_date(a), self._raw_date(b)
        try:
            lo, hi = min(da, db) - _ONE_DAY, max(da, db) + 2 * _ONE_DAY
        except OverflowError:
            raise CalendarError(f"instants {a!r}, {b!r} are too close to the end of time") from None
        self._cover(lo, hi)

    def add_days(self, t: float, days: int) -> float:
        """Add ``days`` business days (working days of this calendar) to ``t``.

        * Inside a working day (after its opening and before its closing,
          lunch gaps included) at working offset ``o > 0`` from the opening:
          the working day ``days`` working days later at the same working
          offset, clamped to that day's closing.
        * Otherwise (closed, or exactly at the opening): the closing of the
          ``days``-th working day, counting the day of ``next_open(t)`` as 1.
        * ``days == 0`` returns ``t``.
        """
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise CalendarError(f"expected a whole number of days >= 0, got {days!r}")
        if days == 0:
            return t
        if days > MAX_SPAN_DAYS:
            raise CalendarError(f"{days} business days is too long")
        self._ensure(t)
        i = self._day_index(t)
        first, last = self._day_first[i], self._day_last[i]
        if first < t < last:
            offset = self.between(first, t)
            target = self._nth_working_day(self._lo + timedelta(days=i), days, inclusive=False)
            elapsed = 0.0
            spans = self.intervals_on(target)
            for start, end in spans:
                if offset - elapsed <= end - start:
                    return start + (offset - elapsed)
                elapsed += end - start
            return spans[-1][1]
        opening = self.next_open(t)
        target = self._nth_working_day(self.local_date(opening), days, inclusive=True)
        return self.intervals_on(target)[-1][1]

    def _nth_working_day(self, d: date, n: int, *, inclusive: bool) -> date:
        """The ``n``-th working day after ``d`` (``d`` itself counts if ``inclusive``)."""
        while True:
            i = (d - self._lo).days
            work = self._work_days
            pos = bisect_left(work, i) if inclusive else bisect_right(work, i)
            if pos + n - 1 < len(work):
                return self._lo + timedelta(days=work[pos + n - 1])
            self._grow(d)

    def end_of_business_day(self, t: float) -> float:
        """Closing of the working day ``t`` falls in, else of the day of ``next_open(t)``.

        "Falls in" means from the day's opening (inclusive) to its closing
        (exclusive), lunch gaps included. Policy: *before the calendar's working
        day ends, on the day the clock starts (the next working day's end if
        the clock starts outside working hours).*
        """
        self._ensure(t)
        i = self._day_index(t)
        if self._day_first[i] <= t < self._day_last[i]:
            return self._day_last[i]
        opening = self.next_open(t)
        return self._day_last[self._day_index(opening)]

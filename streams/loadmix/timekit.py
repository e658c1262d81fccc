"""Vectorised time helpers for the generator: UTC offsets, RFC 3339 text, business hours.

Times are int64 arrays of Unix seconds (UTC). Offsets come from zoneinfo, tabulated per hour
over the span the generator uses, so DST changes are exact (they fall on whole UTC hours).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

DAY_S = 86_400
HOUR_S = 3_600
MIN_S = 60

NY = "America/New_York"


def rng_for(seed: int, source: str) -> np.random.Generator:
    """One independent, seeded stream per source (the name is mixed into the seed)."""
    key = [ord(c) for c in source]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *key])))


class Clock:
    """Offsets, formatting and business-hour snapping over [start - 2 days, start + span_days]."""

    def __init__(self, start: date, span_days: int, holidays: Iterable[date], tz: str = NY) -> None:
        self.tz = tz
        self.day0 = (start - timedelta(days=2)).toordinal()  # proleptic ordinal of table day 0
        self.epoch0 = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
        self.epoch0 -= 2 * DAY_S
        self.n_days = span_days + 4
        self._offsets: dict[str, np.ndarray] = {}
        days = np.arange(self.n_days)
        weekday = (days + (self.day0 - 1)) % 7  # ordinal 1 (0001-01-01) is a Monday -> 0
        hol = {d.toordinal() - self.day0 for d in holidays}
        self.is_bday = (weekday < 5) & ~np.isin(days, sorted(hol))
        # next_bday[d] = the first business day strictly after d (clamped at the table end)
        nxt = np.full(self.n_days, self.n_days - 1, dtype=np.int64)
        following = self.n_days - 1
        for d in range(self.n_days - 1, -1, -1):
            nxt[d] = following
            if self.is_bday[d]:
                following = d
        self.next_bday = nxt
        self.weekday = weekday

    # -- offsets and formatting -------------------------------------------------------------

    def _table(self, tz: str) -> np.ndarray:
        table = self._offsets.get(tz)
        if table is None:
            zone = ZoneInfo(tz)
            hours = self.n_days * 24
            table = np.empty(hours, dtype=np.int64)
            for h in range(hours):
                moment = datetime.fromtimestamp(self.epoch0 + h * HOUR_S, tz=zone)
                off = moment.utcoffset()
                table[h] = int(off.total_seconds()) if off is not None else 0
            self._offsets[tz] = table
        return table

    def offsets(self, t: np.ndarray, tz: str | None = None) -> np.ndarray:
        table = self._table(tz or self.tz)
        idx = np.clip((t - self.epoch0) // HOUR_S, 0, len(table) - 1)
        out: np.ndarray = table[idx]
        return out

    def to_utc(self, local: np.ndarray, tz: str | None = None) -> np.ndarray:
        """Local wall-clock seconds (as if UTC) to Unix seconds (nonexistent times shift by 1h)."""
        guess = local - self.offsets(local - 5 * HOUR_S, tz)
        out: np.ndarray = local - self.offsets(guess, tz)
        return out

    def local(self, t: np.ndarray, tz: str | None = None) -> np.ndarray:
        out: np.ndarray = t + self.offsets(t, tz)
        return out

    def format(self, t: np.ndarray, tz: str | None = None) -> list[str]:
        """RFC 3339 with the zone's offset: 2026-01-06T10:00:00-05:00."""
        off = self.offsets(t, tz)
        text = np.datetime_as_string((t + off).astype("datetime64[s]"), unit="s")
        values, inverse = np.unique(off, return_inverse=True)
        suffixes = [_offset_text(int(v)) for v in values]
        return [s + suffixes[i] for s, i in zip(text.tolist(), inverse.tolist(), strict=True)]

    def day_index(self, d: date) -> int:
        return d.toordinal() - self.day0

    def day_start_local(self, day_idx: np.ndarray | int) -> np.ndarray:
        """Local midnight (wall-clock seconds, as if UTC) of table day indices."""
        return (self.epoch0 + np.asarray(day_idx, dtype=np.int64) * DAY_S).astype(np.int64)

    # -- business hours (policy calendar) ---------------------------------------------------

    def snap_business(
        self,
        t: np.ndarray,
        rng: np.random.Generator,
        open_s: int = 9 * HOUR_S,
        close_s: int = 17 * HOUR_S,
        spread_s: int = 90 * MIN_S,
    ) -> np.ndarray:
        """Move times outside working hours to the next opening plus a random spread."""
        local = self.local(t)
        day = np.clip((local - self.epoch0) // DAY_S, 0, self.n_days - 1)
        sod = local - self.epoch0 - day * DAY_S
        bday = self.is_bday[day]
        inside = bday & (sod >= open_s) & (sod < close_s)
        same_day = bday & (sod < open_s)
        target_day = np.where(same_day, day, self.next_bday[day])
        jitter = rng.integers(0, spread_s, size=t.shape[0])
        moved_local = self.epoch0 + target_day * DAY_S + open_s + jitter
        return np.where(inside, t, self.to_utc(moved_local))


def _offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    return f"{sign}{seconds // HOUR_S:02d}:{(seconds % HOUR_S) // MIN_S:02d}"

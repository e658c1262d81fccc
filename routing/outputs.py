"""Decisions as they leave the core: deterministic ids, RFC 3339 times, one place to emit;
and the other way, epoch seconds of the instants that come in."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timezone, tzinfo
from typing import Any, Final

from mypy_extensions import mypyc_attr
from pydantic_core import TzInfo

Output = dict[str, Any]
_UNSEEN: Final[Any] = object()
# Zero-padded pieces of a local time, looked up instead of formatted (5x faster).
_MM_SS: Final = tuple(f"{s // 60:02d}:{s % 60:02d}" for s in range(3600))
_MS: Final = tuple(f".{ms:03d}" for ms in range(1000))
_EPOCH_ORDINAL: Final = datetime(1970, 1, 1).toordinal()
# Compiled (mypyc), an imported name is a dict lookup at each use, a Final one a C static.
_UTC: Final = UTC
_TZINFO: Final = TzInfo
_TIMEZONE: Final = timezone


def epoch(moment: datetime) -> float:
    """`moment.timestamp()`, to the same float, about twice as fast for the fixed offsets
    that parsed events carry (pydantic's `TzInfo`, `datetime.timezone`): the offset is
    read from the zone once instead of through `utcoffset(moment)`, and the seconds are
    counted in integers, then divided once, as `timestamp()` does (exact below 2**53 us)."""
    tz = moment.tzinfo
    if tz is _UTC:  # the simulator's instants: no offset to read
        days = shift = shift_us = 0
    else:
        if type(tz) is not _TZINFO and type(tz) is not _TIMEZONE:
            return moment.timestamp()  # naive, or a zone whose offset depends on the date
        assert tz is not None
        offset = tz.utcoffset(None)
        if offset is None:
            return moment.timestamp()
        days, shift, shift_us = offset.days, offset.seconds, offset.microseconds
    seconds: int = (
        (moment.toordinal() - _EPOCH_ORDINAL) * 86400
        + moment.hour * 3600
        + moment.minute * 60
        + moment.second
        - days * 86400
        - shift
    )
    micro: int = moment.microsecond - shift_us
    if micro == 0:
        return float(seconds)
    return (seconds * 1_000_000 + micro) / 1_000_000


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class TimeFormat:
    """Formats epoch seconds as RFC 3339 with the offset of one zone (the policy's).

    The zone's offset is looked up once per UTC hour (and checked at both ends of the
    hour, so an hour with a DST change takes the exact path); the local date and hour
    ("2026-01-05T14:") once per local hour; minutes and seconds from a table.
    Fractional seconds are rounded to milliseconds as `datetime.fromtimestamp` does."""

    __slots__ = ("_cache", "_hours", "_prefixes", "tz")

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self._cache: dict[float, str] = {}
        self._hours: dict[int, tuple[int, str] | None] = {}
        self._prefixes: dict[int, str] = {}  # local hour (epoch hours) -> "YYYY-MM-DDTHH:"

    def __call__(self, t: float) -> str:
        return self.text(t)

    def text(self, t: float) -> str:
        """`self(t)`; compiled, a method call is native where a call of the object is not."""
        text = self._cache.get(t)
        if text is None:
            if len(self._cache) > 65536:
                self._cache.clear()
            text = self._cache[t] = self._format(t)
        return text

    def _format(self, t: float) -> str:
        whole = int(t)
        micro = 0
        if whole != t:
            if not t > 0:
                return self._exact(t)
            # What datetime.fromtimestamp(round(t, 3)) does: split, round half to even.
            fraction, seconds = math.modf(round(t, 3))
            whole, micro = int(seconds), round(fraction * 1e6)
            if micro >= 1_000_000:
                whole, micro = whole + 1, micro - 1_000_000
        hour = whole // 3600
        entry = self._hours.get(hour, _UNSEEN)
        if entry is _UNSEEN:
            entry = self._hours[hour] = self._offset(hour)
        if entry is None:
            return self._exact(t)
        offset, suffix = entry
        local: int = whole + offset
        local_hour = local // 3600
        prefix = self._prefixes.get(local_hour)
        if prefix is None:
            wall = datetime.fromtimestamp(local_hour * 3600, UTC)
            prefix = self._prefixes[local_hour] = wall.strftime("%Y-%m-%dT%H:")
        mm_ss = _MM_SS[local - local_hour * 3600]
        if micro:
            return f"{prefix}{mm_ss}{_MS[micro // 1000]}{suffix}"
        return f"{prefix}{mm_ss}{suffix}"

    def _offset(self, hour: int) -> tuple[int, str] | None:
        start = datetime.fromtimestamp(hour * 3600, self.tz)
        end = datetime.fromtimestamp(hour * 3600 + 3599, self.tz)
        if start.utcoffset() != end.utcoffset() or start.utcoffset() is None:
            return None
        delta = start.utcoffset()
        assert delta is not None
        return int(delta.total_seconds()), start.isoformat()[19:]

    def _exact(self, t: float) -> str:
        moment = datetime.fromtimestamp(round(t, 3), self.tz)
        return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Untimed(TimeFormat):
    """A `TimeFormat` for decisions without their text (`Engine(texts=False)`): the times
    written into decisions (`text`) stay empty; called (`fmt(t)`: the names of timers'
    causes, the reasons of refusals) it formats as `TimeFormat` does."""

    __slots__ = ()

    def __call__(self, t: float) -> str:
        return TimeFormat.text(self, t)

    def text(self, t: float) -> str:
        return ""


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Emitter:
    """Collects the outputs of one step. Every output gets `event_id`, `type`, `at` first.

    The id is derived from its cause (an input event id or a timer's name), its type and
    its subject, so a replay of the same input gives the same ids, byte for byte.
    """

    __slots__ = ("fmt", "out")

    def __init__(self, fmt: TimeFormat) -> None:
        self.fmt = fmt
        self.out: list[Output] = []

    def emit(self, kind: str, at: float, cause: str, subject: str, **fields: Any) -> Output:
        record = self.head(kind, at, cause, subject)
        record.update(fields)
        if fields.get("rep_id", "") is None:
            del record["rep_id"]  # `rep_id` only where the lead is assigned
        return record

    def head(self, kind: str, at: float, cause: str, subject: str) -> Output:
        """`emit` for the hot paths: the output with its first three fields, for the caller
        to add the rest to in order (no keyword dict to build and copy; `rep_id` only if
        the lead has an owner)."""
        record: Output = {
            "event_id": f"{cause}:{kind}:{subject}",
            "type": kind,
            "at": self.fmt.text(at),
        }
        self.out.append(record)
        return record

    def take(self) -> list[Output]:
        out, self.out = self.out, []
        return out


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class TextlessEmitter(Emitter):
    """Decisions without their text (`Engine(texts=False)`): the same decisions, fields
    and order, with `event_id` and the times empty (its `fmt` is `Untimed`)."""

    __slots__ = ()

    def head(self, kind: str, at: float, cause: str, subject: str) -> Output:
        record: Output = {"event_id": "", "type": kind, "at": ""}
        self.out.append(record)
        return record

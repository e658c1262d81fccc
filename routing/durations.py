"""Durations written in a policy: ``"30s"``, ``"5m"``, ``"4h"``, ``"2d"``, ``"13w"``.

A duration is a non-negative number followed by one unit letter:

====  ==========  =================  ===========================
unit  meaning     calendar clock     business clock
====  ==========  =================  ===========================
s     seconds     1 s                1 s of working time
m     minutes     60 s               60 s of working time
h     hours       3600 s             3600 s of working time
d     days        86400 s            1 working day
w     weeks       604800 s (7 d)     5 working days
====  ==========  =================  ===========================

On a business clock, ``d`` and ``w`` count *working days* of the calendar (see
:meth:`routing.calendar.BusinessCalendar.add_days`), not 24-hour blocks; a
business week is five working days, because "seven working days" would not be
what anyone signing an SLA means by "a week".

Bare numbers are rejected: ``5`` could be seconds, minutes or days, and an
SLA must not guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from mypy_extensions import mypyc_attr

__all__ = ["UNIT_SECONDS", "Duration", "DurationError", "parse_duration"]

UNIT_SECONDS: Final[dict[str, int]] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

_EXPECTED: Final = 'expected a duration like "5m", "4h", "2d" or "13w" (units s, m, h, d, w)'
_DURATION_RE: Final = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([smhdw])")


class DurationError(ValueError):
    """A duration could not be parsed or used; the message names the text."""


@mypyc_attr(native_class=False)  # compiled, a frozen native class cannot be unpickled
@dataclass(frozen=True, slots=True)
class Duration:
    """A parsed duration: ``count`` of ``unit`` (one of s, m, h, d, w)."""

    count: float
    unit: str
    text: str

    @property
    def seconds(self) -> float:
        """Length in calendar (wall-clock) seconds; ``w`` is seven 24-hour days."""
        return self.count * UNIT_SECONDS[self.unit]

    @property
    def is_days(self) -> bool:
        """True for ``d`` and ``w``: on a business clock these count working days."""
        return self.unit in ("d", "w")

    def business_days(self) -> float:
        """Number of working days on a business clock: ``d`` -> count, ``w`` -> count * 5.

        A business week is five working days of the calendar. Raises
        :class:`DurationError` for ``s``/``m``/``h`` durations, which are
        measured in working seconds instead (use :attr:`seconds`).
        """
        if self.unit == "d":
            return self.count
        if self.unit == "w":
            return self.count * 5
        raise DurationError(
            f"{self.text!r} is measured in working time, not working days; "
            'only "d" and "w" durations count business days'
        )

    def __str__(self) -> str:
        return self.text


def parse_duration(text: object) -> Duration:  # object: compiled, anything else is refused here
    """Parse ``"5m"``-style text into a :class:`Duration`.

    Leading/trailing whitespace is ignored; there must be no space between the
    number and the unit. Zero (``"0m"``) is allowed; negative numbers, unknown
    units and bare numbers are not.
    """
    if isinstance(text, bool):
        raise DurationError(f"{_EXPECTED}, got {text!r}")
    if isinstance(text, int | float):
        raise DurationError(
            f"{_EXPECTED}, got the bare number {text!r}: add a unit, "
            f'e.g. "{_plain(text)}m" or "{_plain(text)}h"'
        )
    if not isinstance(text, str):
        raise DurationError(f"{_EXPECTED}, got {type(text).__name__} {text!r}")
    stripped = text.strip()
    match = _DURATION_RE.fullmatch(stripped)
    if match is None:
        if stripped.startswith("-"):
            raise DurationError(f"{_EXPECTED}, got {text!r}: durations cannot be negative")
        if _is_number(stripped):
            raise DurationError(
                f"{_EXPECTED}, got the bare number {text!r}: add a unit, "
                f'e.g. "{stripped}m" or "{stripped}h"'
            )
        raise DurationError(f"{_EXPECTED}, got {text!r}")
    count = float(match.group(1))
    if not math.isfinite(count):  # pragma: no cover - the pattern only admits finite numbers
        raise DurationError(f"{_EXPECTED}, got {text!r}")
    return Duration(count=count, unit=match.group(2), text=stripped)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

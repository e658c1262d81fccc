"""Numbers as a RevOps lead reads them: shares in percent, durations in minutes/hours/days."""

from __future__ import annotations

import math
from datetime import datetime

NOT_MEASURED = "not measured"


def ci_pct(
    ci: tuple[float | None, float | None] | list[float | None] | list[float],
    digits: int = 1,
    missing: str = NOT_MEASURED,
) -> tuple[str, str]:
    """A confidence interval in percent, rounded outwards (low end down, high end up), so
    an interval whose low end misses a target by a hair never reads as reaching it:
    (0.89996, 0.93) -> ('89.9%', '93.0%'), not ('90.0%', ...). None -> `missing`."""
    scale = 10**digits * 100
    lo, hi = ci[0], ci[1]
    low = missing if lo is None else f"{math.floor(lo * scale + 1e-9) / scale * 100:.{digits}f}%"
    high = missing if hi is None else f"{math.ceil(hi * scale - 1e-9) / scale * 100:.{digits}f}%"
    return low, high


def pct(x: float | None, digits: int = 1) -> str:
    """0.9712 -> '97.1%'."""
    return NOT_MEASURED if x is None else f"{x * 100:.{digits}f}%"


def target(x: float | None) -> str:
    """A target share with the digits it needs: 0.95 -> '95%', 0.999 -> '99.9%'."""
    if x is None:
        return NOT_MEASURED
    return f"{x * 100:.2f}".rstrip("0").rstrip(".") + "%"


def count(x: float | None) -> str:
    """A count or an average count: '12', '12.3', '1,204'."""
    if x is None:
        return NOT_MEASURED
    if abs(x - round(x)) < 0.05:
        return f"{round(x):,}"
    return f"{x:,.1f}"


def minutes(x: float | None) -> str:
    """Calendar minutes as a plain number for a table whose header says 'min': '8.5', '1,260'."""
    if x is None:
        return NOT_MEASURED
    return f"{x:,.1f}" if abs(x) < 100 else f"{x:,.0f}"


def duration(x: float | None) -> str:
    """Calendar minutes in words: '45 min', '4.3 h', '2.1 d'."""
    if x is None:
        return NOT_MEASURED
    if x < 90:
        return f"{x:.0f} min" if x >= 10 else f"{x:.1f} min"
    if x < 48 * 60:
        return f"{x / 60:.1f} h"
    return f"{x / 1440:.1f} d"


def number(x: float | None, digits: int = 1) -> str:
    return NOT_MEASURED if x is None else f"{x:,.{digits}f}"


def stamp(t: datetime | None) -> str:
    """'2026-02-10 14:00 -05:00' (no offset for a naive time)."""
    if t is None:
        return NOT_MEASURED
    z = t.strftime("%z")
    return t.strftime("%Y-%m-%d %H:%M") + (f" {z[:3]}:{z[3:5]}" if z else "")

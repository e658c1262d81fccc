"""How numbers read on the page: shares as percentages, counts whole, minutes and ages."""

from __future__ import annotations


def value(x: float | None, unit: str) -> str:
    """A scorecard value as the text scorecard writes it (routing.scorecard): shares as
    "93.1%", counts whole; minutes with one decimal; "-" for nothing measured."""
    if x is None:
        return "-"
    if unit == "count":
        return f"{x:.0f}"
    if unit == "minutes":
        return f"{x:.1f} min"
    return f"{x * 100:.1f}%"


def age(seconds: float) -> str:
    """A span as people say it on a board: "45s", "12m", "1h 12m", "2d 3h"."""
    s = int(abs(seconds))
    if s < 60:
        return f"{s}s"
    m, h, d = s // 60 % 60, s // 3600 % 24, s // 86400
    if d:
        return f"{d}d {h}h"
    if h:
        return f"{h}h {m}m"
    return f"{m}m"


def countdown(seconds: float) -> str:
    """ "due in 1h 12m" before the due time, "breached 20m ago" after it."""
    return f"due in {age(seconds)}" if seconds > 0 else f"breached {age(seconds)} ago"

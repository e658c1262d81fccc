"""One number for a row over many weeks, said with its denominator. The review pack's
baselines and the backtest's side-by-side rows both use it, so a share over a quarter
means the same on both pages.

* A count (`mql_volume`): the mean of the weekly counts.
* A share whose every measured week gives its `n`: pooled, the sum of the weeks' numerators
  (actual x n) over the sum of their `n`. A week of 3 leads weighs 3, one of 300 weighs 300:
  it is the share of the period's leads (or events) that met the commitment.
* A share without `n` (a scorecard from before rows carried it): the mean of the weekly
  shares, said so.

A week with nothing to measure (actual None) counts in neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Pooled(NamedTuple):
    value: float | None
    #: What `value` is, in words, with its numerator and denominator when pooled.
    how: str


def pool(weeks: Sequence[tuple[float | None, int | None]], unit: str = "share") -> Pooled:
    """WEEKS: (actual, n) of one row in each week used."""
    measured = [(a, n) for a, n in weeks if a is not None]
    if not measured:
        return Pooled(None, "nothing measured in the weeks used")
    count = len(measured)
    if unit == "count":
        return Pooled(sum(a for a, _ in measured) / count, f"mean of {count} weekly counts")
    if all(n is not None for _, n in measured):
        total = sum(n or 0 for _, n in measured)
        if not total:
            return Pooled(None, f"n = 0 in {count} {_weeks(count)}")
        numerator = sum(a * (n or 0) for a, n in measured)
        return Pooled(numerator / total,
                      f"pooled: {round(numerator):,} of n = {total:,} in {count} {_weeks(count)}")
    return Pooled(sum(a for a, _ in measured) / count, f"mean of {count} weekly shares")


def _weeks(count: int) -> str:
    return "week" if count == 1 else "weeks"


__all__ = ["Pooled", "pool"]

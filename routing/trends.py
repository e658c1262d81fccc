"""Trends: each commitment and funnel rate over its last periods, and where it is heading.

A pure function of the scorecard's cards (routing.scorecard.WeekCard): a commitment's
trend runs over the periods it is evaluated in (weeks, months or quarters), a funnel
rate's over the weeks (its MQL cohorts). Each point is `{period, actual, n, status}`:
the row's actual, its denominator and status; for a funnel rate the share, its
denominator and "measured" ("n/a" with nothing to measure, or the card's "in progress" /
"partial"). The direction compares the last two points that have a value, leaving out a
period in progress or partial (its numbers are not complete): "up", "down" or "flat".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from routing.funnel import QUALITY, RATES

if TYPE_CHECKING:
    from routing.scorecard import WeekCard

#: How many periods a trend shows at most.
TREND_PERIODS: Final = 12
#: The funnel's trends, in the order shown.
FUNNEL_TRENDS: Final = (*RATES, *QUALITY)
ARROWS: Final = {"up": "↑", "down": "↓", "flat": "→", "": "·"}


@dataclass(frozen=True, slots=True)
class Point:
    period: str
    actual: float | None
    n: int
    status: str


def trends(cards: Sequence[WeekCard], limit: int = TREND_PERIODS) -> dict[str, list[Point]]:
    """name -> its last `limit` points, oldest first: every commitment (by its key), then
    the funnel's rates and shares."""
    out: dict[str, list[Point]] = {}
    for card in cards:
        for row in card.rows:
            out.setdefault(row.commitment, []).append(
                Point(card.label, row.actual, row.n, row.status)
            )
    for card in cards:
        if card.per != "week" or card.funnel is None:
            continue
        for name in FUNNEL_TRENDS:
            share = card.funnel.rate(name)
            status = (
                "in progress" if card.in_progress
                else "partial" if card.partial
                else "measured" if share.n
                else "n/a"
            )  # fmt: skip
            out.setdefault(name, []).append(Point(card.label, share.actual, share.n, status))
    return {name: points[-limit:] for name, points in out.items()}


def direction(points: Sequence[Point]) -> str:
    """ "up", "down" or "flat" from the last two complete points with a value; "" when
    there are fewer than two."""
    done = [p for p in points if p.status not in ("in progress", "partial")]
    values = [p.actual for p in done if p.actual is not None]
    if len(values) < 2:
        return ""
    last, before = values[-1], values[-2]
    if abs(last - before) < 1e-9:
        return "flat"
    return "up" if last > before else "down"


__all__ = ["ARROWS", "FUNNEL_TRENDS", "TREND_PERIODS", "Point", "direction", "trends"]

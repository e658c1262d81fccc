"""The scorecard both teams review: its shape (`WeekCard`, `Row`) and its renderings.

`routing.commitments.Commitments.scorecard` builds the cards (one per week, month or
quarter); this module turns them into an aligned plain-text report (`render_scorecard`)
or JSON-able data (`scorecard_json`, `card_to_json`; the shape: docs/scorecard.md). The
funnel's and the trends' parts are `routing.funnel_view`'s, CSV and Markdown
`routing.scorecard_formats`'. Everything here is deterministic: same cards, same text,
byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from mypy_extensions import mypyc_attr

from routing.funnel import FunnelCard
from routing.funnel_view import funnel_json, funnel_lines, recurring_line, trend_lines
from routing.trends import TREND_PERIODS, trends

__all__ = [
    "Row", "Side", "Status", "WeekCard", "card_to_json", "last_periods", "percentile",
    "render_scorecard", "scorecard_json",
]  # fmt: skip

Side = Literal["marketing", "sales"]
#: "partial": the week began before the first observed instant, so it is shown, not judged.
Status = Literal["met", "missed", "n/a", "in progress", "partial"]
Speed = tuple[int, float | None, float | None]


@mypyc_attr(native_class=False)  # compiled, a frozen native class cannot be unpickled
@dataclass(frozen=True, slots=True)
class Row:
    """One commitment in one week. `actual` is a count (unit "count", e.g. `mql_volume`) or
    a share in [0, 1], None when there was nothing to measure (n/a). `consecutive` is the
    miss streak after this period; `action` the ladder's action for a miss (else None)."""

    commitment: str
    side: Side
    # `int | float`, not `float`: compiled (mypyc), a float-typed value is a C double,
    # so a count target (an int) would come out as 120.0 instead of 120.
    target: int | float
    actual: float | None
    status: Status
    consecutive: int
    action: str | None
    unit: Literal["count", "share"] = "share"
    #: The denominator: the leads (or events) the row counts; for a count, the count.
    n: int = 0
    #: What the row counts and by which rule, in words, with the clock of its window.
    basis: str = ""


@mypyc_attr(native_class=False)  # compiled, a frozen native class cannot be unpickled
@dataclass(frozen=True, slots=True)
class WeekCard:
    """One period (`per`; policy zone) from `start` to `end`, epoch seconds; `first_day`
    and `last_day` its first and last local days. `speed`: tier -> (count, median, p95) of
    calendar minutes from MQL to first touch (None, None without touches; see
    `percentile`); `rejection_reasons`: reason -> count, most frequent first;
    `breaches`: per-lead SLA breaches by commitment key (one verdict per lead)."""

    label: str
    start: float
    end: float
    first_day: date
    last_day: date
    partial: bool
    in_progress: bool
    rows: list[Row]
    speed: dict[str, Speed]
    rejection_reasons: dict[str, int]
    mqls: int
    breaches: dict[str, int]
    #: Dispositions without any touch in the week (first touch stopped, not met).
    closed_untouched: int = 0
    #: Rejections attempted (valid + refused for a missing/unknown reason); refused ones.
    rejections_attempted: int = 0
    rejections_refused: int = 0
    #: Dispositions attempted: valid ones + rejections refused for their reason.
    dispositions_attempted: int = 0
    #: rep -> (first-touch windows met, missed, closed without a touch): each owner's own
    #: windows, a reassignment's new window included (accountability, not tier compliance).
    reps: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    #: "week", "month" or "quarter" (routing.periods); `rows`: the commitments evaluated so.
    per: str = "week"
    #: The cohort of the period's MQLs down the funnel (routing.funnel).
    funnel: FunnelCard | None = None
    #: (reason, weeks running) when one rejection reason has topped the list for three
    #: evaluated weeks or more (a week's card only).
    recurring: tuple[str, int] | None = None


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) of non-empty `values`, linearly interpolated between
    closest ranks (numpy's default, Hyndman & Fan type 7): position p/100 * (n - 1) of the
    sorted values. The median of an even count is the mean of the middle two."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def card_to_json(card: WeekCard, fmt: Callable[[float], str]) -> dict[str, Any]:
    """One card as JSON-able data; `fmt` turns epoch seconds into RFC 3339 text."""
    return {
        "per": card.per,
        "label": card.label,
        "start": fmt(card.start),
        "end": fmt(card.end),
        "first_day": card.first_day.isoformat(),
        "last_day": card.last_day.isoformat(),
        "partial": card.partial,
        "in_progress": card.in_progress,
        "mqls": card.mqls,
        "rows": [asdict(row) for row in card.rows],
        "speed": {
            tier: {"count": n, "median_minutes": med, "p95_minutes": p95}
            for tier, (n, med, p95) in card.speed.items()
        },
        "rejection_reasons": dict(card.rejection_reasons),
        "breaches": dict(card.breaches),
        "closed_untouched": card.closed_untouched,
        "rejections": {
            "attempted": card.rejections_attempted,
            "refused": card.rejections_refused,
            "rate": _ratio(card.rejections_attempted, card.dispositions_attempted),
            "n": card.dispositions_attempted,
        },
        "reps": {
            rep: {"met": met, "missed": missed, "closed_untouched": untouched,
                  "n": met + missed}
            for rep, (met, missed, untouched) in card.reps.items()
        },
        "funnel": funnel_json(card.funnel) if card.funnel is not None else None,
        "recurring_rejection": (
            {"reason": card.recurring[0], "weeks": card.recurring[1]} if card.recurring else None
        ),
    }


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


_KINDS = {"week": "weeks", "month": "months", "quarter": "quarters"}


def last_periods(cards: Sequence[WeekCard], periods: int | None) -> list[WeekCard]:
    """Only the last `periods` cards of each kind (all with None), in the same order."""
    if periods is None:
        return list(cards)
    if periods < 1:
        raise ValueError(f"periods must be 1 or more, got {periods}")
    keep: set[int] = set()
    for per in _KINDS:
        keep.update([i for i, c in enumerate(cards) if c.per == per][-periods:])
    return [c for i, c in enumerate(cards) if i in keep]


def scorecard_json(
    agreement: str,
    timezone: str,
    now: float,
    cards: Sequence[WeekCard],
    fmt: Callable[[float], str],
    periods: int | None = None,
) -> dict[str, Any]:
    """The whole scorecard as JSON-able data: `weeks` (and `months`, `quarters` when a
    commitment is evaluated so), the last `periods` of each; `trends`: name -> the last
    up to 12 points (routing.trends)."""
    out: dict[str, Any] = {"agreement": agreement, "timezone": timezone, "as_of": fmt(now)}
    shown = last_periods(cards, periods)
    for per, key in _KINDS.items():
        of_kind = [card_to_json(c, fmt) for c in shown if c.per == per]
        if of_kind or per == "week":
            out[key] = of_kind
    out["trends"] = {
        name: [asdict(point) for point in points]
        for name, points in trends(cards, TREND_PERIODS).items()
    }
    return out


def _share(x: float) -> str:
    return f"{x * 100:.1f}%"


def _value(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    return f"{x:.0f}" if unit == "count" else _share(x)


def _minutes(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _table(header: list[str], body: list[list[str]], right: set[int]) -> list[str]:
    """Columns padded to their widest cell; columns in `right` are right-aligned."""
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = []
    for line in [header, ["-" * w for w in widths], *body]:
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _render_card(card: WeekCard) -> list[str]:
    state = ""
    if card.in_progress:
        state = "  (in progress)"
    elif card.partial:
        state = f"  (partial {card.per}: shown, not evaluated)"
    title = card.per.capitalize()
    out = [
        f"{title} {card.label}  {card.first_day:%a %Y-%m-%d} .. {card.last_day:%a %Y-%m-%d}"
        f"{state}",
        f"MQLs: {card.mqls}",
        "",
    ]
    if card.recurring is not None:
        out += [recurring_line(card.recurring), ""]
    header = ["side", "commitment", "target", "actual", "n", "status", "breaches", "consecutive"]
    body = [
        [
            row.side,
            row.commitment,
            _value(row.target, row.unit),
            _value(row.actual, row.unit),
            str(row.n),
            row.status,
            str(card.breaches[row.commitment]) if row.commitment in card.breaches else "-",
            str(row.consecutive),
            row.action or "-",
        ]
        for row in card.rows
    ]
    out += _table([*header, "action"], body, right={2, 3, 4, 6, 7})
    out += ["", "Counted (n: the denominator of each row):"]
    out += [f"  {row.commitment}: {row.basis}" for row in card.rows if row.basis]
    out += ["", f"Speed to first touch (calendar minutes, first touches this {card.per})"]
    speed = [[t, str(n), _minutes(med), _minutes(p95)] for t, (n, med, p95) in card.speed.items()]
    out += _table(["tier", "count", "median", "p95"], speed, right={1, 2, 3})
    total = sum(card.rejection_reasons.values())
    rate = _ratio(card.rejections_attempted, card.dispositions_attempted)
    out += [
        "",
        f"Rejection reasons ({total} rejected; {card.rejections_refused} more refused for a "
        f"missing or unknown reason; rejection rate {_value(rate, 'share')} of "
        f"n={card.dispositions_attempted} dispositions attempted)",
    ]
    if total:
        reasons = [[r, str(n), _share(n / total)] for r, n in card.rejection_reasons.items()]
        out += _table(["reason", "count", "share"], reasons, right={1, 2})
    out += ["", f"Closed without a touch: {card.closed_untouched}"]
    if card.reps:
        out += ["", "Per rep: each owner's own first-touch windows (reassignments included)"]
        reps = [
            [rep, str(met + missed), str(met), str(missed), str(untouched)]
            for rep, (met, missed, untouched) in card.reps.items()
        ]
        out += _table(
            ["rep", "windows n", "met", "missed", "closed without a touch"], reps,
            right={1, 2, 3, 4},
        )  # fmt: skip
    if card.funnel is not None:
        out += ["", *funnel_lines(card.funnel, card.per)]
    return out


def render_scorecard(cards: Sequence[WeekCard], periods: int | None = None) -> str:
    """The scorecard as aligned plain text, one block per period (the last `periods` of
    each kind), oldest first: each commitment with target vs actual (shares as %),
    status, per-lead breaches, consecutive misses and the ladder's action; then median
    and p95 speed to first touch per tier; then rejection reasons with their share of
    rejections; then the funnel of the period's MQL cohort. Last, the trend of every
    commitment and funnel rate over up to 12 periods, with its direction."""
    if not cards:
        return "No weeks to show yet.\n"
    blocks = ["\n".join(_render_card(card)) for card in last_periods(cards, periods)]
    blocks.append("\n".join(trend_lines(trends(cards, TREND_PERIODS))))
    return "\n\n".join(blocks) + "\n"

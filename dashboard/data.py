"""What the page shows, read from the scorecard's JSON (`Commitments.to_json`, `/sla`).

Nothing is computed here that the core computes: every rate, status, streak and action
comes from the scorecard as it is. This module only selects: the current period, and
series over the last periods for the charts. It reads today's JSON (`weeks`, each with
`rows`, `speed`, `rejection_reasons`) and the richer one of the scorecard work (issue
12) when it is there: `n` on a row, a `funnel` object per period, `trends.<name>` lists
of `{period, actual, n, status}` (one per commitment, over the periods it is evaluated
in, and one per funnel rate), `months`/`quarters` or `periods` per week/month/quarter.
Without `trends`, the commitments' series are derived from the list of periods and the
funnel rates' from the periods' `funnel` objects (left out when there are none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dashboard.errors import DashboardError

#: How many periods the trend charts show (the brief: 8-12 weeks of trend).
TREND_PERIODS = 12


@dataclass(frozen=True)
class Point:
    period: str
    actual: float | None
    n: int | None
    status: str | None


@dataclass
class Trend:
    name: str
    side: str
    unit: str  # "share" | "count" | "rate"
    target: float | None
    points: list[Point] = field(default_factory=list)


@dataclass
class View:
    agreement: str
    timezone: str
    as_of: str
    period: dict[str, Any] | None  # the current period as the scorecard has it
    previous: dict[str, Any] | None  # the last closed one (None when there is none)
    labels: list[str]  # the last TREND_PERIODS period labels, oldest first
    trends: list[Trend]
    funnel: list[Trend]
    speed: dict[str, dict[str, list[float | None]]]  # tier -> median/p95/count per period
    rejections: dict[str, list[int]]  # reason -> count per period
    periods: list[dict[str, Any]]


def _label(period: dict[str, Any]) -> str:
    return str(period.get("label") or period.get("period") or period.get("start") or "?")


def periods_of(scorecard: dict[str, Any], per: str = "week") -> list[dict[str, Any]]:
    """The scorecard's periods (oldest first): `weeks` today, or `periods` (a list, or one
    list per granularity keyed "week"/"month"/"quarter")."""
    found = scorecard.get("periods")
    if isinstance(found, dict):
        found = found.get(per) or found.get(f"{per}s")
    if found is None:
        found = scorecard.get("weeks")
    if not isinstance(found, list):
        raise DashboardError(
            "scorecard JSON: expected a list under 'weeks' (or 'periods'), "
            f"got {type(found).__name__}"
        )
    return [p for p in found if isinstance(p, dict)]


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _cards(scorecard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every card of the scorecard, weeks first, then months and quarters (each oldest
    first), whichever layout it has (`weeks`/`months`/`quarters`, or `periods`)."""
    out: list[dict[str, Any]] = []
    found = scorecard.get("periods")
    if isinstance(found, dict):
        lists = list(found.values())
    else:
        lists = [found, *(scorecard.get(k) for k in ("weeks", "months", "quarters"))]
    seen: set[int] = set()
    for cards in lists:
        for card in cards if isinstance(cards, list) else []:
            if isinstance(card, dict) and id(card) not in seen:
                seen.add(id(card))
                out.append(card)
    return out


def _rows_by_commitment(scorecard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each commitment's latest row over every card (a monthly commitment has its rows
    in the month cards only): its side, unit and target."""
    rows: dict[str, dict[str, Any]] = {}
    for card in _cards(scorecard):
        for row in card.get("rows", []):
            if isinstance(row, dict) and "commitment" in row:
                rows[str(row["commitment"])] = row
    return rows


def _trends_given(scorecard: dict[str, Any]) -> tuple[list[Trend], list[Trend]] | None:
    """The scorecard's own `trends` (issue 12), as they are: one list per commitment, over
    the periods it is evaluated in, and one per funnel rate or share. Returns the
    commitments' trends and the funnel rates' (a name no card has a row for), each over
    its last TREND_PERIODS points; None when the JSON has no trends."""
    given = scorecard.get("trends")
    if not isinstance(given, dict) or not given:
        return None
    rows = _rows_by_commitment(scorecard)
    commitments: list[Trend] = []
    funnel: list[Trend] = []
    for name, items in given.items():
        if not isinstance(items, list):
            continue
        points = [
            Point(str(i.get("period")), _num(i.get("actual")), i.get("n"), i.get("status"))
            for i in items
            if isinstance(i, dict)
        ][-TREND_PERIODS:]
        row = rows.get(name)
        if row is None:
            funnel.append(Trend(name, "funnel", "share", None, points))
        else:
            commitments.append(
                Trend(name, str(row.get("side", "")), str(row.get("unit", "share")),
                      _num(row.get("target")), points)
            )  # fmt: skip
    return commitments, funnel


def _trends_derived(periods: list[dict[str, Any]], current: dict[str, Any]) -> list[Trend]:
    out = []
    for row in current.get("rows", []):
        name = row["commitment"]
        points = []
        for period in periods:
            match = next((r for r in period.get("rows", []) if r["commitment"] == name), None)
            if match is None:
                points.append(Point(_label(period), None, None, None))
            else:
                points.append(
                    Point(_label(period), _num(match.get("actual")), match.get("n"),
                          match.get("status"))
                )  # fmt: skip
        out.append(
            Trend(name, str(row.get("side", "")), str(row.get("unit", "share")),
                  _num(row.get("target")), points)
        )  # fmt: skip
    return out


def _funnel_rate(value: Any) -> float | None:
    if isinstance(value, dict):
        for key in ("rate", "actual", "share"):
            if key in value:
                return _num(value[key])
        return None
    return value if isinstance(value, float) else None


def _funnel_names(funnel: dict[str, Any]) -> list[str]:
    """The rates and shares of one period's `funnel`: the names its `n` gives a
    denominator for (issue 12's object, where a float may also be a mean score), else
    every value that reads as a rate."""
    given_n = funnel.get("n")
    if isinstance(given_n, dict):
        return [str(k) for k in given_n]
    return [k for k, v in funnel.items() if _funnel_rate(v) is not None]


def _funnel(periods: list[dict[str, Any]]) -> list[Trend]:
    """Rates of the per-period `funnel` objects (floats, or objects with a `rate`), one
    series per name; empty when the scorecard has no funnel. Used when the scorecard has
    no `trends` for them."""
    names: list[str] = []
    for period in periods:
        funnel = period.get("funnel")
        if isinstance(funnel, dict):
            names += [k for k in _funnel_names(funnel) if k not in names]
    out = []
    for name in names:
        points = []
        target = None
        for period in periods:
            funnel = period.get("funnel")
            funnel = funnel if isinstance(funnel, dict) else {}
            value = funnel.get(name)
            n = value.get("n") if isinstance(value, dict) else None
            if n is None and isinstance(funnel.get("n"), dict):
                n = funnel["n"].get(name)
            if isinstance(value, dict) and _num(value.get("target")) is not None:
                target = _num(value.get("target"))
            points.append(Point(_label(period), _funnel_rate(value), n, None))
        if any(p.actual is not None for p in points):
            out.append(Trend(name, "funnel", "share", target, points))
    return out


def view_of(scorecard: dict[str, Any], per: str = "week") -> View:
    """The page's data from a scorecard's JSON; `DashboardError` names what is wrong."""
    if not isinstance(scorecard, dict):
        raise DashboardError(f"scorecard JSON: expected an object, got {type(scorecard).__name__}")
    periods = periods_of(scorecard, per)[-TREND_PERIODS:]
    labels = [_label(p) for p in periods]
    current = periods[-1] if periods else None
    closed = [p for p in periods if not p.get("in_progress")]
    previous = closed[-1] if closed and closed[-1] is not current else None
    given = _trends_given(scorecard)
    if given is not None:
        trends, funnel = given
        funnel = funnel or _funnel(periods)
    else:
        trends = _trends_derived(periods, current) if current is not None else []
        funnel = _funnel(periods)
    tiers: list[str] = []
    for period in periods:
        tiers += [t for t in period.get("speed", {}) if t not in tiers]
    speed: dict[str, dict[str, list[float | None]]] = {}
    for tier in tiers:
        cells = [p.get("speed", {}).get(tier, {}) for p in periods]
        speed[tier] = {
            "median": [_num(c.get("median_minutes")) for c in cells],
            "p95": [_num(c.get("p95_minutes")) for c in cells],
            "count": [_num(c.get("count")) for c in cells],
        }
    reasons: list[str] = []
    for period in periods:
        reasons += [r for r in period.get("rejection_reasons", {}) if r not in reasons]
    rejections = {
        r: [int(p.get("rejection_reasons", {}).get(r, 0)) for p in periods] for r in reasons
    }
    return View(
        agreement=str(scorecard.get("agreement", "")),
        timezone=str(scorecard.get("timezone", "")),
        as_of=str(scorecard.get("as_of", "")),
        period=current,
        previous=previous,
        labels=labels,
        trends=trends,
        funnel=funnel,
        speed=speed,
        rejections=rejections,
        periods=periods,
    )

"""The review pack's numbers, read from a replay's scorecard: the period, each commitment's
measured baseline and trend, misses and the ladder's actions, proposed targets, and the
rejection reasons that rose.

Definitions (each number says what it is, with its denominator):

* The period: the weeks (policy zone, ISO) that start in the `months` calendar months
  before the review it prepares: the last `agreement.review_due` of the history (a
  history runs on with touches and dispositions after the quarter), or `--until`, or,
  with no review due yet, the end of the history's last week.
* Weeks used: the judged weeks of the period (not partial, not in progress); when there
  are none, every week of the period, said so on the pack.
* Baseline (`leadflow.review.pooling.pool`, shared with the backtest): of a count
  (`mql_volume`), the mean of the weekly counts; of a share or a funnel rate, pooled over
  the weeks' `n` (sum of actual x n over sum of n) when the scorecard gives it, else the
  mean of the weekly shares (said so).
* Trend: the least-squares line through the weekly values, as its change over the period.
* Proposed volume: the roundest number in [baseline x 1.10, baseline x 1.15].
* Tighten: a share commitment met in every week of at least three months (13 judged
  weeks), its worst week at least `margin` above its target; proposed: the worst week,
  rounded down to a whole percent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from leadflow.review import ReviewError
from leadflow.review.card import FUNNEL_RATES, Card, CardWeek, funnel_rate
from leadflow.review.pooling import pool
from routing.policy.wording import add_months

VOLUME_BAND = (0.10, 0.15)
TIGHTEN_WEEKS = 13  # three months of weeks
STEPS = ("1000", "500", "250", "100", "50", "25", "10", "5", "1", "0.5", "0.1", "0.05", "0.01")


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    weeks: list[CardWeek]  # every week of the period
    used: list[CardWeek]  # the weeks the baselines are over
    judged: bool  # `used` are judged weeks (else: partial / in progress, said so)


def period(card: Card, months: int, end: date | None = None) -> Period:
    """The weeks that start in the MONTHS calendar months before END (exclusive; by
    default the day after the last week of the scorecard), from the Monday of the week
    END - MONTHS falls in."""
    if months < 1:
        raise ReviewError(f"--months: expected at least 1, got {months}")
    if not card.weeks:
        raise ReviewError("the history has no week to review (no valid input event)")
    weeks = card.weeks
    if end is None:
        end = date.fromisoformat(weeks[-1].last_day) + timedelta(days=1)
    begin = add_months(end, -months)
    begin -= timedelta(days=begin.weekday())  # the Monday of its week
    inside = [w for w in weeks if begin <= date.fromisoformat(w.first_day) < end]
    if not inside:
        raise ReviewError(f"no week of the history starts between {begin} and {end}")
    judged = [w for w in inside if w.closed]
    return Period(
        first_day=date.fromisoformat(inside[0].first_day),
        last_day=date.fromisoformat(inside[-1].last_day),
        weeks=inside,
        used=judged or inside,
        judged=bool(judged),
    )


def roundest(lo: float, hi: float) -> float | None:
    """The number in [lo, hi] with the coarsest step of STEPS (the one nearest the middle
    among that step's multiples); None when even 0.01 has none."""
    if hi < lo:
        return None
    mid = (Decimal(repr(lo)) + Decimal(repr(hi))) / 2
    for text in STEPS:
        step = Decimal(text)
        first = math.ceil(Decimal(repr(lo)) / step)
        last = math.floor(Decimal(repr(hi)) / step)
        if first <= last:
            k = min(range(first, last + 1), key=lambda m: (abs(m * step - mid), m))
            return float(k * step)
    return None


def _slope(values: list[float]) -> float | None:
    n = len(values)
    if n < 2:
        return None
    xm = (n - 1) / 2
    ym = sum(values) / n
    den = sum((i - xm) ** 2 for i in range(n))
    return sum((i - xm) * (v - ym) for i, v in enumerate(values)) / den


def _series(card: Card, used: list[CardWeek], key: str) -> list[tuple[str, float | None]]:
    """The weekly values of KEY over the weeks used: from `trends.<key>` when the scorecard
    has it, else from the weeks' rows."""
    labels = [w.label for w in used]
    trend = card.trends.get(key)
    if trend:
        by = {str(p.get("period")): p.get("actual") for p in trend}
        if all(label in by for label in labels):
            return [(label, by[label]) for label in labels]
    out: list[tuple[str, float | None]] = []
    for w in used:
        row = w.rows.get(key)
        out.append((w.label, row.actual if row is not None else None))
    return out


def commitment_baselines(card: Card, p: Period) -> list[dict[str, Any]]:
    out = []
    for key in card.commitments:
        rows = [w.rows[key] for w in p.used if key in w.rows]
        if not rows:
            continue
        unit, side, target = rows[-1].unit, rows[-1].side, rows[-1].target
        series = _series(card, p.used, key)
        values = [v for _, v in series if v is not None]
        base, how = pool([(r.actual, r.n) for r in rows], unit)
        slope = _slope(values)
        change = None if slope is None else slope * (len(values) - 1)
        statuses = [r.status for r in rows]
        out.append(
            {
                "commitment": key,
                "side": side,
                "unit": unit,
                "target": target,
                "baseline": base,
                "how": how,
                "min": min(values) if values else None,
                "max": max(values) if values else None,
                "series": [{"period": label, "actual": v} for label, v in series],
                "trend_change": change,
                "trend": _direction(change, base, unit),
                "weeks": len(rows),
                "met": statuses.count("met"),
                "missed": statuses.count("missed"),
                "longest_streak": max((r.consecutive for r in rows), default=0),
                "actions": sorted({r.action for r in rows if r.action}),
            }
        )
    return out


def _direction(change: float | None, base: float | None, unit: str) -> str:
    if change is None:
        return "n/a (one week)"
    flat = 0.05 * abs(base or 0.0) if unit == "count" else 0.02
    if abs(change) <= flat:
        return "flat"
    return "rising" if change > 0 else "falling"


def funnel_baselines(card: Card, p: Period) -> list[dict[str, Any]]:
    """Each funnel rate over the weeks used (when the scorecard has a funnel): pooled over
    the weeks' cohorts by the rate's `n` (`pool`)."""
    if not card.has_funnel:
        return []
    out = []
    for name in FUNNEL_RATES:
        series = [(w.label, funnel_rate(w, name)[0]) for w in p.used]
        values = [v for _, v in series if v is not None]
        slope = _slope(values)
        change = None if slope is None else slope * (len(values) - 1)
        base, how = pool([funnel_rate(w, name) for w in p.used])
        out.append(
            {
                "rate": name,
                "baseline": base,
                "how": how,
                "series": [{"period": label, "actual": v} for label, v in series],
                "trend_change": change,
                "trend": _direction(change, None, "share"),
            }
        )
    return out


def proposals(base: list[dict[str, Any]], p: Period, margin: float) -> list[dict[str, Any]]:
    out = []
    lo_k, hi_k = VOLUME_BAND
    for b in base:
        value = b["baseline"]
        if value is None:
            continue
        if b["unit"] == "count":
            lo, hi = value * (1 + lo_k), value * (1 + hi_k)
            proposed = roundest(lo, hi)
            whole = proposed is not None and float(proposed).is_integer()
            out.append(
                {
                    "commitment": b["commitment"],
                    "kind": "volume",
                    "current": b["target"],
                    "baseline": value,
                    "band": [lo, hi],
                    "proposed": proposed,
                    "why": f"baseline {value:.1f} a week + 10-15%",
                    "note": "" if whole else
                    "no whole number lies in the band: the baseline is too small for the "
                    "policy's whole-MQL target to sit in it",
                }
            )
            continue
        weeks = [s["actual"] for s in b["series"]]
        judged = p.judged and len(weeks) >= TIGHTEN_WEEKS and b["met"] == b["weeks"]
        worst = b["min"]
        if judged and worst is not None and worst >= b["target"] + margin and b["target"] < 1:
            out.append(
                {
                    "commitment": b["commitment"],
                    "kind": "tighten",
                    "current": b["target"],
                    "baseline": value,
                    "worst_week": worst,
                    "proposed": math.floor(worst * 100 + 1e-9) / 100,
                    "why": f"met in all {b['weeks']} weeks; the worst week beat the target "
                    f"by {100 * (worst - b['target']):.1f} points",
                    "note": "",
                }
            )
    return out


def reasons_rose(p: Period, threshold: float = 0.02) -> dict[str, Any]:
    """Rejection reasons' share of rejections in the first and second half of the weeks
    used; 'rose' when the share grew by at least THRESHOLD."""
    used = p.used
    if len(used) < 2:
        return {"compared": False, "rows": [], "halves": []}
    half = len(used) // 2
    first, second = used[:half], used[half:]

    def tally(weeks: list[CardWeek]) -> dict[str, int]:
        out: dict[str, int] = {}
        for w in weeks:
            for reason, n in w.rejection_reasons.items():
                out[reason] = out.get(reason, 0) + n
        return out

    a, b = tally(first), tally(second)
    ta, tb = sum(a.values()), sum(b.values())
    rows: list[dict[str, Any]] = []
    for reason in sorted(set(a) | set(b)):
        sa = a.get(reason, 0) / ta if ta else 0.0
        sb = b.get(reason, 0) / tb if tb else 0.0
        rows.append(
            {
                "reason": reason,
                "before": a.get(reason, 0),
                "before_share": sa,
                "after": b.get(reason, 0),
                "after_share": sb,
                "change": sb - sa,
                "rose": sb - sa >= threshold,
            }
        )
    rows.sort(key=lambda r: (-r["change"], r["reason"]))
    return {
        "compared": True,
        "halves": [
            f"{first[0].label}..{first[-1].label} ({ta} rejected)",
            f"{second[0].label}..{second[-1].label} ({tb} rejected)",
        ],
        "rows": rows,
    }


def ladder(periods: list[dict[str, Any]], p: Period) -> list[dict[str, Any]]:
    labels = {w.label for w in p.weeks}
    return [
        {
            "period": d["period"],
            "commitment": d["commitment"],
            "side": d["side"],
            "consecutive": d["consecutive"],
            "action": d.get("action"),
            "notify": list(d.get("notify", [])),
            "target": d.get("target"),
            "actual": d.get("actual"),
        }
        for d in periods
        if d.get("period") in labels
    ]

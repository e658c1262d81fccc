"""The page's charts as data for the browser (uPlot draws them) and their text alternatives.

A chart is a dict: `id`, `title`, `labels` (periods), `unit` ("share", "count",
"minutes"), `series` (label, values, colour, dashed); `alt` says in one sentence what it
shows, and `table` is the same numbers as rows (the page puts both next to the canvas).
Colours: the simulator report's palette (simulator.report.figure.PALETTE, Okabe-Ito,
colour-blind safe; copied, not imported, so the worker does not load matplotlib; a test
keeps the two equal), the target line always its vermillion, dashed.
"""

from __future__ import annotations

from typing import Any

from dashboard.data import Trend, View
from dashboard.fmt import value

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
TARGET_COLOUR = PALETTE[5]  # vermillion, dashed: the target line on every chart
Chart = dict[str, Any]


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").lower()


def _alt_trend(trend: Trend) -> str:
    known = [(p.period, p.actual, p.n, p.status) for p in trend.points if p.actual is not None]
    unit = "count" if trend.unit == "count" else "share"
    head = f"{trend.name}: {unit} per period over the last {len(trend.points)} periods"
    if trend.target is not None:
        head += f", target {value(trend.target, trend.unit)}"
    if not known:
        return head + "; nothing measured yet."
    period, actual, n, status = known[-1]
    last = f"latest {period} {value(actual, trend.unit)}"
    if n is not None:
        last += f" (n={n})"
    if status:
        last += f", {status}"
    lo = min(known, key=lambda k: k[1] if k[1] is not None else 0.0)
    hi = max(known, key=lambda k: k[1] if k[1] is not None else 0.0)
    met = sum(1 for k in known if k[3] == "met")
    judged = sum(1 for k in known if k[3] in ("met", "missed"))
    tail = (
        f"; lowest {value(lo[1], trend.unit)} in {lo[0]}, "
        f"highest {value(hi[1], trend.unit)} in {hi[0]}"
    )
    if judged:
        tail += f"; met in {met} of {judged} periods judged"
    return f"{head}; {last}{tail}."


def trend_chart(trend: Trend, prefix: str = "trend") -> Chart:
    labels = [p.period for p in trend.points]
    series: list[dict[str, Any]] = [
        {"label": "actual", "values": [p.actual for p in trend.points], "color": PALETTE[0]}
    ]
    if trend.target is not None:
        series.append(
            {"label": "target", "values": [trend.target] * len(labels), "color": TARGET_COLOUR,
             "dash": True}
        )  # fmt: skip
    rows = [
        [p.period, value(p.actual, trend.unit), "-" if p.n is None else str(p.n), p.status or "-"]
        for p in trend.points
    ]
    return {
        "id": f"{prefix}-{_slug(trend.name)}",
        "title": trend.name,
        "side": trend.side,
        "labels": labels,
        "unit": "count" if trend.unit == "count" else "share",
        "series": series,
        "alt": _alt_trend(trend),
        "table": {"head": ["period", "actual", "n", "status"], "rows": rows},
    }


def speed_chart(view: View, tier: str) -> Chart:
    cells = view.speed[tier]
    med, p95, count = cells["median"], cells["p95"], cells["count"]
    rows = [
        [label, value(m, "minutes"), value(p, "minutes"), "-" if c is None else f"{c:.0f}"]
        for label, m, p, c in zip(view.labels, med, p95, count, strict=True)
    ]
    known = [
        (label, m, p) for label, m, p in zip(view.labels, med, p95, strict=True) if m is not None
    ]
    alt = f"Speed to first touch, {tier}: median and p95 in minutes over {len(view.labels)} periods"
    if known:
        label, m, p = known[-1]
        alt += f"; latest {label} median {value(m, 'minutes')}, p95 {value(p, 'minutes')}."
    else:
        alt += "; no first touches yet."
    return {
        "id": f"speed-{_slug(tier)}",
        "title": f"Speed to first touch: {tier}",
        "labels": view.labels,
        "unit": "minutes",
        "series": [
            {"label": "median", "values": med, "color": PALETTE[0]},
            {"label": "p95", "values": p95, "color": PALETTE[1]},
        ],
        "alt": alt,
        "table": {"head": ["period", "median", "p95", "touches"], "rows": rows},
    }


def rejection_chart(view: View) -> Chart:
    reasons = list(view.rejections)
    series = [
        {"label": r, "values": [float(n) for n in view.rejections[r]],
         "color": PALETTE[i % len(PALETTE)]}
        for i, r in enumerate(reasons)
    ]  # fmt: skip
    rows = [
        [label, *[str(view.rejections[r][i]) for r in reasons]]
        for i, label in enumerate(view.labels)
    ]
    totals = {r: sum(v) for r, v in view.rejections.items()}
    if totals:
        top = max(totals, key=lambda r: (totals[r], r))
        alt = (
            f"Rejection reasons per period over {len(view.labels)} periods: "
            f"{sum(totals.values())} rejections, most often {top} ({totals[top]})."
        )
    else:
        alt = f"Rejection reasons per period over {len(view.labels)} periods: no rejections."
    return {
        "id": "rejections",
        "title": "Rejection reasons per period",
        "labels": view.labels,
        "unit": "count",
        "series": series,
        "alt": alt,
        "table": {"head": ["period", *reasons], "rows": rows},
    }


def charts_of(view: View) -> dict[str, list[Chart]]:
    """The page's charts by section: commitment trends, funnel rates, speed, rejections."""
    return {
        "trends": [trend_chart(t) for t in view.trends],
        "funnel": [trend_chart(t, "funnel") for t in view.funnel],
        "speed": [speed_chart(view, tier) for tier in view.speed],
        "rejections": [rejection_chart(view)] if view.rejections else [],
    }

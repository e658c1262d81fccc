"""Outcome figures: follow-up and disposition, marketing's MQL commitment, pipeline decay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulator.report import fmt
from simulator.report.data import mapping, num, numbers, tier_names, when
from simulator.report.figure import (
    BAD,
    INK,
    OK,
    PALETTE,
    Plot,
    colours,
    duration_axis,
    percent_axis,
    render,
    share_log_axis,
)


def follow_up(result: Any) -> Plot | None:
    """Follow-up completion and disposition within window; the disposition outcomes."""
    rates = [(label, v) for label, v in (
        ("follow-up cadence\ncompleted", num(result, "follow_up", "completion")),
        ("dispositioned\nwithin window", num(result, "disposition", "within_window")),
    ) if v is not None]
    outcomes = sorted(((k, v) for k, x in mapping(result, "disposition", "outcomes").items()
                       if (v := num({"v": x}, "v")) is not None), key=lambda kv: kv[1])
    if not rates and not outcomes:
        return None
    panels = [p for p in (("rates", rates), ("outcomes", outcomes)) if p[1]]

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, len(panels), squeeze=False)
        for ax, (kind, rows) in zip(axes.flat, panels, strict=True):
            names, vals = [n for n, _ in rows], [v * 100 for _, v in rows]
            colour = PALETTE[0] if kind == "rates" else PALETTE[2]
            bars = ax.barh(names, vals, color=colour, height=0.6)
            ax.bar_label(bars, labels=[fmt.pct(v) for _, v in rows], padding=3, fontsize=8)
            percent_axis(ax, axis="x", top=110)
            ax.grid(axis="y", visible=False)
            if kind == "rates":
                ax.set_title("Follow-up and disposition")
                ax.set_xlabel("share of leads due (%)")
            else:
                ax.set_title("Disposition outcomes")
                ax.set_xlabel("share of dispositioned leads (%)")

    words = [f"{n.replace(chr(10), ' ')} {fmt.pct(v)}" for n, v in rates]
    words += [f"{n} {fmt.pct(v)}" for n, v in reversed(outcomes)]
    alt = "Horizontal bar charts of follow-up and disposition: " + ", ".join(words)
    return render("follow_up", alt, 10.0, max(2.4, 0.8 + 0.3 * len(outcomes)), draw)


def marketing(result: Any) -> Plot | None:
    """MQLs per week as bars against marketing's weekly commitment."""
    weeks = [v for v in numbers(mapping(result, "marketing").get("mqls_per_week"))]
    if not weeks:
        return None
    commitment = num(result, "marketing", "commitment")
    start = when(mapping(result, "scenario").get("start"))
    ys = [v or 0.0 for v in weeks]
    labels = [(start + timedelta(weeks=i)).strftime("%b %d") if start else f"w{i + 1}"
              for i in range(len(ys))]
    below = [commitment is not None and v < commitment for v in ys]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        ax.bar(range(len(ys)), ys, color=[BAD if b else OK for b in below], width=0.7)
        handles = []
        if commitment is not None:
            ax.axhline(commitment, color=INK, linestyle="--", linewidth=1.6)
            handles.append(Line2D([], [], color=INK, linestyle="--",
                                  label=f"commitment {fmt.count(commitment)} MQLs/week"))
        ax.set_xticks(range(len(ys)), labels, rotation=45 if len(ys) > 8 else 0, ha="right"
                      if len(ys) > 8 else "center")
        ax.set_xlabel("week starting" if start else "week")
        ax.set_ylabel("MQLs per week")
        ax.set_title("Marketing: MQLs delivered per week vs commitment")
        ax.set_ylim(0, max([*ys, commitment or 0.0]) * 1.18)
        if handles:
            ax.legend(handles=handles, loc="upper right")

    n_below = sum(below)
    alt = (f"Bar chart of MQLs per week over {len(ys)} weeks, mean {sum(ys) / len(ys):.1f}"
           + (f", against a commitment of {fmt.count(commitment)}; {n_below} weeks below it"
              if commitment is not None else ""))
    return render("marketing", alt, 5.4, 3.6, draw)


def decay(t: np.ndarray, w: float, h1: float, h2: float, alpha: float) -> np.ndarray:
    """q(t)**alpha with q(t) = w*2^(-t/h1) + (1-w)*2^(-t/h2), t in calendar minutes."""
    q = w * np.power(2.0, -t / h1) + (1 - w) * np.power(2.0, -t / h2)
    return np.asarray(np.power(q, alpha))


def pipeline(result: Any) -> Plot | None:
    """The decay curve q(t)**alpha, with each tier's p50 and p95 speed marked on it."""
    w, h1, h2 = (num(result, "pipeline", "curve", k) for k in ("w", "h1", "h2"))
    if w is None or not h1 or not h2 or h1 <= 0 or h2 <= 0:
        return None
    alpha = num(result, "pipeline", "alpha") or 1.0
    lost = num(result, "pipeline", "lost_to_slow_response")
    tiers = tier_names(result)
    colour = colours(tiers)
    marks = [(t, p, v) for t in tiers for p in ("p50", "p95")
             if (v := num(result, "tiers", t, "first_touch_minutes", p)) is not None and v > 0]
    high = max([2880.0, *(v * 1.5 for *_, v in marks)])

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        t = np.geomspace(0.5, high, 400)
        ax.plot(t, decay(t, w, h1, h2, alpha) * 100, color=INK, linewidth=1.8,
                label=f"q(t)^{alpha:g}")
        for tier, p, v in marks:
            y = float(decay(np.array([v]), w, h1, h2, alpha)[0]) * 100
            ax.plot([v], [y], marker="o" if p == "p50" else "^", markersize=8,
                    color=colour[tier], markeredgecolor="white", linestyle="none")
        duration_axis(ax, 0.5, high, axis="x")
        share_log_axis(ax, float(decay(np.array([high]), w, h1, h2, alpha)[0]))
        ax.set_xlabel("calendar time from MQL to first touch (log scale)")
        ax.set_ylabel("conversion kept vs an instant touch (log)")
        ax.set_title("Pipeline decay with response time")
        handles = [Line2D([], [], color=INK, label=f"q(t)^{alpha:g}")]
        handles += [Line2D([], [], color=colour[t], marker="s", linestyle="none", label=t)
                    for t in dict.fromkeys(t for t, _, _ in marks)]
        handles += [Line2D([], [], color="#777", marker=m, linestyle="none", label=lab)
                    for m, lab in (("o", "p50"), ("^", "p95"))]
        ax.legend(handles=handles, loc="lower left", ncols=2)
        if lost is not None:
            ax.text(0.97, 0.95, f"pipeline lost to\nslow response: {fmt.pct(lost)}",
                    transform=ax.transAxes, fontsize=11, fontweight="bold", color=BAD,
                    ha="right", va="top")

    alt = (f"Line chart of the pipeline decay curve q(t) = {w:g}*2^(-t/{h1:g}) + "
           f"{1 - w:g}*2^(-t/{h2:g}), damping exponent {alpha:g}, with each tier's p50 and "
           f"p95 speed to lead marked; pipeline lost to slow response {fmt.pct(lost)}")
    return render("pipeline", alt, 5.4, 4.2, draw)

"""Per-tier figures: compliance against target, speed-to-lead percentiles, distributions."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulator.report import fmt
from simulator.report.data import mapping, num, numbers, pair, shortfalls, tier_names
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
)

PERCENTILES = ("p50", "p95", "p99")


def compliance(result: Any) -> Plot | None:
    """Bars of the share within the SLA per tier, 95% CI error bars, target markers."""
    tiers = [t for t in tier_names(result)
             if num(result, "tiers", t, "first_touch_within_sla") is not None]
    if not tiers:
        return None
    short = {s.tier for s in shortfalls(result)}
    shares = [num(result, "tiers", t, "first_touch_within_sla") or 0.0 for t in tiers]
    cis = [pair(result, "tiers", t, "first_touch_within_sla_ci95") for t in tiers]
    targets = [num(result, "targets", t) for t in tiers]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        x = range(len(tiers))
        ax.bar(x, [s * 100 for s in shares], width=0.6,
               color=[BAD if t in short else OK for t in tiers])
        for i, (s, ci) in enumerate(zip(shares, cis, strict=True)):
            if ci:
                lo, hi = max(0.0, s - ci[0]), max(0.0, ci[1] - s)
                ax.errorbar(i, s * 100, yerr=[[lo * 100], [hi * 100]], color=INK,
                            capsize=5, linewidth=1.4)
            ax.annotate(fmt.pct(s), (i, s * 50), ha="center", va="center", color="white",
                        fontweight="bold", fontsize=10)
        for i, target in enumerate(targets):
            if target is not None:
                ax.hlines(target * 100, i - 0.42, i + 0.42, colors=INK, linewidth=2.5,
                          linestyles="--")
        ax.set_xticks(list(x), tiers)
        percent_axis(ax, top=105)
        ax.set_ylabel("first touches within SLA (% of leads)")
        ax.set_xlabel("tier")
        ax.set_title("Share of first touches within the SLA, by tier")
        ax.legend(handles=[
            Patch(color=OK, label="meets target"), Patch(color=BAD, label="misses target"),
            Line2D([], [], color=INK, linestyle="--", linewidth=2.5, label="target"),
            Line2D([], [], color=INK, marker="|", markersize=10, linestyle="none",
                   label="95% CI over replications"),
        ], loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=4, fontsize=8,
            handlelength=1.6, columnspacing=1.0)

    parts = []
    for t, s, ci, target in zip(tiers, shares, cis, targets, strict=True):
        bit = f"{t} {fmt.pct(s)}"
        if ci:
            bit += f" (95% CI {fmt.pct(ci[0])} to {fmt.pct(ci[1])})"
        if target is not None:
            bit += f", target {fmt.target(target)}"
        parts.append(bit)
    alt = "Bar chart of the share of first touches within the SLA per tier: " + "; ".join(parts)
    return render("compliance", alt, 5.4, 4.0, draw)


def speed(result: Any) -> Plot | None:
    """Grouped bars of speed-to-lead p50/p95/p99 per tier, log minutes."""
    tiers = [t for t in tier_names(result)
             if any(num(result, "tiers", t, "first_touch_minutes", p) is not None
                    for p in PERCENTILES)]
    if not tiers:
        return None
    values = {t: [num(result, "tiers", t, "first_touch_minutes", p) for p in PERCENTILES]
              for t in tiers}
    present = [v for vs in values.values() for v in vs if v is not None and v > 0]
    low = min([1.0, *present]) / 2
    high = max([60.0, *present]) * 2

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        width = 0.26
        for j, p in enumerate(PERCENTILES):
            xs = [i + (j - 1) * width for i in range(len(tiers))]
            ys = [values[t][j] or 0.0 for t in tiers]
            ax.bar(xs, ys, width=width * 0.95, color=PALETTE[j], label=p)
        ax.set_xticks(range(len(tiers)), tiers)
        duration_axis(ax, low, high * 4)
        ax.set_ylabel("calendar time from MQL to first touch (log scale)")
        ax.set_xlabel("tier")
        ax.set_title("Speed to lead: median, 95th and 99th percentile")
        ax.legend(title="percentile", loc="upper left", ncols=3)

    parts = [f"{t} p50 {fmt.duration(v[0])}, p95 {fmt.duration(v[1])}, p99 {fmt.duration(v[2])}"
             for t, v in values.items()]
    alt = "Bar chart of speed to lead per tier in calendar time: " + "; ".join(parts)
    return render("speed", alt, 5.4, 4.0, draw)


def distributions(result: Any) -> Plot | None:
    """Per tier: histogram of minutes to first touch (share of leads) and its CDF."""
    hists = mapping(result, "histograms", "first_touch_minutes")
    tiers = [t for t in tier_names(result) + list(hists) if _hist(hists.get(t))]
    tiers = list(dict.fromkeys(tiers))
    if not tiers:
        return None
    colour = colours(tier_names(result) or tiers)
    cols = min(len(tiers), 2)
    rows = math.ceil(len(tiers) / cols)

    def draw(fig: Figure) -> None:
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.flat[len(tiers):]:
            ax.set_visible(False)
        for ax, tier in zip(axes.flat, tiers, strict=False):
            edges, counts = _hist(hists[tier]) or ([], [])
            total = sum(counts) or 1.0
            shares = [c / total * 100 for c in counts]
            lefts, widths = edges[:-1], [b - a for a, b in pairwise(edges)]
            ax.bar(lefts, shares, width=widths, align="edge", color=colour.get(tier, PALETTE[0]),
                   edgecolor="white", linewidth=0.5, label="share of leads per bin")
            duration_axis(ax, edges[0], edges[-1], axis="x",
                          linthresh=max(edges[1] - edges[0], 1.0), sparse=True)
            ax.set_ylabel("leads in bin (%)")
            ax.set_xlabel("calendar time from MQL to first touch (log scale above "
                          f"{fmt.duration(max(edges[1] - edges[0], 1.0))})")
            ax.set_title(f"{tier}: time to first touch")
            cdf = ax.twinx()
            acc, run = [0.0], 0.0
            for s in shares:
                run += s
                acc.append(run)
            cdf.plot(edges, acc, color=INK, linewidth=1.5, label="cumulative share")
            cdf.set_ylim(0, 102)
            cdf.set_ylabel("cumulative share (%)")
            cdf.grid(False)
            cdf.spines["right"].set_visible(True)
            if ax is axes.flat[0]:
                handles = ax.get_legend_handles_labels()[0] + cdf.get_legend_handles_labels()[0]
                fig.legend(handles=handles, loc="outside upper center", ncols=2)

    alt = ("Histograms with cumulative curves of calendar minutes from MQL to first touch, "
           "one panel per tier: " + ", ".join(tiers))
    return render("distributions", alt, 10.0, 3.2 * rows, draw)


def _hist(h: Any) -> tuple[list[float], list[float]] | None:
    """Valid (edges, counts) with len(edges) == len(counts) + 1, increasing edges; else None."""
    edges, counts = numbers(mapping({"h": h}, "h").get("edges")), numbers(
        mapping({"h": h}, "h").get("counts"))
    if len(counts) < 1 or len(edges) != len(counts) + 1 or None in edges or None in counts:
        return None
    e = [float(v) for v in edges if v is not None]
    c = [float(v) for v in counts if v is not None]
    if any(b <= a for a, b in pairwise(e)) or sum(c) <= 0:
        return None
    return e, c

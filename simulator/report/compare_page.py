"""Scenarios side by side as a page: per-tier compliance, speed-to-lead percentiles, and
the queues over time overlaid, plus the comparison table.

``results`` maps each scenario's name to its results dict (what `leadflow compare --json`
writes); any field may be missing, and the page then says "not measured".
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulator.report import fmt, sections
from simulator.report.data import get, mapping, num, numbers, pair, when
from simulator.report.figure import (
    INK,
    Plot,
    colours,
    date_axis,
    datenums,
    duration_axis,
    offset_name,
    percent_axis,
    render,
)
from simulator.report.page import figure, page, section, write

PERCENTILES = ("p50", "p95", "p99")


def _tiers(results: dict[str, Any]) -> list[str]:
    names = [t for r in results.values() for t in [*mapping(r, "targets"), *mapping(r, "tiers")]]
    return list(dict.fromkeys(names))


def compliance(results: dict[str, Any]) -> Plot | None:
    """Grouped bars: per tier, one bar per scenario with its 95% CI; targets as dashes."""
    tiers = [t for t in _tiers(results)
             if any(num(r, "tiers", t, "first_touch_within_sla") is not None
                    for r in results.values())]
    if not tiers:
        return None
    names = list(results)
    colour = colours(names)
    width = 0.8 / len(names)

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        for j, name in enumerate(names):
            r = results[name]
            for i, tier in enumerate(tiers):
                share = num(r, "tiers", tier, "first_touch_within_sla")
                if share is None:
                    continue
                x = i - 0.4 + width * (j + 0.5)
                ax.bar(x, share * 100, width=width * 0.92, color=colour[name],
                       label=name if i == 0 else None)
                ci = pair(r, "tiers", tier, "first_touch_within_sla_ci95")
                if ci:
                    ax.errorbar(x, share * 100, yerr=[[max(0.0, share - ci[0]) * 100],
                                                      [max(0.0, ci[1] - share) * 100]],
                                color=INK, capsize=3, linewidth=1.0)
                target = num(r, "targets", tier)
                if target is not None:
                    ax.hlines(target * 100, x - width / 2, x + width / 2, colors=INK,
                              linewidth=2.2, linestyles="--")
        ax.set_xticks(range(len(tiers)), tiers)
        percent_axis(ax, top=105)
        ax.set_xlabel("tier")
        ax.set_ylabel("first touches within SLA (% of leads)")
        ax.set_title("Share of first touches within the SLA, by tier and scenario")
        handles = [*ax.get_legend_handles_labels()[0],
                   Line2D([], [], color=INK, linestyle="--", linewidth=2.2, label="target"),
                   Line2D([], [], color=INK, marker="|", markersize=9, linestyle="none",
                          label="95% CI")]
        fig.legend(handles=handles, loc="outside right upper", fontsize=8)

    words = [f"{t}: " + ", ".join(
        f"{n} {fmt.pct(num(results[n], 'tiers', t, 'first_touch_within_sla'))}" for n in names)
        for t in tiers]
    alt = "Grouped bar chart of the share of first touches within the SLA: " + "; ".join(words)
    return render("compare_compliance", alt, 10.0, 4.0, draw)


def speed(results: dict[str, Any]) -> Plot | None:
    """One panel per percentile (p50, p95, p99): per tier, one bar per scenario, log time."""
    tiers = [t for t in _tiers(results)
             if any(num(r, "tiers", t, "first_touch_minutes", p) is not None
                    for r in results.values() for p in PERCENTILES)]
    if not tiers:
        return None
    names = list(results)
    colour = colours(names)
    width = 0.8 / len(names)
    present = [v for r in results.values() for t in tiers for p in PERCENTILES
               if (v := num(r, "tiers", t, "first_touch_minutes", p)) is not None and v > 0]
    low, high = min([1.0, *present]) / 2, max([60.0, *present]) * 4

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, len(PERCENTILES), sharey=True)
        for ax, p in zip(axes, PERCENTILES, strict=True):
            for j, name in enumerate(names):
                xs = [i - 0.4 + width * (j + 0.5) for i in range(len(tiers))]
                ys = [num(results[name], "tiers", t, "first_touch_minutes", p) or 0.0
                      for t in tiers]
                ax.bar(xs, ys, width=width * 0.92, color=colour[name], label=name)
            ax.set_xticks(range(len(tiers)), tiers, rotation=30, ha="right")
            duration_axis(ax, low, high, sparse=True)
            ax.set_title(f"{p} speed to lead")
        axes[0].set_ylabel("calendar time from MQL to first touch (log)")
        handles = axes[0].get_legend_handles_labels()[0]
        fig.legend(handles=handles, loc="outside upper center", ncols=len(names))

    words = [f"{n}: " + ", ".join(
        f"{t} " + "/".join(fmt.duration(num(results[n], "tiers", t, "first_touch_minutes", p))
                           for p in PERCENTILES) for t in tiers) for n in names]
    alt = ("Bar charts of speed to lead (p50/p95/p99) per tier and scenario: "
           + "; ".join(words))
    return render("compare_speed", alt, 10.0, 3.8, draw)


def queues(results: dict[str, Any]) -> Plot | None:
    """Queue depth over time, one panel per pool, one line per scenario."""
    series: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    tz = None
    label = "time"
    for name, r in results.items():
        raw = get(r, "series", "t")
        times = [when(v) for v in raw] if isinstance(raw, list) else []
        if not times or None in times:
            continue
        stamps = [t for t in times if t is not None]
        tz, label = stamps[0].tzinfo, f"time ({offset_name(stamps[0])})"
        xs = datenums(stamps)
        for pool, q in mapping(r, "series", "queue").items():
            ys = numbers(q)
            if len(ys) == len(xs):
                series.setdefault(pool, {})[name] = (xs, [v if v is not None else float("nan")
                                                          for v in ys])
    if not series:
        return None
    colour = colours(list(results))

    def draw(fig: Figure) -> None:
        axes = fig.subplots(len(series), 1, sharex=True, squeeze=False)
        for ax, (pool, lines) in zip(axes.flat, series.items(), strict=True):
            for name, (xs, ys) in lines.items():
                ax.plot(xs, ys, color=colour[name], linewidth=0.9, label=name)
            peak = max((v for _, ys in lines.values() for v in ys if v == v), default=0.0)
            ax.set_ylim(0, peak * 1.08 if peak > 0 else 1.0)
            ax.set_ylabel(f"{pool}\nleads waiting")
        axes.flat[0].set_title("Queue depth over time (mean over replications)")
        fig.legend(handles=axes.flat[0].get_legend_handles_labels()[0],
                   loc="outside upper right", ncols=len(results))
        axes.flat[-1].set_xlabel(label)
        date_axis(axes.flat[-1], tz)

    words = [f"{pool}: " + ", ".join(f"{n} peaks at {fmt.number(max(ys, default=0.0))}"
                                     for n, (_, ys) in lines.items())
             for pool, lines in series.items()]
    alt = "Line charts of queue depth over time per pool, scenarios overlaid: " + "; ".join(words)
    return render("compare_queues", alt, 10.0, 0.8 + 1.8 * len(series), draw)


ROWS: tuple[tuple[str, Callable[[Any, str], str]], ...] = (
    ("within SLA", lambda r, t: fmt.pct(num(r, "tiers", t, "first_touch_within_sla"))),
    ("p50", lambda r, t: fmt.duration(num(r, "tiers", t, "first_touch_minutes", "p50"))),
    ("p95", lambda r, t: fmt.duration(num(r, "tiers", t, "first_touch_minutes", "p95"))),
    ("breaches", lambda r, t: fmt.count(num(r, "tiers", t, "breaches"))),
)


def comparison_table(results: dict[str, Any]) -> str:
    """Rows of measures, one column per scenario."""
    names = list(results)
    pools = list(dict.fromkeys(p for r in results.values() for p in mapping(r, "pools")))
    rows = [[f"{t} {label}", *(cell(results[n], t) for n in names)]
            for t in _tiers(results) for label, cell in ROWS]
    for p in pools:
        rows.append([f"{p} utilisation",
                     *(fmt.pct(num(results[n], "pools", p, "utilization")) for n in names)])
        rows.append([f"{p} surge hours",
                     *(fmt.number(num(results[n], "surge", "hours", p)) for n in names)])
    rows.append(["pipeline lost to slow response",
                 *(fmt.pct(num(results[n], "pipeline", "lost_to_slow_response")) for n in names)])
    rows.append(["meets targets", *(_yes(get(results[n], "meets_targets")) for n in names)])
    rows.append(["unstable", *(_yes(get(results[n], "unstable")) for n in names)])
    return sections.table(["", *names], rows,
                          "Means over replications, every scenario on the same random numbers")


def _yes(v: Any) -> str:
    return fmt.NOT_MEASURED if not isinstance(v, bool) else ("yes" if v else "no")


def _state(result: Any) -> str:
    meets = get(result, "meets_targets")
    said = {True: "meets every target", False: "misses a target"}.get(meets, "targets not measured")
    if get(result, "unstable") is True:
        said += "; UNSTABLE (the backlog grows without bound)"
    return said


def render_compare_html(results: dict[str, dict[str, Any]]) -> str:
    """The comparison page of scenarios run on the same random numbers."""
    names = list(results)
    first = next(iter(results.values()), {})
    seed = get(first, "scenario", "seed")
    sub = (f"{fmt.count(num(first, 'replications'))} replications each · seed "
           f"{seed if seed is not None else fmt.NOT_MEASURED} · same random numbers")
    flags = "".join(f"<li><strong>{escape(n)}</strong>: {_state(r)}</li>"
                    for n, r in results.items())
    body = [
        f'<div class="verdict unknown"><h2>{escape(" vs ".join(names))}</h2>'
        f"<ul>{flags}</ul></div>",
        section("compliance", "Compliance by tier",
                figure(compliance(results), "Share of first touches within the SLA")),
        section("speed", "Speed to lead", figure(speed(results), "Speed-to-lead percentiles")),
        section("queues", "Queues over time", figure(queues(results), "Queue depth over time")),
        section("table", "Side by side",
                f'<div class="scroll">{comparison_table(results)}</div>'),
    ]
    return page(f"leadflow compare: {' vs '.join(names)}", sub, body,
                "Generated by leadflow compare. Every scenario ran with the same seed and "
                "replications, so differences come from the scenarios, not the dice.")


def write_compare_html(results: dict[str, dict[str, Any]], path: str | Path) -> None:
    write(render_compare_html(results), path)

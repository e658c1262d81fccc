"""Per-pool and per-rep figures, and the time series: arrivals and queues with surges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from simulator.report import fmt
from simulator.report.data import get, mapping, num, numbers, when
from simulator.report.figure import (
    INK,
    PALETTE,
    SURGE,
    Plot,
    colours,
    date_axis,
    datenums,
    offset_name,
    percent_axis,
    render,
)


def _rep_pool(rep: dict[str, Any]) -> str:
    pools = get(rep, "pools")
    return str(pools[0]) if isinstance(pools, list) and pools else "?"


def _per_unit(result: Any, metric: str) -> tuple[dict[str, float], dict[str, tuple[float, str]]]:
    """(pool -> value, rep -> (value, first pool)) for a metric present in the result."""
    pools = {p: v for p in mapping(result, "pools")
             if (v := num(result, "pools", p, metric)) is not None}
    reps = {r: (v, _rep_pool(mapping(result, "reps", r))) for r in sorted(mapping(result, "reps"))
            if (v := num(result, "reps", r, metric)) is not None}
    return pools, reps


def _bars(result: Any, metric: str, key: str, title: str, label: str,
          share: bool) -> Plot | None:
    pools, reps = _per_unit(result, metric)
    if not pools and not reps:
        return None
    colour = colours(list(mapping(result, "pools")) or sorted({p for _, p in reps.values()}))
    scale = 100.0 if share else 1.0
    show = fmt.pct if share else (lambda v: fmt.number(v))
    panels = [(f"{title} by pool", [(p, v, p) for p, v in pools.items()]),
              (f"{title} by rep", [(r, v, p) for r, (v, p) in reps.items()])]
    panels = [(t, rows) for t, rows in panels if rows]
    top = max([v for _, rows in panels for _, v, _ in rows] + [1e-9]) * scale

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, len(panels), squeeze=False,
                            width_ratios=[1.0 if "pool" in t else 1.4 for t, _ in panels])
        for ax, (t, rows) in zip(axes.flat, panels, strict=True):
            names = [n for n, _, _ in rows][::-1]
            vals = [v * scale for _, v, _ in rows][::-1]
            bars = ax.barh(names, vals, color=[colour.get(p, PALETTE[-1]) for *_, p in rows][::-1])
            ax.bar_label(bars, labels=[show(v) for _, v, _ in rows][::-1], padding=3, fontsize=8)
            if share:
                percent_axis(ax, axis="x", top=max(100.0, top * 1.15))
            else:
                ax.set_xlim(0, top * 1.25)
            ax.set_xlabel(label)
            ax.set_title(t)
            ax.grid(axis="y", visible=False)
        if reps:
            pools_seen = list(dict.fromkeys(p for _, p in reps.values()))
            fig.legend(handles=[Patch(color=colour.get(p, PALETTE[-1]), label=p)
                                for p in pools_seen], title="pool", loc="outside right upper",
                       fontsize=8)

    words = [f"{p} {show(v)}" for p, v in pools.items()]
    words += [f"{r} {show(v)}" for r, (v, _) in reps.items()]
    alt = f"Horizontal bar charts of {title.lower()} per pool and per rep: " + ", ".join(words)
    return render(key, alt, 10.0, max(2.6, 0.55 + 0.27 * max(len(reps), len(pools))), draw)


def utilisation(result: Any) -> Plot | None:
    return _bars(result, "utilization", "utilisation", "Utilisation",
                 "utilisation (% of working time busy)", share=True)


def leads_per_day(result: Any) -> Plot | None:
    return _bars(result, "leads_per_day", "leads_per_day", "Leads per day",
                 "new leads assigned per working day", share=False)


def _times(result: Any) -> list[datetime]:
    t = get(result, "series", "t")
    times = [when(v) for v in t] if isinstance(t, list) else []
    return [v for v in times if v is not None] if all(times) else []


def _surges(result: Any, pool: str) -> list[tuple[datetime, datetime]]:
    out = []
    for p in get(result, "surge", "periods") or []:
        start, end = when(get(p, "start")), when(get(p, "end"))
        if get(p, "pool") == pool and start and end:
            out.append((start, end))
    return out


def _bucket_hours(times: list[datetime]) -> float | None:
    return (times[1] - times[0]).total_seconds() / 3600 if len(times) > 1 else None


def queues(result: Any) -> Plot | None:
    """Queue depth over time per pool, surge periods shaded (and the share in surge)."""
    times = _times(result)
    series = {p: q for p, v in mapping(result, "series", "queue").items()
              if len(q := numbers(v)) == len(times) and times}
    if not series:
        return None
    colour = colours(list(mapping(result, "pools")) or list(series))
    tz = times[0].tzinfo
    xs = datenums(times)

    def draw(fig: Figure) -> None:
        axes = fig.subplots(len(series), 1, sharex=True, squeeze=False)
        label: str | None = None
        warm = False
        for ax, (pool, q) in zip(axes.flat, series.items(), strict=True):
            ys = [v if v is not None else float("nan") for v in q]
            ax.plot(xs, ys, color=colour.get(pool, PALETTE[0]), linewidth=0.9)
            label = _shade_surge(ax, result, pool, xs) or label
            warm = _shade_warmup(ax, result, times) or warm
            ax.set_ylabel(f"{pool}\nleads waiting")
            if max((v for v in q if v is not None), default=0.0) > 0:
                ax.set_ylim(bottom=0)
            else:
                ax.set_ylim(0, 1)
                ax.text(0.5, 0.5, "no lead ever waited", transform=ax.transAxes,
                        ha="center", va="center", color=INK)
        axes.flat[0].set_title("Queue depth over time (mean over replications)")
        handles = [Patch(color=SURGE, alpha=0.45, label=label)] if label else []
        if warm:
            handles.append(Patch(color=WARMUP, alpha=0.3, label="warm-up (not measured)"))
        if handles:
            fig.legend(handles=handles, loc="outside upper right", ncols=len(handles))
        axes.flat[-1].set_xlabel(f"time ({offset_name(times[0])})")
        axes.flat[-1].set_xlim(xs[0], xs[-1])
        date_axis(axes.flat[-1], tz)

    words = []
    for pool, q in series.items():
        peak = max((v for v in q if v is not None), default=None)
        words.append(f"{pool} peaks at {fmt.number(peak)} leads waiting"
                     + (f", {len(_surges(result, pool))} surge periods" if _surges(result, pool)
                        else ""))
    alt = "Line charts of queue depth over time per pool, surges shaded: " + "; ".join(words)
    return render("queues", alt, 10.0, 0.6 + 1.7 * len(series), draw)


WARMUP = "#bbbbbb"


def _shade_warmup(ax: Axes, result: Any, times: list[datetime]) -> bool:
    """Grey out the warm-up (simulated, not measured) when the scenario has one."""
    end = when(get(result, "scenario", "warmup_end"))
    if end is None or not times or end <= times[0]:
        return False
    x0, x1 = datenums([times[0], min(end, times[-1])])
    ax.axvspan(x0, x1, color=WARMUP, alpha=0.3, linewidth=0)
    return True


def _shade_surge(ax: Axes, result: Any, pool: str, xs: list[float]) -> str | None:
    """Shade surges: the share of replications in surge per bucket when the series has it
    (height = share), else the listed surge periods. Returns the legend label, or None."""
    share = numbers(get(result, "series", "surge", pool))
    if len(share) == len(xs) and any(share):
        ax.fill_between(xs, 0, [s or 0.0 for s in share], color=SURGE, alpha=0.45,
                        linewidth=0, step="post", transform=ax.get_xaxis_transform())
        return "surge (height = share of replications in surge)"
    periods = _surges(result, pool)
    for start, end in periods:
        x0, x1 = datenums([start, end])
        ax.axvspan(x0, x1, color=SURGE, alpha=0.45, linewidth=0)
    return "surge periods" if periods else None


def arrivals(result: Any) -> Plot | None:
    """MQL arrivals per time bucket; the peak (a campaign spike) called out."""
    times = _times(result)
    counts = numbers(get(result, "series", "arrivals"))
    if not times or len(counts) != len(times):
        return None
    ys = [v or 0.0 for v in counts]
    bucket = num(result, "series", "bucket_minutes")
    hours = bucket / 60 if bucket else _bucket_hours(times)
    unit = (f"{hours:g} h" if hours >= 1 else f"{hours * 60:g} min") if hours else "bucket"
    peak = max(range(len(ys)), key=ys.__getitem__)
    mean = sum(ys) / len(ys)
    xs = datenums(times)

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        ax.fill_between(xs, ys, step="post", color=PALETTE[0], alpha=0.35, linewidth=0)
        ax.step(xs, ys, where="post", color=PALETTE[0], linewidth=0.8)
        handles: list[Any] = [ax.axhline(mean, color=INK, linestyle=":", linewidth=1,
                                         label=f"mean {mean:.2f}")]
        if _shade_warmup(ax, result, times):
            handles.append(Patch(color=WARMUP, alpha=0.3, label="warm-up (not measured)"))
        ax.annotate(f"peak {fmt.number(ys[peak])} MQLs\n{fmt.stamp(times[peak])}",
                    (xs[peak], ys[peak]), xytext=(12, -4), textcoords="offset points",
                    va="top", fontsize=9,
                    arrowprops={"arrowstyle": "->", "color": INK, "linewidth": 0.8})
        ax.set_ylim(0, ys[peak] * 1.12 or 1)
        ax.set_ylabel(f"MQLs per {unit}")
        ax.set_xlabel(f"time ({offset_name(times[0])})")
        ax.set_title("Arrivals: MQLs over time (mean over replications)")
        ax.legend(handles=handles, loc="upper right")
        ax.set_xlim(xs[0], xs[-1])
        date_axis(ax, times[0].tzinfo)

    alt = (f"Step chart of MQL arrivals per {unit} from {fmt.stamp(times[0])}; mean "
           f"{mean:.2f}, peak {fmt.number(ys[peak])} at {fmt.stamp(times[peak])}")
    return render("arrivals", alt, 10.0, 3.0, draw)

"""The staffing search as a page: compliance against headcount per tier, with the 95% CI
band, the targets as lines and the chosen headcount marked; the table behind it; and the
targets no headcount reaches, with why.

``found`` is the dict `simulator.staffing.search` returns (what `leadflow staff --json`
writes); any field may be missing, and the page then says "not measured".
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulator.report import fmt, sections
from simulator.report.data import get, mapping, num, pair
from simulator.report.figure import INK, Plot, colours, percent_axis, render
from simulator.report.page import figure, page, section, write


def _rows(found: Any) -> list[dict[str, Any]]:
    rows = get(found, "rows")
    ok = [r for r in rows if num(r, "headcount") is not None] if isinstance(rows, list) else []
    return sorted(ok, key=lambda r: num(r, "headcount") or 0.0)


def _tiers(found: Any, rows: list[dict[str, Any]]) -> list[str]:
    """Tiers with a target first (in the targets' order), then the others measured."""
    names = [*mapping(found, "targets"), *(t for row in rows for t in mapping(row, "tiers"))]
    return list(dict.fromkeys(names))


def chosen(found: Any) -> tuple[int | None, str]:
    """The headcount to mark and what it answers: every target, or every reachable one."""
    best = num(found, "headcount")
    if best is not None:
        return int(best), "meets every target"
    reach = num(found, "reachable_headcount")
    if reach is not None:
        return int(reach), "meets every reachable target"
    return None, ""


def headcount_plot(found: Any) -> Plot | None:
    """Share of first touches within the SLA against headcount, per tier: the mean as a
    line, the 95% CI as a band, the target as a dashed line; the chosen headcount marked."""
    rows = _rows(found)
    tiers = [t for t in _tiers(found, rows)
             if any(num(r, "tiers", t, "first_touch_within_sla") is not None for r in rows)]
    if not rows or not tiers:
        return None
    colour = colours(tiers)
    unreachable = set(mapping(found, "unreachable"))
    mark, answers = chosen(found)
    pool = str(get(found, "pool") or "the pool")

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        handles: list[Any] = []
        for tier in tiers:
            pts = [(num(r, "headcount") or 0.0, num(r, "tiers", tier, "first_touch_within_sla"),
                    pair(r, "tiers", tier, "first_touch_within_sla_ci95")) for r in rows]
            pts = [(x, y, ci) for x, y, ci in pts if y is not None]
            xs = [x for x, _, _ in pts]
            c = colour[tier]
            label = tier + (" (unreachable)" if tier in unreachable else "")
            judged = num(found, "targets", tier) is not None
            ax.plot(xs, [y * 100 for _, y, _ in pts if y is not None], color=c, marker="o",
                    linewidth=1.8 if judged else 1.0, alpha=1.0 if judged else 0.6,
                    label=label)
            target = num(found, "targets", tier)
            band = [(x, ci) for x, _, ci in pts if ci is not None]
            if band and target is not None:  # bands of the judged tiers only: fewer layers
                ax.fill_between([x for x, _ in band], [ci[0] * 100 for _, ci in band],
                                [ci[1] * 100 for _, ci in band], color=c, alpha=0.18,
                                linewidth=0)
            if target is not None:
                ax.axhline(target * 100, color=c, linestyle="--", linewidth=1.4)
            handles.append(Line2D([], [], color=c, marker="o", label=label))
        handles += [Patch(color=INK, alpha=0.18, label="95% CI (tiers with a target)"),
                    Line2D([], [], color=INK, linestyle="--", label="target (tier's colour)")]
        if mark is not None:
            ax.axvline(mark, color=INK, linestyle=":", linewidth=1.6)
            ax.annotate(f"{mark} reps: {answers}", (mark, 3), xytext=(6, 0),
                        textcoords="offset points", fontsize=9, color=INK)
            handles.append(Line2D([], [], color=INK, linestyle=":", label="chosen headcount"))
        counts = [int(num(r, "headcount") or 0) for r in rows]
        ax.set_xticks(counts)
        ax.set_xlim(counts[0] - 0.3, counts[-1] + 0.3)
        percent_axis(ax, top=105)
        ax.set_xlabel(f"reps in {pool}")
        ax.set_ylabel("first touches within SLA (% of leads)")
        ax.set_title(f"Compliance against headcount of {pool}, by tier")
        fig.legend(handles=handles, loc="outside right upper", fontsize=8)

    words = []
    for tier in tiers:
        shares = [f"{int(num(r, 'headcount') or 0)} reps "
                  f"{fmt.pct(num(r, 'tiers', tier, 'first_touch_within_sla'))}" for r in rows]
        target = num(found, "targets", tier)
        words.append(f"{tier}: " + ", ".join(shares)
                     + (f" (target {fmt.target(target)})" if target is not None else ""))
    alt = ("Line chart of the share of first touches within the SLA against the headcount of "
           f"{pool}, one line per tier with its 95% CI band and target: " + "; ".join(words)
           + (f". Marked: {mark} reps, {answers}" if mark is not None else ""))
    return render("headcount", alt, 10.0, 4.6, draw)


def verdict(found: Any) -> str:
    """What the search found, in a coloured box: the headcount, and each unreachable target
    with the reason."""
    pool = escape(str(get(found, "pool") or "the pool"))
    rows = _rows(found)
    span = (f"{int(num(rows[0], 'headcount') or 0)} to {int(num(rows[-1], 'headcount') or 0)}"
            if rows else fmt.NOT_MEASURED)
    best = num(found, "headcount")
    why = mapping(found, "unreachable_why")
    items = []
    for tier, low in mapping(found, "unreachable").items():
        target = num(found, "targets", tier)
        reason = f": {escape(str(why[tier]))}" if tier in why else ""
        items.append(f"<li><strong>{escape(tier)}</strong> (target {fmt.target(target)}, lower "
                     f"CI end {fmt.pct(num({'v': low}, 'v'))} at the largest headcount) cannot "
                     f"be reached by staffing {pool}{reason}.</li>")
    reach = num(found, "reachable_headcount")
    if best is not None:
        head = f"&#10004; {int(best)} reps in {pool} meet every target"
        kind = "ok"
    elif items and reach is not None:
        head = (f"&#10008; No headcount from {span} meets every target; {int(reach)} reps "
                f"meet every reachable one")
        kind = "bad"
    else:
        head = f"&#10008; No headcount of {pool} from {span} meets every target"
        kind = "bad"
    rule = ("A headcount meets a target when the low end of the tier's 95% confidence "
            "interval over replications reaches it.")
    listed = f"<ul>{''.join(items)}</ul>" if items else ""
    return f'<div class="verdict {kind}"><h2>{head}</h2><p>{rule}</p>{listed}</div>'


def headcount_table(found: Any) -> str:
    """One row per headcount: each tier's share within the SLA with its CI, utilisation, and
    whether it meets every target (and every reachable one)."""
    rows = _rows(found)
    tiers = _tiers(found, rows)
    unreachable = bool(mapping(found, "unreachable"))
    headers = ["reps", *[f"{t} within SLA (95% CI)" for t in tiers], "utilisation",
               "meets every target"]
    if unreachable:
        headers.append("meets every reachable target")
    body = []
    for r in rows:
        cells = [fmt.count(num(r, "headcount"))]
        for t in tiers:
            share = num(r, "tiers", t, "first_touch_within_sla")
            ci = pair(r, "tiers", t, "first_touch_within_sla_ci95")
            cells.append(fmt.pct(share) + (" ({} to {})".format(*fmt.ci_pct(ci))
                                           if ci and share is not None else ""))
        cells.append(fmt.pct(num(r, "utilization")))
        cells.append(_yes(get(r, "meets_targets"), get(r, "unstable")))
        if unreachable:
            cells.append(_yes(get(r, "meets_reachable"), get(r, "unstable")))
        body.append(cells)
    caption = "Each headcount on the same random numbers; targets: " + (", ".join(
        f"{t} {fmt.target(num(found, 'targets', t))}" for t in mapping(found, "targets"))
        or fmt.NOT_MEASURED)
    return sections.table(headers, body, caption)


def _yes(v: Any, unstable: Any) -> str:
    if not isinstance(v, bool):
        return fmt.NOT_MEASURED
    return "yes" if v else ("no (unstable)" if unstable is True else "no")


def render_staff_html(found: dict[str, Any]) -> str:
    """The staffing search's page."""
    name = Path(str(get(found, "scenario") or "scenario")).stem
    sub = (f"pool {get(found, 'pool') or fmt.NOT_MEASURED} · "
           f"{fmt.count(num(found, 'replications'))} replications per headcount · seed "
           f"{get(found, 'seed') if get(found, 'seed') is not None else fmt.NOT_MEASURED}")
    body = [
        verdict(found),
        section("headcount", "Compliance against headcount",
                figure(headcount_plot(found), "Compliance against headcount")
                + f'<div class="scroll">{headcount_table(found)}</div>'),
    ]
    return page(f"leadflow staffing search: {name}", sub, body,
                "Generated by leadflow staff. Every headcount ran on the same random numbers "
                "(arrivals and each rep's draws); shares are means over replications.")


def write_staff_html(found: dict[str, Any], path: str | Path) -> None:
    write(render_staff_html(found), path)

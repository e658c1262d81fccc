"""The page's words: headline verdict, banners, tables and facts, as escaped HTML."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from simulator.report import fmt
from simulator.report.data import (
    get,
    mapping,
    meets_targets,
    num,
    numbers,
    pair,
    shortfalls,
    tier_names,
    when,
)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str,
          cls: str = "") -> str:
    """A table of already-formatted cell texts (escaped here); first column is a row header."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + f'<th scope="row">{escape(r[0])}</th>'
        + "".join(f"<td>{escape(c)}</td>" for c in r[1:]) + "</tr>"
        for r in rows
    )
    klass = f' class="{cls}"' if cls else ""
    return (f"<table{klass}><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def not_measured(what: str) -> str:
    return f'<p class="missing">{escape(what)}: {fmt.NOT_MEASURED}.</p>'


UNSTABLE_PREFIX = "unstable"


def unstable_banner(result: Any) -> str:
    """A red banner when the backlog grows without bound, with the simulator's reasons."""
    if get(result, "unstable") is not True:
        return ""
    why = [w for w in _warnings(result) if w.lower().startswith(UNSTABLE_PREFIX)]
    said = why[0].split(": ", 1)[-1] if why else ""
    detail = escape(said[:1].upper() + said[1:]) if said else (
        "The backlog grows without bound over the horizon: the team cannot keep up with this "
        "load")
    return ('<div class="banner unstable" role="alert"><strong>&#9888; Unstable staffing.'
            f"</strong> {detail}. The averages below understate how late leads will be."
            "</div>")


def headline(result: Any) -> str:
    """The verdict in one sentence, naming each tier that misses its target."""
    verdict = meets_targets(result)
    short = shortfalls(result)
    if verdict is None:
        return ('<div class="verdict unknown"><h2>Targets: not measured</h2><p>The result '
                "has no targets or no per-tier compliance to judge.</p></div>")
    if verdict:
        return ('<div class="verdict ok"><h2>&#10004; Meets every target</h2><p>Every tier '
                "touches at least its target share of leads within the SLA"
                " (on the low end of the 95% confidence interval).</p></div>")
    items = []
    for s in short:
        ci = " (95% CI {} to {})".format(*fmt.ci_pct(s.ci95)) if s.ci95 else ""
        how = "" if s.by_mean else " — only the low end of its confidence interval falls short"
        items.append(f"<li><strong>{escape(s.tier)}</strong>: {fmt.pct(s.share)} of first "
                     f"touches within the SLA{ci}, target {fmt.target(s.target)}{how}</li>")
    title = (f"Misses the target for {', '.join(s.tier for s in short)}" if short
             else "Does not meet its targets (see the per-tier table)")
    return (f'<div class="verdict bad"><h2>&#10008; {escape(title)}</h2>'
            f"<ul>{''.join(items)}</ul></div>")


def _warnings(result: Any) -> list[str]:
    ws = get(result, "warnings")
    return [w for w in ws if isinstance(w, str)] if isinstance(ws, list) else []


def warnings(result: Any) -> str:
    """The simulator's warnings, less the one the unstable banner already shows."""
    shown = bool(unstable_banner(result))
    ws = [w for w in _warnings(result)
          if not (shown and w.lower().startswith(UNSTABLE_PREFIX))]
    if not ws:
        return ""
    return ('<div class="banner warnings" role="note"><strong>Warnings</strong><ul>'
            + "".join(f"<li>{escape(w)}</li>" for w in ws) + "</ul></div>")


def kpis(result: Any) -> str:
    """A row of headline numbers a reader takes in at a glance."""
    leads = [v for t in tier_names(result) if (v := num(result, "tiers", t, "leads")) is not None]
    pools = {p: v for p in mapping(result, "pools")
             if (v := num(result, "pools", p, "utilization")) is not None}
    busiest = max(pools, key=pools.__getitem__) if pools else None
    weeks = [v for v in numbers(get(result, "marketing", "mqls_per_week")) if v is not None]
    surge = [v for x in mapping(result, "surge", "hours").values()
             if (v := num({"v": x}, "v")) is not None]
    tiles = [
        ("leads per replication", fmt.count(sum(leads)) if leads else fmt.NOT_MEASURED),
        ("pipeline lost to slow response", fmt.pct(num(result, "pipeline",
                                                       "lost_to_slow_response"))),
        (f"busiest pool utilisation{f' ({busiest})' if busiest else ''}",
         fmt.pct(pools[busiest]) if busiest else fmt.NOT_MEASURED),
        ("hours in surge (all pools)", fmt.number(sum(surge)) if surge else fmt.NOT_MEASURED),
        ("mean MQLs per week", fmt.number(sum(weeks) / len(weeks)) if weeks else
         fmt.NOT_MEASURED),
    ]
    return '<div class="kpis">' + "".join(
        f'<div class="kpi"><div class="value">{escape(v)}</div>'
        f'<div class="label">{escape(k)}</div></div>' for k, v in tiles) + "</div>"


def tier_table(result: Any) -> str:
    tiers = [t for t in tier_names(result) if mapping(result, "tiers", t)]
    if not tiers:
        return not_measured("Per-tier results")
    rows = []
    for t in tiers:
        ci = pair(result, "tiers", t, "first_touch_within_sla_ci95")
        m = [num(result, "tiers", t, "first_touch_minutes", k) for k in ("mean", "p50", "p95",
                                                                         "p99")]
        rows.append([
            t, fmt.count(num(result, "tiers", t, "leads")),
            fmt.pct(num(result, "tiers", t, "first_touch_within_sla")),
            "{}–{}".format(*fmt.ci_pct(ci)) if ci else fmt.NOT_MEASURED,
            fmt.target(num(result, "targets", t)),
            *(fmt.minutes(v) for v in m),
            *(fmt.count(num(result, "tiers", t, k)) for k in ("breaches", "escalations",
                                                               "reassignments", "untouched")),
        ])
    headers = ["tier", "leads", "within SLA (%)", "95% CI (%)", "target (%)", "mean (min)",
               "p50 (min)", "p95 (min)", "p99 (min)", "breaches", "escalations",
               "reassignments", "untouched"]
    return table(headers, rows, "Per tier, averaged over replications: counts are leads per "
                 "replication; times are calendar minutes from MQL to the first touch.")


def pool_table(result: Any) -> str:
    pools = mapping(result, "pools")
    if not pools:
        return not_measured("Per-pool results")
    rows = [[p, fmt.count(num(pools, p, "reps")), fmt.pct(num(pools, p, "utilization")),
             fmt.number(num(pools, p, "leads_per_day")), fmt.number(num(pools, p, "queue", "mean")),
             fmt.number(num(pools, p, "queue", "max")),
             fmt.number(num(result, "surge", "hours", p))] for p in pools]
    headers = ["pool", "reps", "utilisation (%)", "leads per day", "mean queue (leads)",
               "max queue (leads)", "hours in surge (h)"]
    return table(headers, rows, "Per pool, averaged over replications.")


def surge_table(result: Any) -> str:
    periods = [p for p in get(result, "surge", "periods") or [] if isinstance(p, dict)]
    if not periods:
        return '<p class="missing">No surge periods recorded.</p>'
    rows = []
    for p in periods:
        start, end = when(p.get("start")), when(p.get("end"))
        hours = (end - start).total_seconds() / 3600 if start and end else None
        rows.append([str(p.get("pool", "?")), fmt.stamp(start), fmt.stamp(end),
                     fmt.number(hours)])
    per = num(result, "surge", "periods_per_replication")
    caption = "Surge periods of the first replication" + (
        f" (mean {fmt.number(per)} per replication)." if per is not None else ".")
    return table(["pool", "start", "end", "duration (h)"], rows, caption, cls="facts")


def follow_up_facts(result: Any) -> str:
    rows = [
        ["follow-up cadence completed (%)", fmt.pct(num(result, "follow_up", "completion"))],
        ["follow-up breaches (leads)", fmt.count(num(result, "follow_up", "breaches"))],
        ["dispositioned within window (%)", fmt.pct(num(result, "disposition",
                                                       "within_window"))],
        ["disposition breaches (leads)", fmt.count(num(result, "disposition", "breaches"))],
    ]
    return table(["measure", "value"], rows, "Sales commitments, per replication.", cls="facts")


def marketing_facts(result: Any) -> str:
    weeks = [v for v in numbers(get(result, "marketing", "mqls_per_week")) if v is not None]
    rows = [
        ["commitment (MQLs per week)", fmt.count(num(result, "marketing", "commitment"))],
        ["mean delivered (MQLs per week)",
         fmt.number(sum(weeks) / len(weeks)) if weeks else fmt.NOT_MEASURED],
        ["weeks below commitment (per replication)",
         fmt.number(num(result, "marketing", "weeks_below"))],
    ]
    return table(["measure", "value"], rows, "Marketing commitment.", cls="facts")


def pipeline_facts(result: Any) -> str:
    curve = mapping(result, "pipeline", "curve")
    rows = [
        ["pipeline lost to slow response (%)",
         fmt.pct(num(result, "pipeline", "lost_to_slow_response"))],
        ["damping exponent alpha", fmt.number(num(result, "pipeline", "alpha"), 2)],
        ["curve w, h1 (min), h2 (min)", ", ".join(fmt.number(num(curve, k), 4)
                                                 for k in ("w", "h1", "h2"))],
    ]
    return table(["measure", "value"], rows, "Pipeline lost to slow response = 1 − mean "
                 "q(t)^alpha / q(0)^alpha over first touches.", cls="facts")


def told_facts(result: Any) -> str:
    """What the core told people on its own clock (result `notifications`)."""
    told = mapping(result, "notifications")
    rows = [
        ["daily digests", fmt.number(num(told, "digests"))],
        ["leads listed in them", fmt.number(num(told, "digest_items"))],
        *([f"digests to {role.replace('_', ' ')}s", fmt.number(num(v, "digests"))]
          for role, v in mapping(told, "by_role").items()),
        ["weekly summaries", fmt.number(num(told, "weekly_summaries"))],
    ]
    reps = mapping(told, "reps")
    body = [[rep, fmt.number(num(v, "digests")), fmt.number(num(v, "items")),
             fmt.pct(num(v, "per_working_day"))] for rep, v in sorted(reps.items())]
    return (table(["measure", "value"], rows, "Digests and summaries, per replication.",
                  cls="facts")
            + table(["rep", "digests", "items", "of working days"], body,
                    "A rep's digests; the share of their working days with one, all "
                    "replications pooled."))


def scenario_facts(result: Any) -> str:
    sc = mapping(result, "scenario")
    heads = mapping(sc, "headcount")
    rows = [
        ["scenario", str(sc.get("name") or fmt.NOT_MEASURED)],
        ["file", str(sc.get("file") or fmt.NOT_MEASURED)],
        ["policy", str(sc.get("policy") or fmt.NOT_MEASURED)],
        ["team", str(sc.get("team") or fmt.NOT_MEASURED)],
        ["start", fmt.stamp(when(sc.get("start")))],
        ["end", fmt.stamp(when(sc.get("end")))],
        ["weeks", fmt.number(num(sc, "weeks"))],
        ["seed", str(sc["seed"]) if "seed" in sc else fmt.NOT_MEASURED],
        ["warm-up ends (not measured before)", _warmup(sc)],
        ["replications", fmt.count(num(result, "replications"))],
        ["headcount", ", ".join(f"{p}: {fmt.count(num(heads, p))}" for p in heads)
         or fmt.NOT_MEASURED],
        ["wall-clock time (s)", fmt.number(num(result, "wall_seconds"))],
    ]
    return table(["fact", "value"], rows, "What was simulated.", cls="facts")


def _warmup(sc: dict[str, Any]) -> str:
    start, end = when(sc.get("start")), when(sc.get("warmup_end"))
    if start is not None and end is not None and end <= start:
        return "no warm-up"
    return fmt.stamp(end)

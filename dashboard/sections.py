"""The page's sections as HTML: the scorecard part (offline and live) and the live part
(rep board, queues and surge, intent spikes, worker health).

The browser only draws the charts into the `.plot` boxes and ticks the countdowns; every
number and word is rendered here, so the offline file, the live page and the email say
the same thing.
"""

from __future__ import annotations

from html import escape
from typing import Any

from dashboard.charts import Chart, charts_of
from dashboard.data import View
from dashboard.fmt import age, countdown
from dashboard.fragment import headline_html

#: Open leads listed per rep (the next due first); the rest are counted.
LEADS_SHOWN = 25


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _key(chart: Chart) -> str:
    items = "".join(
        f'<span class="key{" dash" if s.get("dash") else ""}" style="--c:{s["color"]}">'
        f"{escape(s['label'])}</span>"
        for s in chart["series"]
    )
    return f' <span class="keys" aria-hidden="true">{items}</span>'


def figure(chart: Chart) -> str:
    cid = escape(chart["id"], quote=True)
    table = chart["table"]
    return (
        f'<figure class="chart" data-chart="{cid}">'
        f'<figcaption id="cap-{cid}">{escape(chart["title"])}{_key(chart)}</figcaption>'
        f'<div class="plot" data-chart="{cid}" role="img" aria-labelledby="cap-{cid}" '
        f'aria-describedby="alt-{cid}"></div>'
        f'<p class="alt" id="alt-{cid}">{escape(chart["alt"])}</p>'
        f"<details><summary>The numbers</summary>"
        f"{_table(table['head'], table['rows'], 'data')}</details></figure>"
    )


def scorecard_sections(scorecard: dict[str, Any], view: View) -> tuple[str, list[Chart]]:
    """The scorecard's sections and the charts they hold (for the browser to draw)."""
    charts = charts_of(view)
    out = [
        '<section id="headline" class="rotate"><h2>This period</h2>',
        headline_html(scorecard),
        "</section>",
    ]
    blocks = [
        ("trends", "Trend of each commitment", "actual per period, dashed: the target"),
        ("funnel", "Funnel rates", "per period, dashed: the target where there is one"),
        ("speed", "Speed to first touch per tier", "median and p95, calendar minutes"),
        ("rejections", "Rejection reasons", "rejected leads per reason and period"),
    ]
    for key, title, sub in blocks:
        if not charts[key]:
            continue
        figs = "".join(figure(c) for c in charts[key])
        out.append(
            f'<section id="{key}" class="rotate"><h2>{title} '
            f'<small>{escape(sub)}</small></h2><div class="charts">{figs}</div></section>'
        )
    return "".join(out), [c for key in charts for c in charts[key]]


def _lead_item(lead: dict[str, Any]) -> str:
    state = str(lead.get("state", "ok"))
    who = "".join(
        f' <span class="person">{escape(str(lead[k]))}</span>'
        for k in ("name", "email")
        if k in lead
    )
    if lead.get("due_epoch") is None:
        when, due = "no clock running", ""
    else:
        when = countdown(float(lead["due_in_s"]))
        due = f' data-due="{float(lead["due_epoch"])!r}"'
    sla = escape(str(lead.get("sla") or ""))
    return (
        f'<li class="lead {state}" data-lead="{escape(str(lead["lead_id"]), quote=True)}" '
        f'data-state="{state}"{due}><span class="id">{escape(str(lead["lead_id"]))}</span>{who}'
        f' <span class="sla">{sla}</span> <span class="countdown">{when}</span>'
        f"{' <b>at risk</b>' if state == 'at_risk' else ''}"
        f"{' <b>breached</b>' if state == 'breached' else ''}</li>"
    )


def board_section(board: dict[str, Any]) -> str:
    cards = []
    for rep in board["reps"]:
        leads = rep["leads"]
        items = "".join(_lead_item(lead) for lead in leads[:LEADS_SHOWN])
        more = len(leads) - LEADS_SHOWN
        if more > 0:
            items += f'<li class="more">and {more} more</li>'
        shift = "" if rep["on_shift"] else " off shift"
        flags = []
        if rep["breached"]:
            flags.append(f'<span class="flag breached">{rep["breached"]} breached</span>')
        if rep["at_risk"]:
            flags.append(f'<span class="flag at_risk">{rep["at_risk"]} at risk</span>')
        cards.append(
            f'<article class="rep" data-rep="{escape(rep["rep_id"], quote=True)}">'
            f'<h3>{escape(rep["rep_id"])} <span class="rep-status {escape(rep["status"])}">'
            f"{escape(rep['status'])}{shift}</span></h3>"
            f'<p class="load">open <b data-open>{rep["open"]}</b>/{rep["max_open"]} &middot; '
            f"new today <b data-new>{rep['new_today']}</b>/{rep['max_new_per_day']} "
            f"{''.join(flags)}</p>"
            f'<ol class="leads">{items or "<li class=none>no open leads</li>"}</ol></article>'
        )
    return (
        '<section id="board" class="rotate live-only"><h2>Rep board '
        "<small>open leads, next due first</small></h2>"
        f'<div class="reps">{"".join(cards)}</div></section>'
    )


def pools_section(board: dict[str, Any]) -> str:
    rows = []
    for pool in board["pools"]:
        oldest = "-"
        if pool["oldest_lead_id"] is not None:
            oldest = f"{pool['oldest_lead_id']} (MQL {age(pool['oldest_wait_s'])} ago)"
        surge = f"in surge since {pool['surge_since']}" if pool["surge"] else "no"
        rows.append([pool["pool"], str(pool["depth"]), oldest, surge, str(pool["reps"])])
    table = _table(["pool", "queue depth", "oldest waiting", "surge", "reps"], rows, "pools")
    return (
        f'<section id="pools" class="rotate live-only"><h2>Queues and surge</h2>{table}</section>'
    )


def intent_section(spikes: list[dict[str, Any]]) -> str:
    rows = [
        [str(s.get("at", "")), str(s.get("lead_id", "")), str(s.get("rep_id") or "-"),
         ", ".join(f"{k} {v}" for k, v in (s.get("signals") or {}).items())]
        for s in spikes
    ]  # fmt: skip
    body = (
        _table(["at", "lead", "rep", "signals"], rows, "intent")
        if rows
        else '<p class="empty">No intent spikes in the last 48 hours.</p>'
    )
    return (
        '<section id="intent" class="rotate live-only"><h2>Intent spikes '
        f"<small>last 48 hours</small></h2>{body}</section>"
    )


def health_section(health: dict[str, Any]) -> str:
    lag = health.get("lag", {})
    rows = [
        ["pool stage", str(health.get("pool_stage", "-"))],
        ["clock", str(health.get("clock", "-"))],
        ["last decision", str(health.get("last_decision_at") or "-")],
        ["lag, lead stage (records)", str(lag.get("lead", "-"))],
        ["lag, pool stage (records)", str(lag.get("pool", "-"))],
        ["state as of", str(health.get("as_of", "-"))],
    ]
    return (
        '<section id="health" class="live-only"><h2>Worker health</h2>'
        f"{_table(['', ''], rows, 'facts')}</section>"
    )


def live_sections(live: dict[str, Any]) -> str:
    board = live.get("board")
    if board is None:
        return (
            '<section id="board" class="live-only"><h2>Rep board</h2><p class="empty">'
            "The pool stage (and its board) is on another worker.</p></section>"
            + health_section(live.get("health", {}))
        )
    return (
        board_section(board)
        + pools_section(board)
        + intent_section(live.get("intent", []))
        + health_section(live.get("health", {}))
    )

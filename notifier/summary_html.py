"""The weekly summary as an HTML email and as chat blocks, over the `summary.weekly`
record (routing/summary.py, built from the scorecard JSON).

Email clients ignore stylesheets and scripts, so the page is a table with inline styles;
the same row order, labels and value formatting as the scorecard (`value_text`). Where
it meets the dashboard (docs/notifications.md): both read the scorecard JSON; the
dashboard's row renderer can replace `_row` when it exposes one that emits inline styles.
"""

from __future__ import annotations

from html import escape
from typing import Any

from routing.summary import value_text

_STATUS = {"met": "#1a7f37", "missed": "#cf222e"}
_ARROW = {"up": "#1a7f37", "down": "#cf222e", "flat": "#57606a"}
_CELL = "padding:6px 10px;border-bottom:1px solid #d0d7de;"


def _row(r: dict[str, Any]) -> str:
    unit = str(r.get("unit", "share"))
    colour = _STATUS.get(str(r["status"]), "#57606a")
    arrow = escape(str(r.get("arrow") or ""))
    arrow_colour = _ARROW.get(str(r.get("trend")), "#57606a")
    action = escape(str(r["action"])) if r.get("action") else ""
    return (
        f"<tr><td style='{_CELL}'>{escape(str(r['side']))}</td>"
        f"<td style='{_CELL}'>{escape(str(r['commitment']))}</td>"
        f"<td style='{_CELL}text-align:right'>{escape(value_text(r.get('actual'), unit))}</td>"
        f"<td style='{_CELL}text-align:center;color:{arrow_colour}'>{arrow}</td>"
        f"<td style='{_CELL}text-align:right'>{escape(value_text(r.get('target'), unit))}</td>"
        f"<td style='{_CELL}color:{colour};font-weight:600'>{escape(str(r['status']))}</td>"
        f"<td style='{_CELL}'>{action}</td></tr>"
    )


def render_html(summary: dict[str, Any], link: str | None = None) -> str:
    head = "".join(
        f"<th style='{_CELL}text-align:left;background:#f6f8fa'>{h}</th>"
        for h in ("Side", "Commitment", "Actual", "Trend", "Target", "Status", "Ladder action")
    )
    rows = "".join(_row(r) for r in summary.get("rows", []))
    actions = "".join(
        f"<li>{escape(str(a['commitment']))}: missed {int(a['consecutive'])} week(s) in a row "
        f"&rarr; <strong>{escape(str(a['action']))}</strong></li>"
        for a in summary.get("actions", [])
    ) or "<li>None this week.</li>"
    partial = ("<p style='color:#57606a'>The week began before the first recorded event: "
               "shown, not judged.</p>" if summary.get("partial") else "")
    more = (f"<p><a href='{escape(link)}'>Open the dashboard</a></p>" if link else "")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(str(summary.get('headline', 'Weekly summary')))}</title></head>"
        "<body style='font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;"
        "color:#1f2328;max-width:760px;margin:24px auto'>"
        f"<h2 style='margin:0 0 4px'>Weekly SLA summary, {escape(str(summary['period']))}</h2>"
        f"<p style='margin:0 0 16px;color:#57606a'>{escape(str(summary['headline']))}</p>"
        f"{partial}<table style='border-collapse:collapse;width:100%;font-size:14px'>"
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        f"<h3 style='margin:20px 0 6px'>The ladder's actions</h3><ul>{actions}</ul>{more}"
        f"<p style='color:#57606a;font-size:12px'>event {escape(str(summary['event_id']))}</p>"
        "</body></html>"
    )


def chat_blocks(summary: dict[str, Any], link: str | None = None) -> list[dict[str, Any]]:
    """Block Kit: a header, one section per side with a line per row, the ladder."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text",
                                    "text": f"Weekly SLA summary {summary['period']}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": str(summary["headline"])}},
    ]
    for side in ("marketing", "sales"):
        lines = [
            f"{'✅' if r['status'] == 'met' else '❌' if r['status'] == 'missed' else '•'} "
            f"{r['commitment']}: {value_text(r.get('actual'), r['unit'])} {r.get('arrow') or ''}"
            f" (target {value_text(r['target'], r['unit'])})"
            for r in summary.get("rows", []) if r["side"] == side
        ]
        if lines:
            blocks.append({"type": "section", "text": {
                "type": "mrkdwn", "text": f"*{side.title()}*\n" + "\n".join(lines)}})
    acts = [f"{a['commitment']}: {a['action']}" for a in summary.get("actions", [])]
    if acts:
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn", "text": "*Ladder*\n" + "\n".join(acts)}})
    tail = f"event `{summary['event_id']}`" + (f" · <{link}|Open the dashboard>" if link else "")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": tail}]})
    return blocks

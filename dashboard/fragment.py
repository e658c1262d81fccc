"""The headline rows of a period as an HTML fragment: the one rendering of the scorecard's
rows for the page (offline and live) and the weekly email.

`headline_html(scorecard_json)` takes the scorecard's JSON (`leadflow scorecard --json`,
`/sla`, `Commitments.to_json`) and returns one table per side (marketing, sales) for the
current period: target, actual with n, status, consecutive misses, the ladder's action.
Styles are inline (an email client drops style sheets); each row carries its raw values
as `data-*` attributes, so a test can compare the page with the JSON.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from dashboard.data import periods_of
from dashboard.errors import DashboardError
from dashboard.fmt import value

STATUS_STYLE = {  # colour-blind safe: the text says the status too
    "met": "background:#009E73;color:#fff",
    "missed": "background:#D55E00;color:#fff",
}
OTHER_STYLE = "background:#e6e8eb;color:#1f2328"
CELL = "padding:4px 8px;border-bottom:1px solid #d0d7de;text-align:right"
FIRST = "padding:4px 8px;border-bottom:1px solid #d0d7de;text-align:left"


def _attr(x: Any) -> str:
    return escape(json.dumps(x), quote=True)


def _row(row: dict[str, Any]) -> str:
    unit = str(row.get("unit", "share"))
    n = row.get("n")
    actual = value(row.get("actual"), unit)
    if n is not None:
        actual += f' <span style="color:#57606a">(n={int(n)})</span>'
    status = str(row.get("status", ""))
    badge = STATUS_STYLE.get(status, OTHER_STYLE)
    attrs = " ".join(
        f'data-{k}="{_attr(row.get(k))}"'
        for k in ("target", "actual", "n", "status", "consecutive", "action")
    )
    return (
        f'<tr data-commitment="{escape(str(row["commitment"]), quote=True)}" {attrs}>'
        f'<th scope="row" style="{FIRST}">{escape(str(row["commitment"]))}</th>'
        f'<td style="{CELL}">{value(row.get("target"), unit)}</td>'
        f'<td style="{CELL}">{actual}</td>'
        f'<td style="{CELL}"><span class="status" style="{badge};border-radius:4px;'
        f'padding:1px 6px">{escape(status)}</span></td>'
        f'<td style="{CELL}">{int(row.get("consecutive") or 0)}</td>'
        f'<td style="{FIRST}">{escape(str(row.get("action") or "-"))}</td></tr>'
    )


def rows_html(period: dict[str, Any]) -> str:
    """The tables of one period (a `weeks[i]` / `periods[i]` object of the JSON)."""
    out = []
    rows = period.get("rows", [])
    for side in ("marketing", "sales"):
        mine = [r for r in rows if r.get("side") == side]
        if not mine:
            continue
        head = "".join(
            f'<th scope="col" style="{FIRST if i in (0, 5) else CELL}">{h}</th>'
            for i, h in enumerate(
                ["commitment", "target", "actual", "status", "misses in a row", "ladder's action"]
            )
        )
        body = "".join(_row(r) for r in mine)
        out.append(
            f'<table class="headline" data-side="{side}" '
            'style="border-collapse:collapse;width:100%;margin:8px 0;font-size:14px">'
            f'<caption style="text-align:left;font-weight:600;padding:4px 0">{side.title()} '
            f"commits</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    return "".join(out)


def headline_html(scorecard: dict[str, Any], per: str = "week", label: str | None = None) -> str:
    """One period's rows of both sides as an HTML fragment (no page around it): the
    current period, or the one labelled `label` (e.g. the week a summary email is about).
    `DashboardError` when there is no such period."""
    periods = periods_of(scorecard, per)
    if label is not None:
        periods = [p for p in periods if (p.get("label") or p.get("period")) == label]
        if not periods:
            raise DashboardError(f"scorecard JSON: no {per} labelled {label!r}")
    if not periods:
        return '<p class="empty">No period to show yet: the scorecard has seen no events.</p>'
    period = periods[-1]
    label = escape(str(period.get("label") or period.get("period") or ""))
    state = " (in progress)" if period.get("in_progress") else ""
    if period.get("partial"):
        state = " (partial: shown, not evaluated)"
    mqls = period.get("mqls")
    sub = f" &middot; {int(mqls)} MQLs" if isinstance(mqls, int) else ""
    return (
        f'<div class="headline-block" data-period="{label}">'
        f'<p style="margin:4px 0;color:#57606a">Period {label}{state}{sub}</p>'
        f"{rows_html(period)}</div>"
    )

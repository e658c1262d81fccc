"""The dashboard page: one function for the offline file and the live page.

`render_page(scorecard, live=None)` returns one self-contained HTML document: the style
sheets, uPlot (vendored from npm with its licence, dashboard/assets/) and the page's own
script are inlined, the data is a JSON island; nothing is fetched from anywhere (the live
page opens its own event stream, same origin). With `live` (the worker's board, health and
intent spikes), the live sections are there too and the script subscribes to updates.

`update_of(scorecard, live)` is what the live page receives on each push: the same
sections, rendered by the same functions.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any

from dashboard.charts import Chart
from dashboard.data import view_of
from dashboard.sections import live_sections, scorecard_sections


@cache
def asset(name: str) -> str:
    return files("dashboard").joinpath("assets", name).read_text(encoding="utf-8")


def _island(data: Any) -> str:
    """JSON safe inside a <script> element (no "</" can end it early)."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def _scorecard_part(scorecard: dict[str, Any]) -> tuple[str, list[Chart], str]:
    view = view_of(scorecard)
    html, charts = scorecard_sections(scorecard, view)
    key = hashlib.sha1(html.encode(), usedforsecurity=False).hexdigest()[:16]
    return html, charts, key


def update_of(scorecard: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """One push of the live page: both parts re-rendered, with the instant they are at."""
    html, charts, key = _scorecard_part(scorecard)
    board = live.get("board") or {}
    return {
        "scorecard_key": key,
        "scorecard_html": html,
        "charts": charts,
        "live_html": live_sections(live),
        "as_of": scorecard.get("as_of", ""),
        "now_epoch": board.get("now_epoch"),
        "clock": live.get("health", {}).get("clock", "wall"),
        "seq": live.get("seq", 0),
    }


def render_page(
    scorecard: dict[str, Any], live: dict[str, Any] | None = None, tv: bool = False
) -> str:
    """The whole page. `live`: the worker's live data (board, health, intent, seq)."""
    html, charts, key = _scorecard_part(scorecard)
    agreement = escape(str(scorecard.get("agreement") or "SLA"))
    data: dict[str, Any] = {"charts": charts, "scorecard_key": key, "live": live is not None}
    if live is not None:
        board = live.get("board") or {}
        data.update(
            now_epoch=board.get("now_epoch"),
            clock=live.get("health", {}).get("clock", "wall"),
            events="dashboard/events",
            seq=live.get("seq", 0),
        )
    mode = "live" if live is not None else "offline"
    status = (
        '<span id="conn" class="conn" role="status" aria-live="polite">connecting…</span>'
        if live is not None
        else '<span class="conn offline">replayed stream</span>'
    )
    live_html = lost = ""
    if live is not None:
        live_html = f'<div id="live">{live_sections(live)}</div>'
        lost = (
            '<div id="lost" role="alert">The connection to the worker is lost: reconnecting…</div>'
        )

    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leadflow: {agreement}</title>
<style>{asset("uPlot.min.css")}</style>
<style>{asset("dashboard.css")}</style>
</head>
<body class="{mode}{" tv" if tv else ""}">
<header><h1>{agreement}</h1>
<p>Scorecard as of <span id="as-of">{escape(str(scorecard.get("as_of", "")))}</span>
({escape(str(scorecard.get("timezone", "")))}) {status}</p></header>
<main>{lost}
<div id="scorecard">{html}</div>
{live_html}
</main>
<footer>leadflow shared dashboard &middot; lead ids only, no personal data unless a setting
turns it on &middot; charts: uPlot (MIT)</footer>
<script type="application/json" id="lf-data">{_island(data)}</script>
<script>{asset("uPlot.iife.min.js")}</script>
<script>{asset("dashboard.js")}</script>
</body></html>
"""

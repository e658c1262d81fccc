"""The shell every report page shares: one self-contained HTML file (inline CSS, figures
as SVG data URIs), with sections and figures that say "not measured" when missing."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from simulator.report import sections
from simulator.report.css import CSS
from simulator.report.figure import Plot


def page(title: str, sub: str, body: Sequence[str], footer: str) -> str:
    """A whole page: TITLE as its heading, SUB under it, BODY's HTML, FOOTER's words."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head>"
            f"<body><main><header><h1>{escape(title)}</h1><p>{escape(sub)}</p></header>"
            f"{''.join(body)}<footer>{escape(footer)}</footer></main></body></html>\n")


def section(key: str, title: str, inner: str) -> str:
    return f'<section id="{key}"><h2>{escape(title)}</h2>{inner}</section>'


def figure(plot: Plot | None, what: str) -> str:
    """The figure, or WHAT followed by "not measured" when there was nothing to draw."""
    return f"<figure>{plot.img()}</figure>" if plot is not None else sections.not_measured(what)


def write(text: str, path: str | Path) -> None:
    """Write a rendered page to PATH (parent directories are created)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")

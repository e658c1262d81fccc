"""The scorecard as CSV (for a spreadsheet) and Markdown (for a wiki): pure functions of
the cards (routing.scorecard.WeekCard), like the text and JSON renderings.

CSV: one row per commitment and period, a header first (`CSV_COLUMNS`); shares as exact
fractions (0.95), counts as numbers, an empty cell for a value that does not exist.
Markdown: per period a heading, the commitments' table, the funnel's (and by source, tier,
segment); then the trends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Final

from routing.funnel import BY, QUALITY, RATES, STAGES
from routing.funnel_view import HIGHLIGHT, MEANING
from routing.scorecard import WeekCard, last_periods
from routing.trends import ARROWS, TREND_PERIODS, direction, trends

CSV_COLUMNS: Final = (
    "per", "period", "first_day", "last_day", "status_of_period", "side", "commitment",
    "unit", "target", "actual", "n", "status", "breaches", "consecutive", "action",
)  # fmt: skip


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _state(card: WeekCard) -> str:
    return "in progress" if card.in_progress else "partial" if card.partial else "closed"


def to_csv(cards: Sequence[WeekCard], periods: int | None = None) -> str:
    """One row per commitment and period (the last `periods` of each kind), header first."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for card in last_periods(cards, periods):
        for row in card.rows:
            out.writerow([
                card.per, card.label, card.first_day.isoformat(), card.last_day.isoformat(),
                _state(card), row.side, row.commitment, row.unit, _num(row.target),
                _num(row.actual), row.n, row.status, card.breaches.get(row.commitment, ""),
                row.consecutive, row.action or "",
            ])  # fmt: skip
    return buf.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], body: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in line) + " |" for line in body]
    return lines


def _value(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    return f"{x:.0f}" if unit == "count" else f"{x * 100:.1f}%"


def _card_md(card: WeekCard) -> list[str]:
    state = {"in progress": " (in progress)", "partial": " (partial: not evaluated)"}
    title = f"{card.per.capitalize()} {card.label}"
    days = f"{card.first_day:%a %Y-%m-%d} .. {card.last_day:%a %Y-%m-%d}"
    out = [f"### {title}{state.get(_state(card), '')}", "", f"{days}; MQLs: {card.mqls}", ""]
    if card.recurring is not None:
        reason, weeks = card.recurring
        out += [f"**Marketing:** `{reason}` tops the rejection reasons {weeks} weeks running.", ""]
    body = [
        [
            row.side, row.commitment, _value(row.target, row.unit), _value(row.actual, row.unit),
            str(row.n), row.status, str(card.breaches.get(row.commitment, "-")),
            str(row.consecutive), row.action or "-",
        ]
        for row in card.rows
    ]  # fmt: skip
    header = ["side", "commitment", "target", "actual", "n", "status", "breaches",
              "consecutive", "action"]  # fmt: skip
    out += _md_table(header, body, right={2, 3, 4, 6, 7})
    f = card.funnel
    if f is not None:
        stages = " → ".join([f"MQLs {f.counts['mqls']}", *[f"{s} {f.counts[s]}" for s in STAGES]])
        out += ["", f"Funnel (this {card.per}'s MQLs): {stages}; lost {f.lost}", ""]
        rates = []
        for name in (*RATES, *QUALITY):
            share = f.rate(name)
            label = f"**{name}**" if name == HIGHLIGHT else name
            rates.append([label, _value(share.actual, "share"), str(share.n), MEANING[name]])
        out += _md_table(["rate", "actual", "n", "counts"], rates, right={1, 2})
        for dim in BY:
            slices = f.by.get(dim, {})
            if not slices:
                continue
            body = [
                [
                    value, str(s.mqls), _value(s.acceptance.actual, "share"),
                    str(s.acceptance.n), _value(s.conversion.actual, "share"),
                ]
                for value, s in slices.items()
            ]  # fmt: skip
            out += ["", f"By {dim}:", ""]
            out += _md_table(
                [dim, "MQLs", "acceptance", "n", "MQL -> opportunity"], body, right={1, 2, 3, 4}
            )
    return out


def to_markdown(cards: Sequence[WeekCard], periods: int | None = None) -> str:
    """Per period (the last `periods` of each kind) its tables; then the trends table."""
    if not cards:
        return "No weeks to show yet.\n"
    out = ["## Scorecard", ""]
    for card in last_periods(cards, periods):
        out += [*_card_md(card), ""]
    out += ["### Trends", ""]
    body = []
    for name, points in trends(cards, TREND_PERIODS).items():
        way = direction(points)
        unit = "count" if name == "mql_volume" else "share"
        seq = ", ".join(f"{p.period}: {_value(p.actual, unit)} (n={p.n})" for p in points)
        body.append([name, f"{ARROWS[way]} {way or 'too few'}", seq])
    out += _md_table(["trend", "direction", "periods (oldest first)"], body, right=set())
    return "\n".join(out) + "\n"


__all__ = ["CSV_COLUMNS", "to_csv", "to_markdown"]

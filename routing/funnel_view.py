"""The funnel's and the trends' part of the scorecard: as JSON-able data and as text.

Pure functions of routing.funnel.FunnelCard and routing.trends points, used by every
rendering of the scorecard (routing.scorecard, routing.scorecard_formats).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from routing.funnel import BY, QUALITY, RATES, STAGES, FunnelCard, Share
from routing.trends import ARROWS, Point, direction

#: What each rate and share counts, in words (its numerator / its denominator `n`).
MEANING: Final = {
    "mql_to_sal": "SAL / MQLs",
    "sal_to_sql": "SQL / SAL",
    "sql_to_opportunity": "opportunities / SQL",
    "mql_to_opportunity": "opportunities / MQLs",
    "opportunity_to_won": "won / opportunities",
    "quality_acceptance": "accepted / dispositioned",
    "follow_up_completion": "follow-up cadence completed / touched",
    "disposition_within_window": "dispositioned within the window / dispositioned",
}
HIGHLIGHT: Final = "mql_to_opportunity"  # the one number neither side can game


def _ratio(share: Share) -> float | None:
    return share.actual


def _amounts(sums: Mapping[str, float]) -> str:
    return ", ".join(f"{amount:,.2f} {currency}" for currency, amount in sums.items()) or "-"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def funnel_json(card: FunnelCard) -> dict[str, Any]:
    """The `funnel` object of a period (docs/scorecard.md)."""
    out: dict[str, Any] = dict(card.counts)
    out["lost"] = card.lost
    out["won_amount"] = dict(card.won_amount)
    out["pipeline_amount"] = dict(card.pipeline_amount)
    for name in RATES:
        out[name] = card.rate(name).actual
    out["n"] = {name: card.rate(name).n for name in (*RATES, *QUALITY)}
    for name in QUALITY:
        out[name] = card.rate(name).actual
    scored, mean = card.score
    out["avg_score_at_handoff"] = mean
    out["scored"] = scored
    out["outside_cohorts"] = card.outside_cohorts
    out["by"] = {
        dim: {
            value: {
                "mqls": s.mqls,
                "dispositioned": s.dispositioned,
                "accepted": s.accepted,
                "acceptance": s.acceptance.actual,
                "opportunity": s.opportunity,
                "won": s.won,
                "conversion": s.conversion.actual,
            }
            for value, s in slices.items()
        }
        for dim, slices in card.by.items()
    }
    return out


def funnel_lines(card: FunnelCard, per: str) -> list[str]:
    """The funnel block of a period's text card."""
    from routing.scorecard import _table  # here: routing.scorecard imports this module

    c = card.counts
    out = [f"Funnel of this {per}'s MQLs (by MQL cohort; later stages count when they come)"]
    stages = [["MQLs", str(c["mqls"])], *[[s, str(c[s])] for s in STAGES], ["lost", str(card.lost)]]
    out += _table(["stage", "leads"], stages, right={1})
    out += [
        "",
        f"won amount: {_amounts(card.won_amount)}; pipeline (opportunities): "
        f"{_amounts(card.pipeline_amount)}",
        "",
    ]
    body = []
    for name in (*RATES, *QUALITY):
        share = card.rate(name)
        mark = "  <- MQL -> Opportunity" if name == HIGHLIGHT else ""
        body.append([name, _pct(share.actual), str(share.n), MEANING[name] + mark])
    out += _table(["rate", "actual", "n", "counts"], body, right={1, 2})
    out += [""]
    scored, mean = card.score
    avg = "-" if mean is None else f"{mean:.1f}"
    out += [f"average score at handoff: {avg} (n={scored})"]
    if card.outside_cohorts:
        out += [f"stage events of leads that were never MQLs: {card.outside_cohorts}"]
    for dim in BY:
        slices = card.by.get(dim, {})
        if not slices:
            continue
        rows = [
            [
                value, str(s.mqls), _pct(s.acceptance.actual), str(s.acceptance.n),
                _pct(s.conversion.actual),
            ]
            for value, s in slices.items()
        ]  # fmt: skip
        out += ["", f"By {dim}"]
        out += _table(
            [dim, "MQLs", "acceptance", "n", "MQL -> opportunity"], rows, right={1, 2, 3, 4}
        )
    return out


def recurring_line(recurring: tuple[str, int]) -> str:
    reason, weeks = recurring
    return (
        f"Marketing: {reason!r} has been the top rejection reason {weeks} weeks running; "
        "look at the leads behind it."
    )


def _point(p: Point, unit_count: bool) -> str:
    value = "-" if p.actual is None else f"{p.actual:.0f}" if unit_count else _pct(p.actual)
    return f"{p.period} {value} (n={p.n})"


def trend_lines(all_trends: Mapping[str, Sequence[Point]], counts: Sequence[str] = ()) -> list[str]:
    """One line per trend: its points, oldest first, and its direction."""
    out = [
        "Trends (up to the last 12 periods, oldest first; direction from the last two "
        "complete periods with a value; 'too few' below two)"
    ]
    width = max((len(name) for name in all_trends), default=0)
    for name, points in all_trends.items():
        way = direction(points)
        unit_count = name in counts or name == "mql_volume"
        text = "  ".join(_point(p, unit_count) for p in points)
        out.append(f"{name.ljust(width)}  {ARROWS[way]} {way or 'too few':<7}  {text}")
    return out


__all__ = ["HIGHLIGHT", "MEANING", "funnel_json", "funnel_lines", "recurring_line", "trend_lines"]

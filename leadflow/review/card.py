"""A small adapter over the scorecard JSON (`Commitments.to_json`): the weeks, their rows,
and what later scorecards add when present (`n` on a row, a `funnel` object per week,
`trends.<name>` series). Absent fields are None: nothing here computes a rule; it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FUNNEL_RATES = ("mql_to_sal", "sal_to_sql", "mql_to_opportunity", "opportunity_to_won")
FUNNEL_COUNTS = ("mqls", "sal", "sql", "opportunity", "won", "won_amount")


@dataclass(frozen=True)
class CardRow:
    commitment: str
    side: str
    target: float
    actual: float | None
    status: str
    consecutive: int
    action: str | None
    unit: str
    n: int | None  # the row's denominator, when the scorecard gives it


@dataclass(frozen=True)
class CardWeek:
    label: str
    start: str
    first_day: str
    last_day: str
    partial: bool
    in_progress: bool
    mqls: int
    rows: dict[str, CardRow]
    rejection_reasons: dict[str, int]
    speed: dict[str, dict[str, Any]]
    breaches: dict[str, int]
    funnel: dict[str, Any] | None = None

    @property
    def closed(self) -> bool:
        """Judged: neither partial nor still in progress."""
        return not self.partial and not self.in_progress


@dataclass(frozen=True)
class Card:
    agreement: str
    timezone: str
    as_of: str
    weeks: list[CardWeek]
    trends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def commitments(self) -> list[str]:
        seen: dict[str, None] = {}
        for week in self.weeks:
            for key in week.rows:
                seen.setdefault(key, None)
        return list(seen)

    @property
    def has_funnel(self) -> bool:
        return any(week.funnel for week in self.weeks)


def funnel_rate(week: CardWeek, name: str) -> tuple[float | None, int | None]:
    """A funnel rate of a week's cohort and its `n` (None when the scorecard has no such
    rate, or gives no `n`)."""
    funnel = week.funnel or {}
    rate = funnel.get(name)
    ns = funnel.get("n")
    n = ns.get(name) if isinstance(ns, dict) else None
    return (float(rate) if isinstance(rate, int | float) else None,
            int(n) if isinstance(n, int | float) else None)


def _row(raw: dict[str, Any]) -> CardRow:
    n = raw.get("n")
    return CardRow(
        commitment=raw["commitment"],
        side=raw["side"],
        target=raw["target"],
        actual=raw.get("actual"),
        status=raw["status"],
        consecutive=int(raw.get("consecutive", 0)),
        action=raw.get("action"),
        unit=raw.get("unit", "share"),
        n=int(n) if isinstance(n, int | float) else None,
    )


def read_card(data: dict[str, Any]) -> Card:
    """The scorecard JSON of today's core, or of one with `n`, `funnel` and `trends`."""
    weeks = []
    for raw in data.get("weeks", []):
        funnel = raw.get("funnel")
        weeks.append(
            CardWeek(
                label=raw["label"],
                start=raw["start"],
                first_day=raw["first_day"],
                last_day=raw["last_day"],
                partial=bool(raw.get("partial")),
                in_progress=bool(raw.get("in_progress")),
                mqls=int(raw.get("mqls", 0)),
                rows={r["commitment"]: _row(r) for r in raw.get("rows", [])},
                rejection_reasons=dict(raw.get("rejection_reasons", {})),
                speed=dict(raw.get("speed", {})),
                breaches=dict(raw.get("breaches", {})),
                funnel=dict(funnel) if isinstance(funnel, dict) else None,
            )
        )
    trends = data.get("trends")
    return Card(
        agreement=data.get("agreement", ""),
        timezone=data.get("timezone", ""),
        as_of=data.get("as_of", ""),
        weeks=weeks,
        trends=dict(trends) if isinstance(trends, dict) else {},
    )


__all__ = [
    "FUNNEL_COUNTS", "FUNNEL_RATES", "Card", "CardRow", "CardWeek", "funnel_rate", "read_card",
]

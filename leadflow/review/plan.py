"""Work backwards from a revenue goal to the MQLs marketing must deliver.

    deals         = revenue / average deal size
    opportunities = deals / opportunity -> won rate
    MQLs          = opportunities / MQL -> opportunity rate
    per week      = MQLs / weeks in the period; per month = MQLs / months in the period

Rates are given as options or measured from a history's scorecard funnel (when the
scorecard has one). Each step is shown with its numbers.
"""

from __future__ import annotations

import math
from typing import Any

from leadflow.review import ReviewError

PERIODS = {"month": (52 / 12, 1), "quarter": (13, 3), "half_year": (26, 6), "year": (52, 12)}


def plan(
    revenue: float, deal_size: float, win_rate: float, mql_to_opportunity: float,
    period: str = "quarter", tier_mix: dict[str, float] | None = None,
    sources: dict[str, str] | None = None,
) -> dict[str, Any]:
    for name, v in (("--revenue", revenue), ("--deal-size", deal_size)):
        if not (v > 0 and math.isfinite(v)):
            raise ReviewError(f"{name}: expected a positive amount, got {v}")
    for name, v in (("--win-rate", win_rate), ("--mql-to-opportunity", mql_to_opportunity)):
        if not 0 < v <= 1:
            raise ReviewError(f"{name}: expected a share in (0, 1], got {v}")
    if period not in PERIODS:
        raise ReviewError(f"--period: expected one of {', '.join(PERIODS)}, got {period!r}")
    weeks, months = PERIODS[period]
    deals = revenue / deal_size
    opportunities = deals / win_rate
    mqls = opportunities / mql_to_opportunity
    out: dict[str, Any] = {
        "revenue": revenue, "deal_size": deal_size, "win_rate": win_rate,
        "mql_to_opportunity": mql_to_opportunity, "period": period, "weeks": weeks,
        "months": months, "deals": deals, "opportunities": opportunities, "mqls": mqls,
        "per_week": mqls / weeks, "per_month": mqls / months,
        "sources": sources or {},
        "steps": [
            f"deals = revenue / deal size = {revenue:,.0f} / {deal_size:,.0f} = {deals:,.1f}",
            f"opportunities = deals / win rate = {deals:,.1f} / {win_rate:.3f} = "
            f"{opportunities:,.1f}",
            f"MQLs = opportunities / MQL->opportunity = {opportunities:,.1f} / "
            f"{mql_to_opportunity:.3f} = {mqls:,.1f}",
            f"per week = {mqls:,.1f} / {weeks:g} weeks = {mqls / weeks:,.1f}; per month = "
            f"{mqls:,.1f} / {months} months = {mqls / months:,.1f}",
        ],
        "tiers": None,
    }
    if tier_mix:
        total = sum(tier_mix.values())
        if total <= 0:
            raise ReviewError("--tier-mix: the shares add up to 0")
        out["tiers"] = {
            t: {"share": s / total, "per_week": mqls / weeks * s / total,
                "per_month": mqls / months * s / total}
            for t, s in tier_mix.items()
        }
    return out

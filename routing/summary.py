"""The weekly summary: a closed week's headline rows with trend arrows and the ladder's
actions, as one record (`type: summary.weekly`) every surface renders the same way.

`weekly_summary(scorecard)` takes the scorecard as JSON (`leadflow scorecard --json`,
`Commitments.to_json`) and picks the last closed week. A trend comes from the card's own
`trends` when it has them (keyed by commitment: "up", "down" or "flat"), else from the
week before: up or down by the row's actual, flat when equal, none without a value.
Whether up is good is the reader's: every commitment here is a "more is better" share or
count. Pure: same scorecard, same record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ARROWS", "weekly_summary"]

ARROWS: dict[str, str] = {"up": "▲", "down": "▼", "flat": "▶"}
_JUDGED = ("met", "missed")


def _trend(row: Mapping[str, Any], before: Mapping[str, Any] | None,
           given: Mapping[str, Any]) -> str | None:
    explicit = given.get(str(row["commitment"]))
    if isinstance(explicit, str) and explicit in ARROWS:
        return explicit
    if isinstance(explicit, Mapping) and explicit.get("direction") in ARROWS:
        return str(explicit["direction"])
    if before is None or row.get("actual") is None or before.get("actual") is None:
        return None
    a, b = float(row["actual"]), float(before["actual"])
    return "flat" if a == b else ("up" if a > b else "down")


def weekly_summary(scorecard: Mapping[str, Any], label: str | None = None) -> dict[str, Any] | None:
    """The summary record of week `label` (default: the last week that is not in progress),
    or None when there is no such week."""
    weeks = [w for w in scorecard.get("weeks", []) if not w.get("in_progress")]
    if label is not None:
        weeks = [w for w in scorecard.get("weeks", []) if w.get("label") == label]
    if not weeks:
        return None
    week = weeks[-1]
    all_weeks = list(scorecard.get("weeks", []))
    index = next(i for i, w in enumerate(all_weeks) if w.get("label") == week["label"])
    previous = all_weeks[index - 1] if index > 0 else None
    before = {r["commitment"]: r for r in previous["rows"]} if previous else {}
    given = week.get("trends") or {}
    rows = []
    for row in week.get("rows", []):
        trend = _trend(row, before.get(row["commitment"]), given if isinstance(given, Mapping)
                       else {})
        rows.append({
            "commitment": row["commitment"], "side": row["side"], "unit": row.get("unit", "share"),
            "target": row["target"], "actual": row.get("actual"), "status": row["status"],
            "trend": trend, "arrow": ARROWS.get(trend or "", ""),
            "consecutive": row.get("consecutive", 0), "action": row.get("action"),
        })
    judged = [r for r in rows if r["status"] in _JUDGED]
    met = sum(1 for r in judged if r["status"] == "met")
    actions = [{"commitment": r["commitment"], "side": r["side"], "action": r["action"],
                "consecutive": r["consecutive"]} for r in rows if r["action"]]
    headline = (f"{scorecard.get('agreement', 'SLA')}, week {week['label']} "
                f"({week['first_day']} to {week['last_day']}): {met} of {len(judged)} "
                f"commitments met")
    return {
        "event_id": f"summary:{week['label']}", "type": "summary.weekly", "at": week["end"],
        "period": week["label"], "first_day": week["first_day"], "last_day": week["last_day"],
        "partial": bool(week.get("partial")), "mqls": week.get("mqls"), "headline": headline,
        "met": met, "judged": len(judged), "rows": rows, "actions": actions,
        "funnel": week.get("funnel"),
    }


def value_text(value: Any, unit: str) -> str:
    """A row's value as the scorecard shows it: a count as is, a share as a percentage."""
    if value is None:
        return "n/a"
    if unit == "count":
        return f"{value:g}" if isinstance(value, float) else str(value)
    return f"{100 * float(value):.0f}%"

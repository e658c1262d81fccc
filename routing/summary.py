"""The weekly summary: a closed week's headline rows with trend arrows and the ladder's
actions, as one record (`type: summary.weekly`) every surface renders the same way.

`weekly_summary(scorecard)` takes the scorecard as JSON (`leadflow scorecard --json`,
`Commitments.to_json`) and picks the last closed week. A row's trend compares its actual
with the period before: up or down, flat when equal, none when either has nothing
measured (a null actual, `n` 0). Both come from the scorecard's `trends` (one list of
`{period, actual, n, status}` per commitment) when they hold the week and the one
before, else from the row of the week before in `weeks`. Whether up is good is the reader's: every
commitment here is a "more is better" share or count. Pure: same scorecard, same record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ARROWS", "weekly_summary"]

ARROWS: dict[str, str] = {"up": "▲", "down": "▼", "flat": "▶"}
_JUDGED = ("met", "missed")


def _direction(now: Any, then: Any) -> str | None:
    if not isinstance(now, (int, float)) or not isinstance(then, (int, float)):
        return None
    a, b = float(now), float(then)
    return "flat" if a == b else ("up" if a > b else "down")


def _trend(row: Mapping[str, Any], label: str, before: Mapping[str, Any] | None,
           trends: Mapping[str, Any]) -> str | None:
    """The row's direction against the period before: from its list in the scorecard's
    `trends` when there is one (the point of `label` and the one before it), else from
    the row of the week before (`before`)."""
    points = trends.get(str(row["commitment"]))
    if isinstance(points, list):
        points = [p for p in points if isinstance(p, Mapping)]
        periods = [p.get("period") for p in points]
        i = periods.index(label) if label in periods else -1
        if i > 0:
            return _direction(points[i].get("actual"), points[i - 1].get("actual"))
    # Not in the trends (none, or the week is older than the periods they cover).
    if before is None:
        return None
    return _direction(row.get("actual"), before.get("actual"))


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
    given = scorecard.get("trends")
    trends: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    rows = []
    for row in week.get("rows", []):
        trend = _trend(row, str(week["label"]), before.get(row["commitment"]), trends)
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

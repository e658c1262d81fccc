"""What one scorecard period counted, and the figures read from it.

`Commitments` (routing.commitments) keeps one `PeriodCounts` per week (and per month or
quarter when a commitment is evaluated so) and fills it as the engine records what
happens; a row's actual and its denominator `n` (`measure`), the per-tier speed, the
breaches and the rejection reason topping the week are read from it here. Pure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from mypy_extensions import mypyc_attr

from routing.commitment_specs import REJECTION_DOCUMENTATION, Spec
from routing.scorecard import percentile
from routing.tally import Tally

#: How a period's rows are made: decided ("evaluate"), or shown only.
Mode = Literal["evaluate", "partial", "in progress"]


@mypyc_attr(serializable=True)
@dataclass(slots=True)
class PeriodCounts:
    mqls: int = 0
    complete: int = 0
    accepted: int = 0
    dispositioned: int = 0
    # Tallies: Counters whose `+= 1` costs what a dict's does (routing.tally).
    met: Counter[str] = field(default_factory=Tally)
    missed: Counter[str] = field(default_factory=Tally)
    reasons: Counter[str] = field(default_factory=Tally)
    speed: dict[str, list[float]] = field(default_factory=dict)
    # First-touch windows closed by a disposition before any touch, by SLA key (due week).
    unmet: Counter[str] = field(default_factory=Tally)
    untouched: int = 0  # dispositions without any touch (disposition week)
    refused_rejections: int = 0  # rejections refused for a missing/unknown reason
    # rep -> [first-touch windows met, missed, closed without a touch]
    reps: dict[str, list[int]] = field(default_factory=dict)


def measure(spec: Spec, week: PeriodCounts) -> tuple[float | None, int]:
    """The row's actual and its denominator `n` (for a count: the count itself)."""
    if spec.unit == "count":
        return week.mqls, week.mqls
    key = spec.key
    if key == "data_completeness":
        num, den = week.complete, week.mqls
    elif key == "sal_rate":
        num, den = week.accepted, week.dispositioned
    elif key == REJECTION_DOCUMENTATION:
        num = sum(week.reasons.values())
        den = num + week.refused_rejections
    else:
        num = week.met[key]
        den = num + week.missed[key] + week.unmet[key]
    return (num / den if den else None), den


def reason_streak(
    last: tuple[str, int], week: PeriodCounts | None, mode: Mode
) -> tuple[str, int]:
    """The rejection reason topping an evaluated week's list (alone: a tie tops
    nothing) and for how many evaluated weeks running it has; ("", 0) for none."""
    if mode != "evaluate" or week is None or not week.reasons:
        return ("", 0)
    ranked = sorted(week.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return ("", 0)
    reason = ranked[0][0]
    return (reason, last[1] + 1 if last[0] == reason else 1)


def speeds(
    week: PeriodCounts, tiers: list[str]
) -> dict[str, tuple[int, float | None, float | None]]:
    """Per tier: how many first touches, their median and 95th percentile."""
    out: dict[str, tuple[int, float | None, float | None]] = {}
    for tier in tiers:
        values = week.speed.get(tier, [])
        if values:
            out[tier] = (len(values), percentile(values, 50), percentile(values, 95))
        else:
            out[tier] = (0, None, None)
    return out


def breaches(week: PeriodCounts, per_lead: list[str]) -> dict[str, int]:
    """Missed windows by SLA key: every per-lead row's (0 included), then any other."""
    out = {key: week.missed[key] for key in per_lead}
    out.update({k: n for k, n in sorted(week.missed.items()) if k not in out and n})
    return out


__all__ = ["Mode", "PeriodCounts", "breaches", "measure", "reason_streak", "speeds"]

"""Read the simulator's result dict defensively: any field may be absent, empty or odd.

The report renders what exists and never crashes on a missing or malformed field; these
accessors return ``None`` / empty containers instead of raising.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


def get(d: Any, *path: str) -> Any:
    """The value at ``path`` in nested mappings, or None when any step is missing."""
    for key in path:
        if not isinstance(d, Mapping) or key not in d:
            return None
        d = d[key]
    return d


def num(d: Any, *path: str) -> float | None:
    """A finite number at ``path`` (booleans are not numbers here), else None."""
    v = get(d, *path)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if math.isfinite(v) else None


def mapping(d: Any, *path: str) -> dict[str, Any]:
    v = get(d, *path)
    return {str(k): x for k, x in v.items()} if isinstance(v, Mapping) else {}


def numbers(v: Any) -> list[float | None]:
    """A list of numbers, with None in place of anything that is not a finite number."""
    if not isinstance(v, Sequence) or isinstance(v, str | bytes):
        return []
    return [num({"x": x}, "x") for x in v]


def pair(d: Any, *path: str) -> tuple[float, float] | None:
    """A [low, high] interval at ``path``, or None."""
    v = numbers(get(d, *path))
    if len(v) != 2 or v[0] is None or v[1] is None:
        return None
    return (v[0], v[1])


def when(v: Any) -> datetime | None:
    """An ISO 8601 time (offset or ``Z``) as a datetime, else None."""
    if not isinstance(v, str):
        return None
    try:
        return datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None


def tier_names(result: Any) -> list[str]:
    """Tiers in the order the targets list them, then any other tier the result has."""
    names = list(mapping(result, "targets"))
    return names + [t for t in mapping(result, "tiers") if t not in names]


@dataclass(frozen=True)
class Shortfall:
    """A tier that misses its target: by its mean share, or only at the CI's low end."""

    tier: str
    share: float
    target: float
    ci95: tuple[float, float] | None
    by_mean: bool


def shortfalls(result: Any) -> list[Shortfall]:
    """The tiers whose share of first touches within the SLA falls short of the target.

    A tier falls short when its mean is below the target, or when the low end of its 95%
    confidence interval is (the staffing search's criterion).
    """
    out = []
    for tier, target_v in mapping(result, "targets").items():
        target = num({"t": target_v}, "t")
        share = num(result, "tiers", tier, "first_touch_within_sla")
        if target is None or share is None:
            continue
        ci = pair(result, "tiers", tier, "first_touch_within_sla_ci95")
        low = ci[0] if ci else share
        if share < target or low < target:
            out.append(Shortfall(tier, share, target, ci, by_mean=share < target))
    return out


def meets_targets(result: Any) -> bool | None:
    """The result's own verdict; derived from the targets when it has none; else None."""
    v = get(result, "meets_targets")
    if isinstance(v, bool):
        return v
    measured = [t for t in mapping(result, "targets")
                if num(result, "tiers", t, "first_touch_within_sla") is not None]
    return not shortfalls(result) if measured else None

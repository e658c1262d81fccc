"""Warnings about a valid policy that probably does not say what its authors mean.

`leadflow validate` prints them on stderr and still exits 0: each names the key and says
what will happen. They cover a tier no lead can reach, a pool with no reps, a policy with
no team, a surge relax that tightens a window, and a follow-up cadence longer than the
disposition window it must fit in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routing.durations import Duration
from routing.policy.conditions import Range, describe_condition
from routing.policy.loader import LoadedPolicy
from routing.policy.models import Policy

#: Lead fields on a 0-100 scale (routing.events: `Share100`).
PERCENT_FIELDS = ("score", "fit")


def policy_warnings(loaded: LoadedPolicy) -> list[str]:
    """Every warning for LOADED, in the order of the policy file's sections."""
    policy = loaded.policy
    out = _tiers(policy)
    out += _relax(policy)
    out += _cadence(policy)
    out += _team(loaded)
    return out


# --- tiers ----------------------------------------------------------------------------
def _implies(narrow: Any, wide: Any) -> bool:
    """Every value matching NARROW matches WIDE (one field's matchers)."""
    if isinstance(wide, Range):
        if isinstance(narrow, Range):
            lo_ok = wide.min is None or (narrow.min is not None and narrow.min >= wide.min)
            hi_ok = wide.max is None or (narrow.max is not None and narrow.max <= wide.max)
            return lo_ok and hi_ok
        if isinstance(narrow, int | float) and not isinstance(narrow, bool):
            return (wide.min is None or narrow >= wide.min) and (
                wide.max is None or narrow <= wide.max
            )
        return False
    norm = _norm_set(wide)
    if isinstance(narrow, list):
        return all(_norm(v) in norm for v in narrow)
    if isinstance(narrow, Range):
        return False
    return _norm(narrow) in norm


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _norm_set(matcher: Any) -> list[Any]:
    return [_norm(v) for v in matcher] if isinstance(matcher, list) else [_norm(matcher)]


def _covers(wide: Mapping[Any, Any], narrow: Mapping[Any, Any]) -> bool:
    """Every lead matching the condition NARROW matches WIDE."""
    return all(f in narrow and _implies(narrow[f], m) for f, m in wide.items())


def _disjoint(a: Any, b: Any) -> bool:
    """No value matches both (ranges, or a range and the MQL definition's)."""
    if isinstance(a, Range) and isinstance(b, Range):
        lo = max(x for x in (a.min, b.min, float("-inf")) if x is not None)
        hi = min(x for x in (a.max, b.max, float("inf")) if x is not None)
        return lo > hi
    return False


def _tiers(policy: Policy) -> list[str]:
    out: list[str] = []
    mql: Mapping[Any, Any] = policy.definitions.mql
    for i, tier in enumerate(policy.tiers):
        where = f"tiers[{i}] ({tier.name})"
        for j in range(i):
            earlier = policy.tiers[j]
            if _covers(earlier.when, tier.when):
                out.append(
                    f"{where}: no lead can reach this tier: every lead it matches "
                    f"({describe_condition(tier.when)}) matches tiers[{j}] ({earlier.name}: "
                    f"{describe_condition(earlier.when)}) first"
                )
                break
        for field, matcher in tier.when.items():
            percent = isinstance(matcher, Range) and field in PERCENT_FIELDS
            if percent and _disjoint(matcher, Range(min=0, max=100)):
                out.append(
                    f"{where}: when.{field} asks for {describe_condition({field: matcher})}"
                    f", but {field} is 0-100: no lead can reach this tier"
                )
            if field in mql and _disjoint(matcher, mql[field]):
                out.append(
                    f"{where}: when.{field} ({describe_condition({field: matcher})}) excludes "
                    f"every MQL (definitions.mql: {describe_condition({field: mql[field]})}): "
                    "no lead can reach this tier"
                )
    return out


# --- windows --------------------------------------------------------------------------
def _shorter(a: Duration, b: Duration, clock: str) -> bool | None:
    """A is shorter than B on CLOCK; None when they cannot be compared (a business day is
    a working day of the calendar, not 24 hours: days and hours do not compare)."""
    if clock == "business" and a.is_days != b.is_days:
        return None
    return a.seconds < b.seconds


def _relax(policy: Policy) -> list[str]:
    if policy.surge is None:
        return []
    out: list[str] = []
    windows = {t.name: t.first_touch for t in policy.tiers}
    for name, relaxed in policy.surge.actions.relax_first_touch.items():
        window = windows.get(name)
        if window is None or isinstance(window.within, str):
            continue  # end_of_business_day: at most one working day, not comparable here
        if _shorter(relaxed, window.within, window.clock):
            out.append(
                f"surge.actions.relax_first_touch.{name}: {relaxed.text} is shorter than the "
                f"tier's own first-touch window ({window.within.text}, {window.clock} clock): "
                "during a surge this tightens the window instead of relaxing it"
            )
    return out


def _cadence(policy: Policy) -> list[str]:
    follow, dispo = policy.sales_commits.follow_up, policy.sales_commits.disposition
    if follow is None or dispo is None:
        return []
    if follow.clock != dispo.clock:
        return []
    if _shorter(dispo.within, follow.within, follow.clock):
        return [
            f"sales_commits.follow_up.within ({follow.within.text}, from the first touch) is "
            f"longer than sales_commits.disposition.within ({dispo.within.text}, from the "
            f"MQL): a lead worked through the whole cadence of {follow.touches} touches "
            "before it is closed as unresponsive misses the disposition window"
        ]
    return []


# --- team -----------------------------------------------------------------------------
def _team(loaded: LoadedPolicy) -> list[str]:
    reps = loaded.team.reps
    if not reps:
        return [
            "team: the policy has no team (no `team:` and no --team): every MQL will wait "
            "in its pool's queue; name a team file with `team: team.yaml` or pass --team"
        ]
    out: list[str] = []
    for i, pool in enumerate(loaded.policy.routing.pools):
        if not any(pool.name in rep.pools for rep in reps):
            then = (
                f"they overflow to {pool.overflow}"
                if pool.overflow
                else "they wait in its queue until a rep joins it (rep.upserted)"
            )
            out.append(
                f"routing.pools[{i}] ({pool.name}): no rep of the team is in this pool: "
                f"leads routed to it are never assigned there; {then}"
            )
    return out

"""Lead fields that make the policy's own rules put a lead in a given tier.

For each tier the policy's conditions are read (the MQL definition, the tier's `when`, and
the negation of every earlier tier's `when`, since the first match wins) and turned into
field values: numeric ranges become integer intervals a score or fit is drawn from, and
scalars/lists become fixed values. The result is then checked against the core's own
`Definitions` (MQL, disqualification, tier) at both ends of every interval, so the core,
not this module, has the last word on what tier a generated lead gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from routing.errors import LeadflowError
from routing.lead import Definitions
from routing.policy.conditions import Matcher, Range
from routing.policy.models import Policy

BOUNDS = {"score": (0, 100), "fit": (0, 100)}
FILLER: dict[str, Any] = {
    "name": "Sim Lead",
    "email": "lead@example.com",
    "company": "Example Co",
    "role": "buyer",
    "source": "simulation",
    "region": "na",
    "country": "US",
    "industry": "software",
}


class LeadGenError(LeadflowError):
    """The policy's tier conditions cannot be met by a generated lead."""


@dataclass
class TierTemplate:
    """How to make a lead of one tier: fixed fields, integer ranges to draw, engagements."""

    tier: str
    fixed: dict[str, Any]
    ranges: dict[str, tuple[int, int]]
    engagements: int
    banned: dict[str, set[Any]] = field(default_factory=dict)


class _Space:
    def __init__(self) -> None:
        self.ranges: dict[str, tuple[int, int]] = dict(BOUNDS)
        self.fixed: dict[str, Any] = {}
        self.banned: dict[str, set[Any]] = {}
        self.engagements = 0

    def require(self, name: str, matcher: Matcher) -> bool:
        if name == "engagements":
            if isinstance(matcher, Range):
                self.engagements = max(self.engagements, int(matcher.min or 0))
                return matcher.max is None or self.engagements <= matcher.max
            return False
        if isinstance(matcher, Range):
            lo, hi = self.ranges.get(name, (0, 100))
            if matcher.min is not None:
                lo = max(lo, _ceil(matcher.min))
            if matcher.max is not None:
                hi = min(hi, int(matcher.max))
            self.ranges[name] = (lo, hi)
            return lo <= hi
        allowed = matcher if isinstance(matcher, list) else [matcher]
        if name in self.fixed:
            return self.fixed[name] in allowed
        choices = [v for v in allowed if v not in self.banned.get(name, set())]
        if not choices:
            return False
        self.fixed[name] = choices[0]
        return True

    def violate(self, name: str, matcher: Matcher) -> bool:
        """Make this one entry of a condition false; False if that is impossible."""
        if name == "engagements":
            return False  # the MQL definition fixes engagements; never negate through it
        if isinstance(matcher, Range):
            lo, hi = self.ranges.get(name, (0, 100))
            if matcher.min is not None and lo < matcher.min:
                self.ranges[name] = (lo, min(hi, _ceil(matcher.min) - 1))
                return True
            if matcher.max is not None and hi > matcher.max:
                self.ranges[name] = (max(lo, int(matcher.max) + 1), hi)
                return True
            return False
        allowed = matcher if isinstance(matcher, list) else [matcher]
        if name in self.fixed:
            return self.fixed[name] not in allowed
        if isinstance(matcher, bool):
            self.fixed[name] = not matcher
            return True
        self.banned.setdefault(name, set()).update(allowed)
        return True


def _ceil(x: float) -> int:
    n = int(x)
    return n if n >= x else n + 1


def tier_templates(policy: Policy) -> dict[str, TierTemplate]:
    """A template for every tier that a lead can reach; raises for one that none can."""
    defs = Definitions(policy)
    out: dict[str, TierTemplate] = {}
    for index, tier in enumerate(policy.tiers):
        space = _Space()
        ok = all(space.require(k, m) for k, m in policy.definitions.mql.items())
        ok = ok and all(space.require(k, m) for k, m in tier.when.items())
        for earlier in policy.tiers[:index]:
            if not ok:
                break
            entries = list(earlier.when.items())
            # Prefer an entry that is already false, then one on a field not yet fixed.
            entries.sort(key=lambda e: (not _already_false(space, *e), e[0] in space.fixed))
            ok = any(_try_violate(space, k, m) for k, m in entries)
        template = TierTemplate(
            tier.name, space.fixed, space.ranges, space.engagements, space.banned
        )
        if not ok or not _checks(defs, template, index):
            continue  # unreachable by a generated lead: said when a mix asks for it
        out[tier.name] = template
    return out


def _already_false(space: _Space, name: str, matcher: Matcher) -> bool:
    if name not in space.fixed or isinstance(matcher, Range):
        return False
    return space.fixed[name] not in (matcher if isinstance(matcher, list) else [matcher])


def _try_violate(space: _Space, name: str, matcher: Matcher) -> bool:
    saved = (dict(space.ranges), dict(space.fixed), {k: set(v) for k, v in space.banned.items()})
    if space.violate(name, matcher) and all(lo <= hi for lo, hi in space.ranges.values()):
        return True
    space.ranges, space.fixed, space.banned = saved
    return False


def facts(template: TierTemplate, pick: int, segment: str | None) -> dict[str, Any]:
    """The lead's fields at one end of every range (pick 0: low ends, 1: high ends)."""
    fields = dict(FILLER)
    fields.update({k: (lo if pick == 0 else hi) for k, (lo, hi) in template.ranges.items()})
    if segment is not None:
        fields["segment"] = segment
    fields.update(template.fixed)
    fields.setdefault("demo_requested", False)
    fields["engagements"] = template.engagements
    return fields


def _checks(defs: Definitions, template: TierTemplate, index: int) -> bool:
    for pick in (0, 1):
        fields = facts(template, pick, None)
        if defs.disqualified(fields) is not None or not defs.is_mql(fields):
            return False
        if defs.tier_of(fields)[0] != index:
            return False
    return True


def require_tiers(templates: dict[str, TierTemplate], wanted: list[str], where: str) -> None:
    missing = [t for t in wanted if t not in templates]
    if missing:
        raise LeadGenError(
            f"{where}: no generated lead can be in tier(s) {', '.join(missing)}: an earlier "
            "tier's `when` catches every lead that meets theirs and the MQL definition"
        )

"""Policy versions: which terms are in force at an instant, for a policy changed live.

An engine is built on one policy (its first version) and may be given later versions,
each with the instant it takes effect (`leadflow replay --policy P1 --policy P2@INSTANT`,
the same for `leadflow worker`). The rule, the same in every driver:

- an input is decided by the terms in force at its own time `at` (a late input too): the
  lead desk's decisions (MQL definition, tier, pool, disqualification, intent spikes,
  the disposition taxonomy) and a deferral coming due at its instant;
- a lead keeps the SLA terms of the instant it became an MQL: its windows (first touch,
  handoff, follow-up, disposition), follow-up cadence (touches and channels), at-risk
  point, escalation ladder and reassignment cap, for that MQL cycle, even when its
  follow-up clock starts after a switch;
- what the leads share carries over untouched: reps, capacity, queues, timers already
  scheduled, surge state and the scorecard's periods. So a version may change the terms
  of leads only (`LEAD_TERMS`); one that changes what is shared is refused
  (`check_compatible`), naming the key: that is another engine, not a new version.

With one version, `Versions.at` is one comparison with infinity: the engine decides
exactly as before (the golden files pin it).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Final

from mypy_extensions import mypyc_attr

from routing.commitment_specs import build_specs
from routing.errors import PolicyError, PolicyProblem
from routing.intent import IntentDetector
from routing.lead import Definitions
from routing.policy.loader import LoadedPolicy
from routing.policy.models import Disposition, FollowUp, Policy
from routing.sla import DISPOSITION, FOLLOW_UP, HANDOFF, Point, schedule
from routing.windows import Window

INF: Final = float("inf")
NEG_INF: Final = float("-inf")

#: What a later version may change: the terms of leads.
LEAD_TERMS: Final = (
    "definitions",
    "tiers (their conditions and first-touch windows; not their names or targets)",
    "marketing_commits.handoff and sales_commits windows (not their targets)",
    "sales_commits.follow_up cadence and disposition taxonomy",
    "alerts",
    "escalation.lead and escalation.max_reassignments",
)

#: What every version must keep (shared state carries over): top-level keys of the policy.
SHARED_KEYS: Final = ("agreement", "calendar", "routing", "surge", "inputs")


@mypyc_attr(serializable=True)
class Terms:
    """One version's terms of a lead, compiled once."""

    def __init__(self, policy: Policy) -> None:
        self.defs = Definitions(policy)
        spike = policy.alerts.intent_spike
        self.intent: IntentDetector | None = IntentDetector(spike) if spike else None
        sc, mc = policy.sales_commits, policy.marketing_commits
        self.follow_up: FollowUp | None = sc.follow_up
        self.disposition: Disposition | None = sc.disposition
        self.points: tuple[Point, ...] = schedule(policy)
        self.max_reassignments: int | None = policy.escalation.max_reassignments
        self.tier_windows = tuple(
            Window.of(t.first_touch.within, t.first_touch.clock) for t in policy.tiers
        )
        relax = policy.surge.actions.relax_first_touch if policy.surge is not None else {}
        self.relaxed_windows = tuple(
            Window.of(relax[t.name], t.first_touch.clock) if t.name in relax else w
            for t, w in zip(policy.tiers, self.tier_windows, strict=True)
        )
        self.windows: dict[str, Window | None] = {
            HANDOFF: Window.of(mc.handoff.within, mc.handoff.clock) if mc.handoff else None,
            FOLLOW_UP: (
                Window.of(sc.follow_up.within, sc.follow_up.clock) if sc.follow_up else None
            ),
            DISPOSITION: (
                Window.of(sc.disposition.within, sc.disposition.clock) if sc.disposition else None
            ),
        }


@mypyc_attr(serializable=True)
class Versions:
    """The versions of an engine's policy: the first from the start, each later one from
    its instant on (epoch seconds, strictly increasing)."""

    def __init__(self, first: Policy) -> None:
        self.first = Terms(first)
        self.terms: list[Terms] = [self.first]
        self.starts: list[float] = []  # the instant of version i+1 at index i
        self.next_at = INF  # the second version's instant (INF: one version)

    def at(self, t: float) -> Terms:
        """The terms in force at t."""
        if t < self.next_at:
            return self.first
        return self.terms[bisect_right(self.starts, t)]

    def span(self, t: float) -> tuple[float, float]:
        """[from, until): the instants between which the terms in force at t hold."""
        i = bisect_right(self.starts, t)
        lo = self.starts[i - 1] if i > 0 else NEG_INF
        hi = self.starts[i] if i < len(self.starts) else INF
        return lo, hi

    def add(self, at: float, policy: Policy) -> None:
        """A later version, in force from `at` on. The caller checked it is compatible
        (`check_compatible`) and that nothing at or after `at` was decided yet."""
        if self.starts and at <= self.starts[-1]:
            raise ValueError("policy versions must take effect in increasing order")
        self.starts.append(at)
        self.terms.append(Terms(policy))
        self.next_at = self.starts[0]

    def __len__(self) -> int:
        return len(self.terms)


def build_versions(loaded: LoadedPolicy) -> Versions:
    """The versions of `loaded`: its own policy, then each of `loaded.later`."""
    versions = Versions(loaded.policy)
    before = loaded
    for at, later in loaded.later:
        check_compatible(before, later)
        versions.add(at, later.policy)
        before = later
    return versions


def first_difference(path: str, a: object, b: object) -> tuple[str, object]:
    """The key path of the first place where `a` and `b` (plain data) differ, and `b`'s
    value there."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            if a.get(key) != b.get(key):
                return first_difference(f"{path}.{key}", a.get(key), b.get(key))
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(f"{path}[{i}]", x, y)
    return path, b


def check_compatible(old: LoadedPolicy, new: LoadedPolicy) -> None:
    """Refuse a later version that changes what leads share (`SHARED_KEYS`, the team, the
    tiers' names, the scorecard's commitments and period ladder): PolicyError naming the
    file and the key."""
    problems: list[PolicyProblem] = []
    was = f"as in {old.policy_file}"
    allowed = "a later version changes the terms of leads only: " + "; ".join(LEAD_TERMS)

    def differs(key: str, a: object, b: object, value: object) -> None:
        if a != b:
            problems.append(
                PolicyProblem(new.policy_file, key, value, f"the same {key} {was} ({allowed})")
            )

    a, b = old.policy, new.policy
    for key in SHARED_KEYS:
        x, y = getattr(a, key), getattr(b, key)
        if x != y:
            where, value = first_difference(
                key, x.model_dump(mode="json") if x is not None else None,
                y.model_dump(mode="json") if y is not None else None,
            )  # fmt: skip
            differs(where, x, y, value)
    differs("tiers", [t.name for t in a.tiers], [t.name for t in b.tiers],
            [t.name for t in b.tiers])  # fmt: skip
    differs("escalation.period", a.escalation.period, b.escalation.period, "changed")
    old_specs = {s.key: s for s in build_specs(a)}
    new_specs = {s.key: s for s in build_specs(b)}
    differs("commitments (the scorecard's rows and targets)", sorted(old_specs),
            sorted(new_specs), sorted(new_specs))  # fmt: skip
    for key, spec in new_specs.items():
        first = old_specs.get(key)
        if first is not None and first != spec:
            differs(f"commitment {key}", first, spec, f"target {spec.target} per {spec.per}")
    differs("team", old.team, new.team, new.team_file or "the policy's own team")
    if problems:
        raise PolicyError(problems)


__all__ = ["LEAD_TERMS", "SHARED_KEYS", "Terms", "Versions", "build_versions", "check_compatible"]

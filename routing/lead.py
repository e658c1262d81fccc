"""The lead record and the shared definitions applied to it: MQL, disqualification, tier,
data completeness and pool — each rule read from the policy in exactly one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mypy_extensions import mypyc_attr

from routing.policy.conditions import Predicate, compile_condition
from routing.policy.models import Policy
from routing.sla import SlaClock

NEW, MQL, CLOSED, DISQUALIFIED = "new", "mql", "closed", "disqualified"


@mypyc_attr(serializable=True)
@dataclass(slots=True)
class Lead:
    """Tuples, not lists or sets, for the small collections: a tuple of strings drops out of
    the cyclic garbage collector's sight, and a quarter's leads are most of the heap."""

    id: str
    fields: dict[str, Any] = field(default_factory=dict)  # the lead's attributes + engagements
    state: str = NEW
    cycle: int = 0  # increments each time the lead becomes an MQL (again, after a deferral)
    mql_at: float | None = None
    tier_index: int = 0
    tier: str = ""
    pool: str | None = None
    owner: str | None = None
    owners: tuple[str, ...] = ()  # this cycle, in order
    queue_token: int = 0
    reassign_pending: bool = False  # an escalation asked for another rep; none could take it yet
    reassign_sla: str = ""  # the SLA whose ladder asked for the reassignment
    touches: int = 0
    channels: tuple[str, ...] = ()  # distinct, in the order first used
    first_touch_at: float | None = None
    signals: tuple[tuple[float, str], ...] = ()  # intent signals, oldest first
    intent_active: bool = False
    clocks: dict[str, SlaClock] = field(default_factory=dict)
    relaxed: bool = False  # became MQL while its pool was in surge


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Definitions:
    """Compiled `definitions`, `tiers` and `routing.pools` of a policy."""

    def __init__(self, policy: Policy) -> None:
        d = policy.definitions
        self.required = tuple(d.required_fields)
        self._mql: Predicate = compile_condition(d.mql)
        self._domains = frozenset(x.casefold().lstrip("@") for x in d.disqualify.email_domains)
        self._roles = frozenset(x.casefold() for x in d.disqualify.roles)
        self._countries = frozenset(x.casefold() for x in d.disqualify.countries)
        self._industries = frozenset(x.casefold() for x in d.disqualify.industries)
        self.tiers = tuple((t.name, compile_condition(t.when)) for t in policy.tiers)
        self.pools = tuple((p.name, compile_condition(p.when)) for p in policy.routing.pools)

    def is_mql(self, facts: dict[str, Any]) -> bool:
        return self._mql(facts)

    def disqualified(self, fields: dict[str, Any]) -> str | None:
        """The reason a lead is never routed, or None."""
        email = fields.get("email")
        if email and self._domains:
            domain = str(email).rpartition("@")[2].casefold()
            if domain in self._domains:
                return f"email domain {domain} is disqualified"
        for key, banned in (
            ("role", self._roles),
            ("country", self._countries),
            ("industry", self._industries),
        ):
            value = fields.get(key)
            if value is not None and banned and str(value).casefold() in banned:
                return f"{key} {value} is disqualified"
        return None

    def missing(self, fields: dict[str, Any]) -> list[str]:
        return [f for f in self.required if fields.get(f) in (None, "")]

    def tier_of(self, facts: dict[str, Any]) -> tuple[int, str]:
        for index, (name, when) in enumerate(self.tiers):
            if when(facts):
                return index, name
        return len(self.tiers) - 1, self.tiers[-1][0]  # the last tier is a catch-all

    def pool_of(self, facts: dict[str, Any]) -> str | None:
        for name, when in self.pools:
            if when(facts):
                return name
        return None

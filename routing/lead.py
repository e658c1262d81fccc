"""The lead record and the shared definitions applied to it: MQL, disqualification, tier,
data completeness and pool — each rule read from the policy in exactly one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mypy_extensions import mypyc_attr

from routing.policy.conditions import Matcher, Range
from routing.policy.models import Policy
from routing.sla import SlaClock

NEW: Final = "new"
MQL: Final = "mql"
CLOSED: Final = "closed"
DISQUALIFIED: Final = "disqualified"


# allow_interpreted_subclasses: compiled, a serializable class built from interpreted code
# does not run its __init__ otherwise.
@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Lead:
    """Tuples, not lists or sets, for the small collections: a tuple of strings drops out of
    the cyclic garbage collector's sight, and a quarter's leads are most of the heap.

    A plain class, not a dataclass: compiled (mypyc), a dataclass is built through
    Python's `__init__`, a native class by a direct call."""

    __slots__ = (
        "channels", "clocks", "cycle", "fields", "first_touch_at", "handed_off", "held_intent",
        "id", "intent_active", "mql_at", "owner", "owners", "pool", "queue_token",
        "reassign_pending", "reassign_sla", "reassigned", "relaxed", "signals", "state", "tier",
        "tier_index", "touches",
    )  # fmt: skip

    def __init__(self, id: str, fields: dict[str, Any] | None = None) -> None:
        self.id = id
        # The lead's attributes + engagements.
        self.fields: dict[str, Any] = {} if fields is None else fields
        self.state = NEW
        self.cycle = 0  # increments each time the lead becomes an MQL (again, after a deferral)
        self.mql_at: float | None = None
        self.tier_index = 0
        self.tier = ""
        self.pool: str | None = None
        self.owner: str | None = None
        self.owners: tuple[str, ...] = ()  # this cycle, in order
        self.queue_token = 0
        self.reassign_pending = False  # an escalation asked for another rep; none could yet
        self.reassign_sla = ""  # the SLA whose ladder asked for the reassignment
        self.touches = 0
        self.channels: tuple[str, ...] = ()  # distinct, in the order first used
        self.first_touch_at: float | None = None
        self.signals: tuple[tuple[float, str], ...] = ()  # intent signals, oldest first
        self.intent_active = False
        self.clocks: dict[str, SlaClock] = {}
        self.relaxed = False  # became MQL while its pool was in surge
        self.handed_off = False  # this cycle's handoff verdict is decided (it reached sales)
        self.reassigned = 0  # reassignments by the escalation ladder, this cycle
        # An intent spike that came while the lead had no owner: delivered at assignment.
        self.held_intent: dict[str, int] | None = None


_RANGE: Final = 0
_ONE_OF: Final = 1
_EQUALS: Final = 2
_NEG_INF: Final = float("-inf")
_INF: Final = float("inf")


def _norm(value: Any) -> Any:
    """Strings compare case-insensitively; everything else as it is."""
    return value.casefold() if isinstance(value, str) else value


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class _Check:
    def __init__(self, name: str, matcher: Matcher) -> None:
        self.field = name
        self.lo, self.hi = _NEG_INF, _INF
        self.allowed: frozenset[Any] = frozenset()
        self.want: Any = None
        if isinstance(matcher, Range):
            self.kind = _RANGE
            self.lo = matcher.min if matcher.min is not None else _NEG_INF
            self.hi = matcher.max if matcher.max is not None else _INF
        elif isinstance(matcher, list):
            self.kind = _ONE_OF
            self.allowed = frozenset(_norm(v) for v in matcher)
        else:
            self.kind = _EQUALS
            self.want = _norm(matcher)


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Condition:
    """A policy condition (`routing.policy.conditions` says what it means) as data, evaluated
    in one loop over its entries."""

    def __init__(self, condition: Mapping[Any, Matcher]) -> None:
        self.checks = tuple(_Check(str(name), m) for name, m in condition.items())

    def __call__(self, facts: dict[str, Any]) -> bool:
        for check in self.checks:
            value = facts.get(check.field)
            kind = check.kind
            if kind == _RANGE:
                if value is None or isinstance(value, bool):
                    return False
                if not check.lo <= value <= check.hi:
                    return False
            elif kind == _ONE_OF:
                if _norm(value) not in check.allowed:
                    return False
            elif not _norm(value) == check.want:  # noqa: SIM201 (== as the language says)
                return False
        return True


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Definitions:
    """Compiled `definitions`, `tiers` and `routing.pools` of a policy."""

    def __init__(self, policy: Policy) -> None:
        d = policy.definitions
        self.required = tuple(d.required_fields)
        self._mql = Condition(d.mql)
        self._domains = frozenset(x.casefold().lstrip("@") for x in d.disqualify.email_domains)
        banned = (
            ("role", frozenset(x.casefold() for x in d.disqualify.roles)),
            ("country", frozenset(x.casefold() for x in d.disqualify.countries)),
            ("industry", frozenset(x.casefold() for x in d.disqualify.industries)),
        )
        self._banned = tuple((key, values) for key, values in banned if values)
        self.tiers = tuple((t.name, Condition(t.when)) for t in policy.tiers)
        self.pools = tuple((p.name, Condition(p.when)) for p in policy.routing.pools)

    def is_mql(self, facts: dict[str, Any]) -> bool:
        return self._mql(facts)

    def disqualified(self, fields: dict[str, Any]) -> str | None:
        """The reason a lead is never routed, or None."""
        email = fields.get("email")
        if email and self._domains:
            domain = str(email).rpartition("@")[2].casefold()
            if domain in self._domains:
                return f"email domain {domain} is disqualified"
        for key, banned in self._banned:  # the non-empty lists, in this order
            value = fields.get(key)
            if value is not None and str(value).casefold() in banned:
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

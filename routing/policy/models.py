"""The SLA policy as pydantic models: every key of policy.yaml has one home here.

Look here for *what a key means and which values it takes*; the engine modules
named in each docstring are where the key takes effect.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from routing.calendar import BusinessCalendar, CalendarError
from routing.durations import Duration, DurationError, parse_duration
from routing.policy.conditions import Condition
from routing.policy.notifications import Notifications
from routing.policy.team import Rep, Team

DURATION_PATTERN = r"^\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)[smhdw]\s*$"  # as routing.durations


def _to_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise ValueError(str(exc)) from None


Dur = Annotated[
    Duration,
    PlainValidator(_to_duration),
    PlainSerializer(lambda d: d.text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["5m", "4h", "2d"]}),
]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Clock = Literal["business", "calendar"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Agreement(_Model):
    """Who signed what and when. `effective`: no SLA clock starts for an MQL before it, and
    weekly commitments are evaluated from its week on. `review_every`: the engine emits
    `agreement.review_due` at each such anniversary (routing/commitments.py)."""

    name: str
    effective: date
    review_every: Literal["month", "quarter", "half_year", "year"] = "quarter"
    owner: str | None = None
    signed_by: list[str] = []


class CalendarSpec(_Model):
    """The business calendar all business-clock windows count in (routing/calendar.py)."""

    timezone: str
    hours: dict[Weekday, str | list[str]]
    holidays: list[date] = []

    @model_validator(mode="after")
    def _builds(self) -> CalendarSpec:
        try:
            self.build()
        except CalendarError as exc:
            raise ValueError(str(exc)) from None
        return self

    def build(self) -> BusinessCalendar:
        hours: dict[str, str | list[str]] = {str(k): v for k, v in self.hours.items()}
        return BusinessCalendar(self.timezone, hours, self.holidays)


class Disqualify(_Model):
    """Leads matching any of these are never routed (routing/leads.py)."""

    email_domains: list[str] = []
    roles: list[str] = []
    countries: list[str] = []
    industries: list[str] = []


RequiredField = Literal[
    "name",
    "email",
    "company",
    "role",
    "source",
    "score",
    "fit",
    "segment",
    "region",
    "country",
    "industry",
]


class Definitions(_Model):
    """Shared definitions: the MQL threshold, what disqualifies, what a complete lead has."""

    required_fields: list[RequiredField] = []
    mql: Condition
    disqualify: Disqualify = Disqualify()


class Window(_Model):
    """An SLA window: `within` a duration or `end_of_business_day`, on a clock.

    `target` is the share of leads that must meet the window for the weekly commitment
    to count as met (1.0: every miss is a miss of the week)."""

    within: Dur | Literal["end_of_business_day"]
    clock: Clock = "business"
    target: Share = 1.0

    @model_validator(mode="after")
    def _eobd_is_business(self) -> Window:
        if self.within == "end_of_business_day" and self.clock != "business":
            raise ValueError("`within: end_of_business_day` counts on the business clock only")
        return self


class Tier(_Model):
    """A speed-to-lead tier: the first whose `when` matches wins (routing/leads.py)."""

    name: str
    when: Condition = {}
    first_touch: Window


#: How often a commitment is evaluated: ISO weeks, calendar months or quarters of the
#: policy's zone (routing/periods.py).
Per = Literal["week", "month", "quarter"]


class PerPeriodMin(_Model):
    """At least `min` MQLs per `per` (week, month or quarter)."""

    per: Per
    min: Annotated[int, Field(ge=0)]


PerWeekMin = PerPeriodMin  # its former name


class MinShare(_Model):
    """At least the share `min`, evaluated per `per` (default: week)."""

    min: Share
    per: Per = "week"


class MarketingCommits(_Model):
    """Marketing's side, evaluated per week, month or quarter (routing/commitments.py)."""

    mql_volume: PerPeriodMin | None = None
    data_completeness: MinShare | None = None
    handoff: Window | None = None
    sal_rate: MinShare | None = None


class FollowUp(_Model):
    """The cadence a lead gets before it may be closed as `unresponsive` (routing/sla.py)."""

    touches: Annotated[int, Field(ge=1)]
    channels: Annotated[int, Field(ge=1)] = 1
    within: Dur
    clock: Clock = "business"
    target: Share = 1.0

    @model_validator(mode="after")
    def _channels_fit(self) -> FollowUp:
        if self.channels > self.touches:
            raise ValueError(
                f"`channels` ({self.channels}) cannot exceed `touches` ({self.touches})"
            )
        return self


class Reasons(_Model):
    accepted: list[str] = ["accepted"]
    rejected: list[str] = []
    deferred: list[str] = []


class Disposition(_Model):
    """Every lead accepted, rejected or deferred within the window, with a reason code."""

    within: Dur
    clock: Clock = "business"
    target: Share = 1.0
    reasons: Reasons = Reasons()
    reject_requires_reason: bool = True


class SalesCommits(_Model):
    follow_up: FollowUp | None = None
    disposition: Disposition | None = None


class IntentSpike(_Model):
    """Surface a lead to its rep at once when all `signals` counts occur within `window`."""

    window: Dur
    signals: dict[str, Annotated[int, Field(ge=1)]]


class Alerts(_Model):
    at_risk: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None
    intent_spike: IntentSpike | None = None


NotifyTarget = str


class LeadStep(_Model):
    """A rung of the per-lead ladder: at `after` x the window, notify and maybe reassign."""

    after: Annotated[float, Field(gt=0.0)]
    notify: list[NotifyTarget] = []
    action: Literal["reassign"] | None = None


class PeriodStep(_Model):
    """A rung of the weekly ladder: at this many consecutive misses of one commitment."""

    consecutive: Annotated[int, Field(ge=1)]
    action: str
    notify: list[NotifyTarget] = []


class Escalation(_Model):
    lead: list[LeadStep] = []
    period: list[PeriodStep] = []
    #: At most this many reassignments of one lead (per MQL cycle) by the per-lead ladder;
    #: after that its `reassign` steps only notify. None: no cap.
    max_reassignments: Annotated[int, Field(ge=0)] | None = None

    @field_validator("lead")
    @classmethod
    def _lead_ascending(cls, steps: list[LeadStep]) -> list[LeadStep]:
        afters = [s.after for s in steps]
        if afters != sorted(set(afters)):
            raise ValueError(f"`after` values must increase strictly, got {afters}")
        return steps

    @field_validator("period")
    @classmethod
    def _period_ascending(cls, steps: list[PeriodStep]) -> list[PeriodStep]:
        counts = [s.consecutive for s in steps]
        if counts != sorted(set(counts)):
            raise ValueError(f"`consecutive` values must increase strictly, got {counts}")
        return steps


class Pool(_Model):
    """A pool of reps. `when` picks the pool for a lead (first match wins; a pool with no
    `when` takes every lead no earlier pool took). `overflow` names the pool tried when
    nobody here can take the lead."""

    name: str
    when: Condition = {}
    overflow: str | None = None


class Capacity(_Model):
    """Per rep: `max_open` leads assigned and not yet dispositioned; `max_new_per_day` new
    assignments per business day of the rep (the rep's local date). In a surge, a limit
    left out is left as it is."""

    max_open: Annotated[int, Field(ge=1)] | None = None
    max_new_per_day: Annotated[int, Field(ge=1)] | None = None


class RoutingCapacity(_Model):
    """The default capacity of every rep (a rep's own `capacity` overrides it key by key);
    a key left out keeps its default."""

    max_open: Annotated[int, Field(ge=1)] = 40
    max_new_per_day: Annotated[int, Field(ge=1)] = 15


QueueKey = Literal["tier", "score_desc", "score_asc", "fit_desc", "mql_at", "mql_at_desc"]


class Routing(_Model):
    """How leads are placed (routing/router.py, routing/strategies.py)."""

    strategy: Literal["least_loaded", "round_robin", "weighted_round_robin"] = "least_loaded"
    queue_order: list[QueueKey] = ["tier", "mql_at"]
    pools: Annotated[list[Pool], Field(min_length=1)]
    capacity: RoutingCapacity = RoutingCapacity()
    reassign_when_rep: list[Literal["away", "offline", "pto"]] = ["offline", "pto"]

    @model_validator(mode="after")
    def _pools_consistent(self) -> Routing:
        names = [p.name for p in self.pools]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"pool names must be unique; repeated: {', '.join(dupes)}")
        for pool in self.pools:
            if pool.overflow is not None and pool.overflow not in names:
                raise ValueError(
                    f"pool {pool.name!r} overflows to {pool.overflow!r}, which is not a pool "
                    f"(pools: {', '.join(names)})"
                )
        return self


class SurgeEnter(_Model):
    queued_per_available_rep: Annotated[float, Field(ge=0.0)]


class SurgeExit(_Model):
    queued_per_available_rep: Annotated[float, Field(ge=0.0)]
    for_: Annotated[Dur | None, Field(alias="for")] = None


class SurgeActions(_Model):
    """What changes in a pool while it is in surge (routing/surge.py)."""

    overflow_to: str | None = None
    prioritize: Literal["score"] | None = None
    relax_first_touch: dict[str, Dur] = {}
    capacity: Capacity = Capacity()


class Surge(_Model):
    """Enter when queue depth / reps able to take work reaches `enter`; leave when it has
    stayed at or below `exit` for `exit.for`."""

    enter: SurgeEnter
    exit: SurgeExit
    actions: SurgeActions = SurgeActions()

    @model_validator(mode="after")
    def _exit_below_enter(self) -> Surge:
        if self.exit.queued_per_available_rep > self.enter.queued_per_available_rep:
            raise ValueError(
                "surge `exit.queued_per_available_rep` "
                f"({self.exit.queued_per_available_rep}) must not exceed `enter` "
                f"({self.enter.queued_per_available_rep})"
            )
        return self


class Inputs(_Model):
    """What the engine accepts as input: `max_ahead`, how far an input's `at` may be ahead
    of the stream's time before it is refused as implausible (routing.plausible)."""

    max_ahead: Dur = parse_duration("30d")


class Policy(_Model):
    """The whole agreement. `team` is a file name (relative to the policy file), an inline
    list of reps, or an inline team; the loader resolves it into `roster`."""

    version: Literal[1]
    agreement: Agreement
    calendar: CalendarSpec
    definitions: Definitions
    tiers: Annotated[list[Tier], Field(min_length=1)]
    marketing_commits: MarketingCommits = MarketingCommits()
    sales_commits: SalesCommits = SalesCommits()
    alerts: Alerts = Alerts()
    escalation: Escalation = Escalation()
    routing: Routing
    surge: Surge | None = None
    inputs: Inputs = Inputs()
    notifications: Notifications | None = None
    team: str | list[Rep] | Team | None = None

    @model_validator(mode="after")
    def _cross_references(self) -> Policy:
        tier_names = [t.name for t in self.tiers]
        dupes = sorted({n for n in tier_names if tier_names.count(n) > 1})
        if dupes:
            raise ValueError(f"tier names must be unique; repeated: {', '.join(dupes)}")
        if self.tiers[-1].when:
            raise ValueError(
                f"the last tier ({self.tiers[-1].name!r}) must have no `when`, "
                "so that every MQL gets a tier"
            )
        if self.notifications is not None:
            actions = [s.action for s in self.escalation.period]
            for kind in self.notifications.routes:
                action = kind.removeprefix("period.breached.")
                if action != kind and action not in actions:
                    raise ValueError(
                        f"notifications.routes names {kind!r}, but {action!r} is not an "
                        f"action of escalation.period ({', '.join(actions) or 'none'})"
                    )
        pools = [p.name for p in self.routing.pools]
        if self.surge is not None:
            target = self.surge.actions.overflow_to
            if target is not None and target not in pools:
                raise ValueError(
                    f"surge.actions.overflow_to names {target!r}, which is not a pool "
                    f"(pools: {', '.join(pools)})"
                )
            for tier in self.surge.actions.relax_first_touch:
                if tier not in tier_names:
                    raise ValueError(
                        f"surge.actions.relax_first_touch names tier {tier!r}, which is not "
                        f"a tier (tiers: {', '.join(tier_names)})"
                    )
        return self


__all__ = [
    "Agreement",
    "Alerts",
    "CalendarSpec",
    "Capacity",
    "Definitions",
    "Disposition",
    "Escalation",
    "FollowUp",
    "IntentSpike",
    "LeadStep",
    "MarketingCommits",
    "Notifications",
    "PeriodStep",
    "Policy",
    "Pool",
    "Rep",
    "Routing",
    "SalesCommits",
    "Surge",
    "Team",
    "Tier",
    "Window",
]

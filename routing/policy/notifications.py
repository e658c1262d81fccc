"""The `notifications:` section of the policy: which decision kinds reach whom, how.

Recipients are roles (`rep`, `team_lead`, `manager`, `marketing`, `sales_leadership`) or
`named` (the people the decision itself names: the ladder's `notify` of `sla.escalated`
and `period.breached`); channels are `chat`, `email`, `webhook`. `routing/notifications.py`
resolves them against the team; the notifier (notifier/) only delivers.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

Recipient = Literal["rep", "team_lead", "manager", "marketing", "sales_leadership", "named"]
Channel = Literal["chat", "email", "webhook"]
#: The decision kinds a route may name; `sla.escalated.level2` routes one rung only, and
#: `period.breached.<action>` the weekly misses on which the ladder takes that action.
Kind = Literal[
    "lead.assigned",
    "lead.queued",
    "lead.reassigned",
    "lead.unroutable",
    "sla.at_risk",
    "sla.breached",
    "sla.escalated",
    "sla.escalated.level1",
    "sla.escalated.level2",
    "sla.escalated.level3",
    "sla.escalated.level4",
    "intent.spike",
    "surge.entered",
    "surge.exited",
    "period.breached",
    "agreement.review_due",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Route(_Model):
    """Who hears of one decision kind, on which channels. `urgent`: delivered at once even
    outside the recipient's working hours (otherwise it waits for the start of their day)."""

    to: Annotated[list[Recipient], Field(min_length=1)]
    via: Annotated[list[Channel], Field(min_length=1)] = ["chat"]
    urgent: bool = False

    @field_validator("to", "via")
    @classmethod
    def _no_repeats(cls, values: list[str]) -> list[str]:
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise ValueError(f"each entry once; repeated: {', '.join(dupes)}")
        return values


class Digest(_Model):
    """The daily digest at the start of each rep's business day: their open leads past a
    window or within `near` (share of the window elapsed) of one. Team leads get their
    team's; a lead open longer than `manager_after` x its disposition window goes to the
    manager."""

    via: Annotated[list[Channel], Field(min_length=1)] = ["email"]
    near: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.75
    team_leads: bool = True
    manager_after: Annotated[float, Field(gt=0.0)] = 2.0


class WeeklySummary(_Model):
    """When a week closes: the scorecard's headline rows with trends and the ladder's
    actions, to both sides."""

    to: Annotated[list[Recipient], Field(min_length=1)] = ["marketing", "sales_leadership"]
    via: Annotated[list[Channel], Field(min_length=1)] = ["chat", "email"]


KINDS: tuple[str, ...] = get_args(Kind)
PERIOD_ACTION = "period.breached."


class Notifications(_Model):
    """`routes`: decision kind -> route; `dashboard_url`: linked from every message."""

    routes: Annotated[
        dict[str, Route],
        Field(json_schema_extra={"propertyNames": {"anyOf": [
            {"enum": list(KINDS)}, {"pattern": r"^period\.breached\..+$"}]}}),
    ] = {}
    digest: Digest | None = None
    weekly_summary: WeeklySummary | None = None
    dashboard_url: Annotated[str, Field(pattern=r"^https?://")] | None = None

    @field_validator("routes")
    @classmethod
    def _known_kinds(cls, routes: dict[str, Route]) -> dict[str, Route]:
        for kind in routes:
            if kind not in KINDS and not (
                kind.startswith(PERIOD_ACTION) and len(kind) > len(PERIOD_ACTION)
            ):
                raise ValueError(
                    f"{kind!r} is not a decision kind; expected one of {', '.join(KINDS)}, "
                    "or period.breached.<an action of escalation.period>"
                )
        return routes

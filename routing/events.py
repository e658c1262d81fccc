"""Input events (the wire contract of leads.events) as pydantic models, and their parsing.

A line or message that does not validate is never applied: the caller turns the
`EventError` into an `event.rejected` output (replay) or a dead letter (streams).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from routing.errors import EventError
from routing.policy.models import RequiredField
from routing.policy.team import RepCapacity, RepHours

MAX_EVENT_BYTES = 64 * 1024
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


def _plausible(moment: datetime) -> datetime:
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"timestamp year {moment.year} is outside {EARLIEST_YEAR}-{LATEST_YEAR}")
    return moment


Instant = Annotated[AwareDatetime, AfterValidator(_plausible)]
Id = Annotated[str, Field(min_length=1, max_length=200)]
Share100 = Annotated[float, Field(ge=0, le=100)]


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    event_id: Id
    at: Instant


class LeadUpserted(_Event):
    type: Literal["lead.upserted"]
    lead_id: Id
    name: str | None = None
    email: str | None = None
    company: str | None = None
    role: str | None = None
    source: str | None = None
    score: Share100 | None = None
    fit: Share100 | None = None
    segment: Literal["enterprise", "mid_market", "smb"] | None = None
    region: str | None = None
    country: str | None = None
    industry: str | None = None
    demo_requested: bool | None = None


LEAD_FIELDS = (*get_args(RequiredField), "demo_requested")  # what lead.upserted may set


class LeadEngaged(_Event):
    type: Literal["lead.engaged"]
    lead_id: Id
    activity: Annotated[str, Field(min_length=1)]


class LeadTouched(_Event):
    type: Literal["lead.touched"]
    lead_id: Id
    rep_id: Id
    channel: Literal["call", "email", "linkedin", "sms", "meeting"]
    outcome: Literal["connected", "voicemail", "no_answer", "replied", "bounced"]


class LeadDispositioned(_Event):
    type: Literal["lead.dispositioned"]
    lead_id: Id
    rep_id: Id
    outcome: Literal["accepted", "rejected", "deferred"]
    reason: str | None = None
    defer_until: Instant | None = None


class LeadStageChanged(_Event):
    """The lead reached a funnel stage in the CRM (routing/funnel.py). `amount` (with its
    `currency`, an ISO 4217 code) is the deal's value: the pipeline at `opportunity`,
    the revenue at `won`."""

    type: Literal["lead.stage_changed"]
    lead_id: Id
    stage: Literal["sal", "sql", "opportunity", "won", "lost"]
    amount: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None

    @model_validator(mode="after")
    def _amount_has_currency(self) -> LeadStageChanged:
        if (self.amount is None) != (self.currency is None):
            raise ValueError(
                "amount and currency go together (amounts of different currencies are "
                "never added up)"
            )
        return self


class RepStatus(_Event):
    type: Literal["rep.status"]
    rep_id: Id
    status: Literal["available", "away", "offline", "pto"]
    until: Instant | None = None


class RepUpserted(_Event):
    type: Literal["rep.upserted"]
    rep_id: Id
    pools: Annotated[list[str], Field(min_length=1)]
    weight: Annotated[float, Field(gt=0)] | None = None
    capacity: RepCapacity | None = None
    team_lead: str | None = None
    hours: RepHours | None = None


InputEvent = (
    LeadUpserted
    | LeadEngaged
    | LeadTouched
    | LeadDispositioned
    | LeadStageChanged
    | RepStatus
    | RepUpserted
)
INPUT_TYPES = (
    "lead.upserted",
    "lead.engaged",
    "lead.touched",
    "lead.dispositioned",
    "lead.stage_changed",
    "rep.status",
    "rep.upserted",
)
_ADAPTER: TypeAdapter[InputEvent] = TypeAdapter(Annotated[InputEvent, Field(discriminator="type")])
_VALIDATE_JSON = _ADAPTER.validator.validate_json  # the Rust validator, without the wrapper


def raw_text(raw: str | bytes) -> str:
    """An input as received, as text (for `event.rejected.raw`)."""
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw


def parse_event(raw: str | bytes) -> InputEvent:
    """Validate one JSON event; raise EventError with the reason in words."""
    if len(raw) > MAX_EVENT_BYTES:
        raise EventError(f"event is {len(raw)} bytes; the limit is {MAX_EVENT_BYTES}")
    try:
        event: InputEvent = _VALIDATE_JSON(raw)
        return event
    except ValidationError as exc:
        raise EventError(explain(exc)) from None


def parse_event_object(obj: object) -> InputEvent:
    """Validate an already-decoded event (e.g. from a test or a generator)."""
    try:
        return _ADAPTER.validate_python(obj)
    except ValidationError as exc:
        raise EventError(explain(exc)) from None


def explain(exc: ValidationError) -> str:
    """One line naming each bad field, e.g. `at: input should be a valid datetime ...`."""
    parts: list[str] = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if not str(p).startswith(("lead.", "rep."))]
        where = ".".join(loc) or "event"
        kind = err["type"]
        if kind == "union_tag_invalid":
            tag = err.get("ctx", {}).get("tag")
            msg = f"unknown type {tag!r}; expected one of {', '.join(INPUT_TYPES)}"
        elif kind == "union_tag_not_found":
            msg = "missing field `type`"
        elif kind == "missing":
            msg = "missing required field"
        elif kind == "json_invalid":
            msg = f"not valid JSON ({err.get('ctx', {}).get('error', 'parse error')})"
        else:
            msg = err["msg"][:1].lower() + err["msg"][1:]
            if "input" in err and kind != "json_type" and not isinstance(err["input"], dict):
                msg += f", got {err['input']!r}"[:120]
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)

"""The team roster: reps, their pools, capacity, hours, and who they escalate to."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from routing.calendar import BusinessCalendar, CalendarError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CrmOwner(_Model):
    """The rep's owner id in each CRM, for the owner write-back (`leadflow sink`, and the
    Salesforce Task mapping's rep lookup): HubSpot's `hubspot_owner_id`, Salesforce's User id
    (`OwnerId`)."""

    hubspot: Annotated[str, Field(min_length=1)] | None = None
    salesforce: Annotated[str, Field(min_length=1)] | None = None


class RepCapacity(_Model):
    """Overrides the policy's routing.capacity for one rep."""

    max_open: Annotated[int, Field(ge=1)] | None = None
    max_new_per_day: Annotated[int, Field(ge=1)] | None = None


class RepHours(_Model):
    """A rep's own working hours; the policy calendar's time zone unless `timezone` is given.
    Days left out are not working days for the rep. Holidays of the policy calendar apply on
    the rep's local date."""

    timezone: str | None = None
    mon: str | list[str] | None = None
    tue: str | list[str] | None = None
    wed: str | list[str] | None = None
    thu: str | list[str] | None = None
    fri: str | list[str] | None = None
    sat: str | list[str] | None = None
    sun: str | list[str] | None = None

    def days(self) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {}
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
            value = getattr(self, day)
            if value is not None:
                out[day] = value
        return out


class Contact(_Model):
    """How a person is told (docs/notifications.md). `email`: an address; `chat`: the name
    of a chat incoming webhook (its URL is a notifier setting, never in the file);
    `mention`: the handle the chat message starts with (e.g. `<@U024BE7LH>`); `webhook`: the
    name of a generic signed webhook (URL and secret are notifier settings)."""

    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    chat: Annotated[str, Field(min_length=1)] | None = None
    mention: str | None = None
    webhook: Annotated[str, Field(min_length=1)] | None = None


def _check_hours(hours: RepHours | None) -> None:
    if hours is not None:
        try:
            BusinessCalendar(hours.timezone or "UTC", hours.days(), ())
        except CalendarError as exc:
            raise ValueError(f"hours: {exc}") from None


class Person(_Model):
    """Someone told who is neither a rep nor a team lead (a manager, a VP, marketing ops):
    their contact and, optionally, their own working hours for quiet hours."""

    contact: Contact = Contact()
    hours: RepHours | None = None

    @model_validator(mode="after")
    def _hours_build(self) -> Person:
        _check_hours(self.hours)
        return self


class Rep(_Model):
    id: Annotated[str, Field(min_length=1)]
    pools: Annotated[list[str], Field(min_length=1)]
    team_lead: str | None = None
    crm_owner: CrmOwner | None = None
    weight: Annotated[float, Field(gt=0.0)] = 1.0
    capacity: RepCapacity = RepCapacity()
    hours: RepHours | None = None
    contact: Contact | None = None

    @model_validator(mode="after")
    def _hours_build(self) -> Rep:
        if self.hours is not None:
            try:
                BusinessCalendar(self.hours.timezone or "UTC", self.hours.days(), ())
            except CalendarError as exc:
                raise ValueError(f"hours: {exc}") from None
        return self


class TeamLead(_Model):
    sales_manager: str | None = None
    contact: Contact | None = None
    hours: RepHours | None = None

    @model_validator(mode="after")
    def _hours_build(self) -> TeamLead:
        _check_hours(self.hours)
        return self


Role = Literal["marketing", "sales_leadership"]


class Team(_Model):
    """`people`: contacts of everyone else who is told (managers, VPs, marketing);
    `groups`: who the roles `marketing` and `sales_leadership` are (ids of `people`)."""

    reps: list[Rep] = []
    team_leads: dict[str, TeamLead] = {}
    people: dict[str, Person] = {}
    groups: dict[Role, list[str]] = {}

    @model_validator(mode="after")
    def _consistent(self) -> Team:
        ids = [r.id for r in self.reps]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rep ids must be unique; repeated: {', '.join(dupes)}")
        if self.team_leads:
            for rep in self.reps:
                if rep.team_lead is not None and rep.team_lead not in self.team_leads:
                    raise ValueError(
                        f"rep {rep.id!r} has team_lead {rep.team_lead!r}, which is not listed "
                        f"under team_leads ({', '.join(sorted(self.team_leads))})"
                    )
        known = set(ids) | set(self.team_leads) | set(self.people)
        for role, members in self.groups.items():
            for member in members:
                if member not in known:
                    raise ValueError(
                        f"groups.{role} names {member!r}, who is not a rep, a team lead or "
                        f"listed under people"
                    )
        return self

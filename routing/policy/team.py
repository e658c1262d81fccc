"""The team roster: reps, their pools, capacity, hours, and who they escalate to."""

from __future__ import annotations

from typing import Annotated

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


class Rep(_Model):
    id: Annotated[str, Field(min_length=1)]
    pools: Annotated[list[str], Field(min_length=1)]
    team_lead: str | None = None
    crm_owner: CrmOwner | None = None
    weight: Annotated[float, Field(gt=0.0)] = 1.0
    capacity: RepCapacity = RepCapacity()
    hours: RepHours | None = None

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


class Team(_Model):
    reps: list[Rep] = []
    team_leads: dict[str, TeamLead] = {}

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
        return self

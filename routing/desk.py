"""The lead desk: everything about one lead, decided from that lead's events alone.

It holds each lead's record and state (new, mql, closed, disqualified) and decides:
which input ids were seen already (de-duplication), the MQL definition, tier, pool and
data completeness (`routing.lead.Definitions`), disqualification, intent spikes, what
a touch counts for (the follow-up cadence), whether a disposition is valid, and when a
deferred lead comes back. It tells the pool side what it decided through a
`routing.sink.DeskSink`, which makes (and emits) every decision from there on.

Because nothing here depends on another lead, the desk can run partitioned by lead
(the Kafka worker's lead stage: docs/worker.md). A refused input raises `EventError`
before anything reached the sink.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, cast

from mypy_extensions import mypyc_attr

from routing.dedupe import DEDUPE_WINDOW_S, SeenInputs
from routing.errors import EventError
from routing.events import (
    LEAD_FIELDS,
    InputEvent,
    LeadUpserted,
)
from routing.intent import IntentDetector
from routing.lead import CLOSED, DISQUALIFIED, MQL, NEW, Definitions, Lead
from routing.outputs import TimeFormat
from routing.policy.models import Policy
from routing.queue import ROUTING_FIELDS
from routing.sink import DeskSink


class UndocumentedRejection(EventError):
    """A rejection refused for a missing or unknown reason code (it is still counted: the
    scorecard's `rejection_documentation`)."""


DEFER: Final = "defer"  # the desk's one timer kind: a deferred lead comes back
_LEAD_FIELDS: Final = LEAD_FIELDS  # compiled (mypyc), a C static: not a dict lookup per use


# allow_interpreted_subclasses: compiled, a serializable class built from interpreted code
# (the worker's lead stage) does not run its __init__ otherwise.
@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class LeadDesk:
    def __init__(
        self,
        policy: Policy,
        fmt: TimeFormat,
        sink: DeskSink,
        dedupe_window_s: float = DEDUPE_WINDOW_S,
        team: Iterable[str] = (),
    ) -> None:
        """`team`: the ids of the reps of the team file; `rep.upserted` adds more."""
        self.fmt = fmt
        self.sink = sink
        self.team: set[str] = set(team)
        self.pools = tuple(p.name for p in policy.routing.pools)
        self.defs = Definitions(policy)
        spike = policy.alerts.intent_spike
        self.intent = IntentDetector(spike) if spike else None
        self.follow_up = policy.sales_commits.follow_up
        self.disposition = policy.sales_commits.disposition
        self.leads: dict[str, Lead] = {}
        self.seen = SeenInputs(dedupe_window_s)  # the inputs seen: routing.dedupe

    # --- input events -----------------------------------------------------------------
    def dispatch(self, event: InputEvent, values: dict[str, Any], t: float, cause: str) -> None:
        """Apply one (new) event at t. `values`: its fields (its __dict__).

        By its `type`, not `isinstance`: pydantic's metaclass makes each isinstance a
        Python call (~620 instructions compiled), a string comparison is a few."""
        kind: str = values["type"]
        if kind == "lead.engaged":
            self._engaged(values, t, cause)
        elif kind == "lead.touched":
            self._touched(values["lead_id"], values["rep_id"], values["channel"], t, cause)
        elif kind == "lead.upserted":
            self._upserted(cast(LeadUpserted, event), values, t, cause)
        elif kind == "lead.dispositioned":
            self._dispositioned(values, t, cause)
        elif kind == "lead.stage_changed":
            # The funnel's (routing.funnel): by MQL cohort, on the pool side, which knows
            # the lead's MQLs; the desk has nothing to check beyond the contract.
            self.sink.stage_changed(
                values["lead_id"], t, cause, values["stage"], values["amount"], values["currency"]
            )
        else:
            if kind == "rep.upserted":
                self._rep_upserted(values)
            self.sink.rep_event(event, t, cause)

    def _rep_upserted(self, values: dict[str, Any]) -> None:
        """A rep joins (or changes): from now on on the team, when its pools are the
        policy's. Checked here, before the pool side, so both sides know the same team."""
        pools: list[str] = values["pools"]
        unknown = [p for p in pools if p not in self.pools]
        if unknown:
            known = ", ".join(self.pools)
            raise EventError(f"pools {unknown} are not pools of the policy ({known})")
        self.team.add(values["rep_id"])

    def _on_team(self, rep_id: str, what: str) -> None:
        if rep_id not in self.team:
            raise EventError(
                f"rep {rep_id!r} is not on the team (the team file or a rep.upserted): "
                f"{what} refused"
            )

    def lead(self, lead_id: str) -> Lead:
        lead = self.leads.get(lead_id)
        if lead is None:
            lead = self.leads[lead_id] = Lead(lead_id, {"engagements": 0})
        return lead

    def _upserted(
        self, event: LeadUpserted, values: dict[str, Any], t: float, cause: str
    ) -> None:
        lead = self.lead(values["lead_id"])
        given = event.__pydantic_fields_set__  # `model_fields_set`, without its property call
        for name in _LEAD_FIELDS:
            if name in given:
                lead.fields[name] = values[name]
        if lead.cycle:  # the pool side knows the lead: it may be waiting in a queue
            for name in ROUTING_FIELDS:
                if name in given:
                    self.sink.fields_changed(lead.id, lead.fields)
                    break
        if lead.state == CLOSED:
            return  # dispositioned: it comes back only through its deferral
        reason = self.defs.disqualified(lead.fields)
        if reason is not None:
            if lead.state != DISQUALIFIED:
                self.sink.disqualified(lead.id, t, cause, reason, lead.state == MQL)
                lead.state = DISQUALIFIED
            return
        if lead.state == DISQUALIFIED:
            lead.state = NEW
        self.qualify(lead, t, cause)

    def _engaged(self, values: dict[str, Any], t: float, cause: str) -> None:
        lead = self.lead(values["lead_id"])
        fields = lead.fields
        fields["engagements"] += 1
        activity: str = values["activity"]
        if activity == "demo_request":
            fields["demo_requested"] = True
        if self.intent is not None and lead.state != DISQUALIFIED:
            signals = self.intent.observe(lead, t, activity)
            if signals is not None:
                self.sink.intent(lead.id, t, cause, signals)
        self.qualify(lead, t, cause)

    def qualify(self, lead: Lead, t: float, cause: str) -> None:
        if lead.state == NEW and self.defs.is_mql(lead.fields):
            self._become_mql(lead, t, cause)

    def _become_mql(self, lead: Lead, t: float, cause: str) -> None:
        fields = lead.fields
        defs = self.defs
        lead.state = MQL
        lead.cycle += 1
        lead.mql_at = t
        lead.tier_index, lead.tier = defs.tier_of(fields)
        lead.pool = defs.pool_of(fields)
        lead.touches = 0
        lead.channels = ()
        self.sink.mql(
            lead.id, t, cause, lead.cycle, lead.tier_index, lead.tier, lead.pool,
            defs.missing(fields), fields,
        )  # fmt: skip

    def _touched(self, lead_id: str, rep_id: str, channel: str, t: float, cause: str) -> None:
        self._on_team(rep_id, "its touch is")
        lead = self.leads.get(lead_id)
        if lead is None or lead.state != MQL or lead.mql_at is None or t < lead.mql_at:
            return  # outside an open MQL (or, arriving late, from before it): no SLA event
        lead.touches += 1
        if channel not in lead.channels:
            lead.channels += (channel,)
        self.sink.touched(
            lead_id, t, cause, lead.touches == 1, self._cadence_done(lead), rep_id
        )

    def _cadence_done(self, lead: Lead) -> bool:
        spec = self.follow_up
        return spec is None or (
            lead.touches >= spec.touches and len(lead.channels) >= spec.channels
        )

    def _dispositioned(self, values: dict[str, Any], t: float, cause: str) -> None:
        """`values`: the fields of a `LeadDispositioned` (read from its __dict__: compiled,
        an attribute of a pydantic model is a Python lookup, a dict item is not)."""
        lead_id: str = values["lead_id"]
        rep_id: str = values["rep_id"]
        self._on_team(rep_id, "its disposition is")
        lead = self.leads.get(lead_id)
        if lead is None or lead.state != MQL:
            state = "unknown" if lead is None else lead.state
            raise EventError(f"lead {lead_id!r} is not an open MQL (it is {state})")
        if lead.mql_at is not None and t < lead.mql_at:
            raise EventError(
                f"the disposition is dated before lead {lead.id!r} became an MQL "
                f"({self.fmt(lead.mql_at)})"
            )
        outcome: str = values["outcome"]
        reason: str | None = values["reason"]
        defer_until: datetime | None = values["defer_until"]
        self._check_reason(lead, outcome, reason, defer_until, t)
        lead.state = CLOSED
        if defer_until is not None:
            self.sink.schedule(defer_until.timestamp(), DEFER, lead, lead.cycle)
        self.sink.dispositioned(lead.id, t, cause, outcome, reason, rep_id)

    def _check_reason(
        self, lead: Lead, outcome: str, reason: str | None, defer_until: datetime | None, t: float
    ) -> None:
        if defer_until is not None:
            if outcome != "deferred":
                raise EventError(f"defer_until goes with outcome deferred, not {outcome}")
            if defer_until.timestamp() <= t:
                raise EventError("defer_until must be later than the disposition itself")
        spec = self.disposition
        if spec is None:
            return
        listed: list[str] = getattr(spec.reasons, outcome)
        if outcome == "rejected" and spec.reject_requires_reason and not reason:
            raise UndocumentedRejection(
                f"a rejection needs a reason code from the taxonomy: {', '.join(listed)}"
            )
        if reason and listed and reason not in listed:
            error = UndocumentedRejection if outcome == "rejected" else EventError
            raise error(
                f"reason {reason!r} is not in the {outcome} taxonomy: {', '.join(listed)}"
            )
        if reason == "unresponsive" and not self._cadence_done(lead) and self.follow_up:
            raise EventError(
                f"lead {lead.id!r} cannot be closed as unresponsive before the follow-up "
                f"cadence: {lead.touches}/{self.follow_up.touches} touches on "
                f"{len(lead.channels)}/{self.follow_up.channels} channels"
            )

    # --- timers -----------------------------------------------------------------------
    def timer_live(self, subject: Lead, version: int) -> bool:
        """A deferral is due unless the lead came back (or was closed again) since."""
        return subject.cycle == version and subject.state == CLOSED

    def fire(self, at: float, subject: Lead) -> str:
        """A deferral is due: the lead is new again and qualifies on its fields. Returns
        the cause its decisions are named after (the same each time it is fired)."""
        cause = f"{subject.id}#{subject.cycle}@defer"
        subject.state = NEW
        self.qualify(subject, at, cause)
        return cause


__all__ = ["DEFER", "LeadDesk", "UndocumentedRejection"]

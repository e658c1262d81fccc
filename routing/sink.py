"""What the lead desk (routing.desk) tells the pool side of the engine: the narrow
interface between the two stages of docs/worker.md.

The desk decides everything about one lead (its record, MQL, tier, pool, what a touch
or a disposition means); the pool side (routing.lifecycle, the rest of `Engine`) owns
reps, queues, SLA clocks, surge and commitments, and emits every decision. In one
process the sink *is* the pool side (`Engine`): plain method calls. In the Kafka worker
the lead stage's sink records each call as a routing record, and the pool stage calls
the same methods when it reads them back.

Every call carries the instant `t` and the `cause` (input event id, or a desk timer's
cause) the decisions it makes are named after.
"""

from __future__ import annotations

from typing import Any

from mypy_extensions import mypyc_attr

from routing.events import InputEvent


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class DeskSink:
    def mql(
        self,
        lead_id: str,
        t: float,
        cause: str,
        cycle: int,
        tier_index: int,
        tier: str,
        pool: str | None,
        missing: list[str],
        fields: dict[str, Any],
    ) -> None:
        """The lead became an MQL (its `cycle`-th time): route it. `missing`: required
        fields it lacks; `fields`: its attributes (the pool side reads the queue order's)."""
        raise NotImplementedError

    def disqualified(self, lead_id: str, t: float, cause: str, reason: str, was_open: bool) -> None:
        """The lead is disqualified; `was_open`: it was an open MQL (it leaves its rep)."""
        raise NotImplementedError

    def touched(
        self, lead_id: str, t: float, cause: str, first: bool, cadence_done: bool,
        rep_id: str | None = None,
    ) -> None:  # fmt: skip
        """A touch of an open MQL; `first` of its cycle; `cadence_done`: the follow-up
        cadence is complete with it. `rep_id`: who touched it (a team member; not
        necessarily the owner: the touch is credited to them)."""
        raise NotImplementedError

    def dispositioned(
        self, lead_id: str, t: float, cause: str, outcome: str, reason: str | None,
        rep_id: str | None = None,
    ) -> None:  # fmt: skip
        """A valid disposition of an open MQL by team member `rep_id`: it leaves the
        routing."""
        raise NotImplementedError

    def stage_changed(
        self,
        lead_id: str,
        t: float,
        cause: str,
        stage: str,
        amount: float | None,
        currency: str | None,
    ) -> None:
        """The lead reached a funnel stage (`lead.stage_changed`; routing.funnel)."""
        raise NotImplementedError

    def intent(self, lead_id: str, t: float, cause: str, signals: dict[str, int]) -> None:
        """An intent spike started (the signal counts in the window)."""
        raise NotImplementedError

    def fields_changed(self, lead_id: str, fields: dict[str, Any]) -> None:
        """Attributes of a lead that was an MQL changed (the queue order may read them)."""
        raise NotImplementedError

    def refused(
        self, t: float, cause: str, source: str, lead_id: str | None, raw: str, reason: str
    ) -> None:
        """The input `cause` breaks a rule (`reason`): it changed nothing; say so."""
        raise NotImplementedError

    def rejection_undocumented(self, lead_id: str | None, t: float, cause: str) -> None:
        """The input `cause`, a rejection, was refused for a missing or unknown reason code
        (after `refused`): count the attempt (the scorecard's rejection documentation)."""
        raise NotImplementedError

    def rep_event(self, event: InputEvent, t: float, cause: str) -> None:
        """A rep event (rep.status, rep.upserted): the pool side's own."""
        raise NotImplementedError

    def schedule(self, at: float, kind: str, subject: Any, version: int) -> None:
        """Call the desk back at `at` (`LeadDesk.timer_live`, `LeadDesk.fire`)."""
        raise NotImplementedError

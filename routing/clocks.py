"""Starting, stopping and firing the SLA clocks of leads (the engine's timer side).

Which window each SLA uses is decided here, from the policy:
- handoff: `marketing_commits.handoff`, from mql_at until the lead is assigned;
- first_touch: the lead's tier window (or the surge's `relax_first_touch`), from mql_at
  until the first touch (or a disposition, which stops it without meeting it);
  restarted for a new owner on reassignment;
- follow_up: `sales_commits.follow_up`, from the first touch until `touches` touches
  on `channels` channels;
- disposition: `sales_commits.disposition`, from mql_at until the lead is dispositioned.

One lead, one verdict: the agreement's rows (routing.commitments) count a lead's first
clock of each SLA once, against its own due time; a clock restarted for a new owner is
that owner's window (a first-touch one is counted per rep), and carries the first
clock's verdict only when that was still open (a reassignment before its due time).
"""

from __future__ import annotations

from typing import Any

from mypy_extensions import mypyc_attr

from routing.calendar import BusinessCalendar
from routing.commitments import Commitments
from routing.lead import Lead
from routing.outputs import Emitter
from routing.policy.models import Policy
from routing.reps import RepState
from routing.sink import DeskSink
from routing.sla import (
    AT_RISK,
    BREACH,
    BREACHED,
    FIRST_TOUCH,
    MET,
    RUNNING,
    STOPPED,
    Point,
    SlaClock,
)
from routing.versions import NEG_INF, Terms, Versions
from routing.windows import Window


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class SlaTimers(DeskSink):
    policy: Policy
    cal: BusinessCalendar
    em: Emitter
    commitments: Commitments
    managers: dict[str, str | None]
    effective_at: float
    versions: Versions

    def setup_clocks(self) -> None:
        self._notify_cache: dict[
            tuple[str | None, str | None, tuple[str, ...]], tuple[str, ...]
        ] = {}
        first = self.versions.first  # a lead's terms: those of its MQL instant (terms_of)
        self.points: tuple[Point, ...] = first.points
        self.tier_windows = first.tier_windows
        self.relaxed_windows = first.relaxed_windows
        self.windows: dict[str, Window | None] = first.windows

    def terms_of(self, lead: Lead) -> Terms:
        """The terms a lead was given when it became an MQL (routing.versions)."""
        mql_at = lead.mql_at
        return self.versions.at(mql_at if mql_at is not None else NEG_INF)

    def schedule(self, at: float, kind: str, subject: Any, version: int) -> None:
        raise NotImplementedError

    def rep_of(self, lead: Lead) -> RepState | None:
        raise NotImplementedError

    def escalate_action(self, lead: Lead, clock: SlaClock, at: float, cause: str) -> str:
        raise NotImplementedError

    def window_for(self, lead: Lead, sla: str) -> Window | None:
        terms = self.terms_of(lead)
        if sla == FIRST_TOUCH:
            windows = terms.relaxed_windows if lead.relaxed else terms.tier_windows
            return windows[lead.tier_index]
        return terms.windows[sla]

    def start_clock(self, lead: Lead, sla: str, start: float) -> SlaClock | None:
        """Start (or restart, for a new owner) one SLA clock of a lead, if it applies."""
        window = self.window_for(lead, sla)
        if window is None or lead.mql_at is None or lead.mql_at < self.effective_at:
            return None
        old = lead.clocks.get(sla)
        if old is not None:
            old.version += 1
        same = old is not None and old.cycle == lead.cycle
        clock = SlaClock(
            sla=sla,
            lead_id=lead.id,
            cycle=lead.cycle,
            n=old.n + 1 if old is not None and same else 1,
            start=start,
            due=window.due(start, self.cal),
            business=window.business,
        )
        if old is not None and same:  # a new owner's window: the verdict stays the first's
            clock.verdict_open = old.verdict_open and old.state == RUNNING
            clock.verdict_due = old.verdict_due
        lead.clocks[sla] = clock
        self._schedule_next(clock, self.terms_of(lead).points)
        return clock

    def _schedule_next(self, clock: SlaClock, points: tuple[Point, ...]) -> None:
        if clock.next_point < len(points):
            at = clock.point_at(points[clock.next_point], self.cal)
            self.schedule(at, "sla", clock, clock.version)

    def stop_clock(
        self, lead: Lead, sla: str, t: float, cause: str, counts: bool = True,
        by: str | None = None,
    ) -> None:  # fmt: skip
        """The clock's stop condition happened at t. `counts`: it is met if in time;
        otherwise (the condition no longer applies) the clock just stops. `by`: the rep
        whose action stopped it (default: the owner), credited with a met window."""
        clock = lead.clocks.get(sla)
        if clock is None or clock.state not in (RUNNING, BREACHED):
            return
        clock.version += 1
        if clock.state == BREACHED:
            clock.state = STOPPED
            return
        if not counts:
            clock.state = STOPPED
            return
        if t <= clock.due:
            clock.state = MET
            rep = by if by is not None else lead.owner
            self.say_met(lead, sla, clock.due, t, cause, rep)
            self._verdict(lead, clock, t <= clock.verdict_due)
            if sla == FIRST_TOUCH and rep is not None:
                self.commitments.rep_window(rep, clock.due, True)
        else:
            self._breach(lead, clock, clock.due, cause)
            clock.state = STOPPED

    def _verdict(self, lead: Lead, clock: SlaClock, met: bool) -> None:
        """The agreement's one verdict on this lead for the clock's SLA, if still open."""
        if clock.verdict_open:
            clock.verdict_open = False
            self.commitments.sla_result(
                clock.sla, self._tier(lead, clock.sla), clock.verdict_due, met
            )

    def stop_untouched(self, lead: Lead, t: float, rep: str | None) -> None:
        """A disposition at t before any touch: the first-touch clock stops, not met
        ("closed without a touch", counted for `rep`, who dispositioned it)."""
        clock = lead.clocks.get(FIRST_TOUCH)
        if clock is None:
            return
        due: float | None = None
        if clock.state == RUNNING and clock.verdict_open:
            clock.verdict_open = False
            due = clock.verdict_due
        if clock.state in (RUNNING, BREACHED):
            clock.state = STOPPED
            clock.version += 1
        self.commitments.closed_untouched(lead.tier, due, t, rep)

    def stop_all(self, lead: Lead) -> None:
        for clock in lead.clocks.values():
            if clock.state in (RUNNING, BREACHED):
                clock.state = STOPPED
                clock.version += 1

    def _tier(self, lead: Lead, sla: str) -> str | None:
        return lead.tier if sla == FIRST_TOUCH else None

    def _say(self, kind: str, lead: Lead, clock: SlaClock, at: float, cause: str) -> None:
        em = self.em
        record = em.head(kind, at, cause, lead.id)
        record["lead_id"] = lead.id
        record["sla"] = clock.sla
        record["due"] = em.fmt.text(clock.due)
        if lead.owner is not None:
            record["rep_id"] = lead.owner

    def say_met(
        self, lead: Lead, sla: str, due: float, t: float, cause: str, rep: str | None
    ) -> None:
        em = self.em
        record = em.head("sla.met", t, cause, f"{lead.id}/{sla}")
        record["lead_id"] = lead.id
        record["sla"] = sla
        record["due"] = em.fmt.text(due)
        record["done_at"] = em.fmt.text(t)
        if rep is not None:
            record["rep_id"] = rep

    def _breach(self, lead: Lead, clock: SlaClock, at: float, cause: str) -> None:
        clock.state = BREACHED
        self._say("sla.breached", lead, clock, at, cause)
        self._verdict(lead, clock, False)
        if clock.sla == FIRST_TOUCH and lead.owner is not None:
            self.commitments.rep_window(lead.owner, clock.due, False)

    def fire_clock(self, lead: Lead, clock: SlaClock, at: float) -> None:
        terms = self.terms_of(lead)
        p = terms.points[clock.next_point]
        clock.next_point += 1
        cause = clock.name + p.tag
        if p.kind == AT_RISK:
            if clock.state == RUNNING:
                self._say("sla.at_risk", lead, clock, at, cause)
        elif p.kind == BREACH:
            self._breach(lead, clock, at, cause)
        else:
            step = p.step
            assert step is not None
            notify = self.notify(lead, p.notify)
            record = self.em.head("sla.escalated", at, cause, lead.id)
            record["lead_id"] = lead.id
            record["sla"] = clock.sla
            record["level"] = p.level
            record["notify"] = notify
            record["action"] = step.action
            if lead.owner is not None:
                record["rep_id"] = lead.owner
            if step.action == "reassign":
                cap = terms.max_reassignments
                if cap is not None and lead.reassigned >= cap:
                    record["action"] = None
                    record["why"] = (
                        f"reassigned {lead.reassigned} times already, the policy's cap "
                        "(escalation.max_reassignments): the ladder only notifies"
                    )
                else:
                    record["why"] = self.escalate_action(lead, clock, at, cause)
        if clock.state in (RUNNING, BREACHED) and lead.clocks.get(clock.sla) is clock:
            self._schedule_next(clock, terms.points)

    def notify(self, lead: Lead, roles: tuple[str, ...]) -> list[str]:
        """Resolve roles to people: rep -> owner, team_lead -> their lead, sales_manager ->
        that lead's manager. Unassigned leads notify the team leads of their pool."""
        owner = self.rep_of(lead)
        key = (owner.id if owner is not None else None, lead.pool, roles)
        cached = self._notify_cache.get(key)
        if cached is not None:
            return list(cached)
        leads_ = (
            [owner.team_lead] if owner is not None and owner.team_lead else self.pool_leads(lead)
        )
        out: list[str] = []
        for role in roles:
            if role == "rep":
                names = [owner.id] if owner is not None else []
            elif role == "team_lead":
                names = [x for x in leads_ if x]
            elif role == "sales_manager":
                names = sorted({m for x in leads_ if (m := self.managers.get(x or ""))})
            else:
                names = [role]
            out.extend(n for n in names if n not in out)
        if len(self._notify_cache) > 4096:
            self._notify_cache.clear()
        self._notify_cache[key] = tuple(out)
        return out

    def pool_leads(self, lead: Lead) -> list[str]:
        raise NotImplementedError

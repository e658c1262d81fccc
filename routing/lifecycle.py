"""The pool side of a lead's way through the agreement: placement, touches, disposition,
hand-backs, escalation-driven reassignment; and the timers that move it when no event
does. What a lead's events mean is decided before, by the lead desk (routing.desk),
which calls the `DeskSink` methods here."""

from __future__ import annotations

from typing import Any, cast

from mypy_extensions import mypyc_attr

from routing.clocks import SlaTimers
from routing.lead import CLOSED, MQL, Lead
from routing.reps import ACCEPTING, INF, RepState
from routing.router import PoolState, Router
from routing.sla import DISPOSITION, FIRST_TOUCH, FOLLOW_UP, HANDOFF, SlaClock


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Lifecycle(SlaTimers):
    router: Router
    leads: dict[str, Lead]

    def setup_lifecycle(self) -> None:
        self.setup_clocks()
        self.handback_on = frozenset(self.policy.routing.reassign_when_rep)

    # --- what the lead desk decided (routing.sink.DeskSink) ---------------------------
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
        lead = self.leads.get(lead_id)
        if lead is None:  # the desk runs elsewhere (the worker's lead stage)
            lead = self.leads[lead_id] = Lead(lead_id)
        lead.fields = fields  # in one process, the desk's own record: the same object
        lead.state = MQL
        lead.cycle = cycle
        lead.mql_at = t
        lead.tier_index, lead.tier, lead.pool = tier_index, tier, pool
        lead.owners = ()
        lead.first_touch_at = None
        lead.reassign_pending = False
        lead.clocks = {}
        lead.handed_off = False
        lead.reassigned = 0
        lead.held_intent = None
        if missing:
            self.em.emit("handoff.incomplete", t, cause, lead_id, lead_id=lead_id, missing=missing)
        self.commitments.mql(t, tier, not missing)
        self.commitments.funnel.mql(lead_id, t, tier, fields)
        if pool is None:
            self.em.emit(
                "lead.unroutable",
                t,
                cause,
                lead_id,
                lead_id=lead_id,
                tier=tier,
                why="no pool of the policy matches this lead",
            )
            # It never reaches sales: marketing's handoff runs out (docs/policy.md).
            self.start_clock(lead, HANDOFF, t)
            return
        lead.relaxed = self.router.pools[pool].surge.active
        self.start_clock(lead, DISPOSITION, t)
        window = lead.clocks.get(DISPOSITION)
        self.commitments.funnel.window(lead_id, window.due if window is not None else None)
        self.start_clock(lead, FIRST_TOUCH, t)
        self.place(lead, t, cause)

    def disqualified(self, lead_id: str, t: float, cause: str, reason: str, was_open: bool) -> None:
        if was_open:
            self.commitments.funnel.window(lead_id, None)  # no disposition is due any more
            self.close(self.leads[lead_id], t)
        self.em.emit("lead.disqualified", t, cause, lead_id, lead_id=lead_id, reason=reason)
        if was_open:
            self.drain(t, cause)  # its rep has room again

    def intent(self, lead_id: str, t: float, cause: str, signals: dict[str, int]) -> None:
        lead = self.leads.get(lead_id)
        owner = lead.owner if lead is not None else None
        if lead is not None and owner is None and lead.state == MQL and lead.pool is not None:
            lead.held_intent = signals  # queued: told to the rep who gets it (_give)
            return
        self.em.emit(
            "intent.spike", t, cause, lead_id, lead_id=lead_id, rep_id=owner, signals=signals
        )

    def fields_changed(self, lead_id: str, fields: dict[str, Any]) -> None:
        lead = self.leads.get(lead_id)
        if lead is not None:
            lead.fields = fields

    def place(self, lead: Lead, t: float, cause: str, handed_back_by: str | None = None) -> None:
        """Give a lead without an owner to a rep, or queue it."""
        found = self.router.find(lead, t)
        if found.rep is not None and found.pool is not None:
            self._give(lead, found.rep, found.pool, t, cause, found.why, handed_back_by)
            return
        self.router.enqueue(lead)
        why = found.why
        if handed_back_by is not None and self.router.explain:
            why = f"{handed_back_by} handed it back; {why}"
        record = self.em.head("lead.queued", t, cause, lead.id)
        record["lead_id"] = lead.id
        record["pool"] = lead.pool
        record["tier"] = lead.tier
        record["why"] = why
        if handed_back_by is not None:
            record["from_rep_id"] = handed_back_by
        if not lead.handed_off:  # in a pool's queue: it reached sales
            self._handoff_reached(lead, t, cause)
        home = self.router.pools[lead.pool or ""]
        self.retry_at(home, found.wake)
        self.surge_check(home, t, cause)

    def _give(
        self,
        lead: Lead,
        rep: RepState,
        pool: str,
        t: float,
        cause: str,
        why: str,
        from_rep: str | None,
    ) -> None:
        self.router.dequeue(lead)
        first = not lead.owners
        last = lead.owners[-1] if lead.owners else None
        old = self.router.assign(lead, rep, pool, t)
        previous = old.id if old is not None else (from_rep or last)
        if first:
            ft = lead.clocks.get(FIRST_TOUCH)
            fmt = self.em.fmt
            record = self.em.head("lead.assigned", t, cause, lead.id)
            record["lead_id"] = lead.id
            record["rep_id"] = rep.id
            record["pool"] = pool
            record["tier"] = lead.tier
            record["mql_at"] = fmt.text(lead.mql_at or t)
            record["first_touch_due"] = fmt.text(ft.due) if ft is not None else None
            record["why"] = why
            if not lead.handed_off:
                self._handoff_reached(lead, t, cause)
            self._deliver_intent(lead, rep.id, t, cause)
            return
        record = self.em.head("lead.reassigned", t, cause, f"{lead.id}/{len(lead.owners)}")
        record["lead_id"] = lead.id
        record["from_rep_id"] = previous
        record["rep_id"] = rep.id
        record["pool"] = pool
        record["why"] = why
        if lead.reassign_pending:
            lead.reassign_pending = False
            lead.reassigned += 1
            sla = lead.reassign_sla
            if sla == FIRST_TOUCH and lead.first_touch_at is None:
                clock = self.start_clock(lead, FIRST_TOUCH, t)
                record["first_touch_due"] = self.em.fmt(clock.due) if clock else None
            elif sla in (DISPOSITION, FOLLOW_UP):
                self.start_clock(lead, sla, t)
        self._deliver_intent(lead, rep.id, t, cause)

    def _deliver_intent(self, lead: Lead, rep_id: str, t: float, cause: str) -> None:
        """An intent spike held while the lead had no owner goes to its new rep now."""
        signals = lead.held_intent
        if signals is not None:
            lead.held_intent = None
            self.em.emit(
                "intent.spike", t, cause, lead.id, lead_id=lead.id, rep_id=rep_id,
                signals=signals, held=True,
            )  # fmt: skip

    def _handoff_reached(self, lead: Lead, t: float, cause: str) -> None:
        """The MQL reached sales (assigned, or placed in a pool's queue): marketing's
        handoff is decided, met if in time, without a clock. Waiting for a rep is sales'
        time: it shows in first touch (docs/policy.md)."""
        lead.handed_off = True
        window = self.terms_of(lead).windows[HANDOFF]
        mql_at = lead.mql_at
        if window is None or mql_at is None or mql_at < self.effective_at:
            return
        due = window.due(mql_at, self.cal)
        if t <= due:
            self.say_met(lead, HANDOFF, due, t, cause, lead.owner)
        self.commitments.sla_result(HANDOFF, None, due, t <= due)

    def retry_at(self, pool: PoolState, wake: float) -> None:
        if wake < pool.retry_at:
            pool.retry_at = wake
            self.schedule(wake, "retry", pool, 0)

    def drain(self, t: float, cause: str) -> None:
        """Offer waiting leads to reps, every pool in policy order, best lead first."""
        for pool in self.router.pools.values():
            if not pool.queue.leads:
                if pool.surge.active:
                    self.surge_check(pool, t, cause)
                continue
            wake = INF
            walk = pool.queue.waiting()
            try:
                while (lead := walk.next()) is not None:
                    if lead.queue_token == 0:
                        continue
                    exclude = lead.owners if lead.reassign_pending else ()
                    found = self.router.find(lead, t, exclude)
                    if found.rep is not None and found.pool is not None:
                        self._give(lead, found.rep, found.pool, t, cause, found.why, None)
                        continue
                    wake = min(wake, found.wake)
                    if not lead.reassign_pending:
                        break
            finally:
                walk.close()  # puts back the leads passed over
            if pool.queue.leads:
                self.retry_at(pool, wake)
            self.surge_check(pool, t, cause)

    # --- work on the lead -------------------------------------------------------------
    def touched(
        self, lead_id: str, t: float, cause: str, first: bool, cadence_done: bool,
        rep_id: str | None = None,
    ) -> None:  # fmt: skip
        lead = self.leads[lead_id]
        if first:
            lead.first_touch_at = t
            assert lead.mql_at is not None
            self.commitments.first_touch(lead.tier, lead.mql_at, t)
            self.stop_clock(lead, FIRST_TOUCH, t, cause, by=rep_id)
            if lead.reassign_pending and lead.reassign_sla == FIRST_TOUCH:
                self._cancel_pending(lead)
            self.start_clock(lead, FOLLOW_UP, t)
        if first or cadence_done:  # all the funnel reads of touches
            self.commitments.funnel.touched(lead_id, cadence_done)
        if cadence_done:
            self.stop_clock(lead, FOLLOW_UP, t, cause, by=rep_id)
            if lead.reassign_pending and lead.reassign_sla == FOLLOW_UP:
                self._cancel_pending(lead)

    def _cancel_pending(self, lead: Lead) -> None:
        lead.reassign_pending = False
        self.router.dequeue(lead)

    def dispositioned(
        self, lead_id: str, t: float, cause: str, outcome: str, reason: str | None,
        rep_id: str | None = None,
    ) -> None:  # fmt: skip
        lead = self.leads[lead_id]
        self.commitments.funnel.dispositioned(lead_id, t, outcome)
        self.stop_clock(lead, DISPOSITION, t, cause, by=rep_id)
        if lead.first_touch_at is None:
            self.stop_untouched(lead, t, rep_id)
        self.stop_clock(lead, FOLLOW_UP, t, cause, counts=False)
        self.commitments.dispositioned(t, outcome, reason)
        self.close(lead, t)
        self.drain(t, cause)

    def stage_changed(
        self,
        lead_id: str,
        t: float,
        cause: str,
        stage: str,
        amount: float | None,
        currency: str | None,
    ) -> None:
        """A funnel stage (routing.funnel): counted in the lead's MQL cohort; no decision."""
        self.commitments.funnel.stage(lead_id, t, stage, amount, currency)

    def rejection_undocumented(self, lead_id: str | None, t: float, cause: str) -> None:
        self.commitments.rejection_refused(t)

    def close(self, lead: Lead, t: float) -> None:
        """The lead leaves the routing: dispositioned or disqualified."""
        self.router.dequeue(lead)
        self.router.release(lead, t)
        lead.reassign_pending = False
        lead.held_intent = None
        self.stop_all(lead)
        lead.clocks = {}  # stopped; pending timers of them are stale by version
        lead.state = CLOSED

    # --- reps -------------------------------------------------------------------------
    def set_status(self, rep: RepState, status: str, t: float, cause: str) -> None:
        rep.status = status
        rep.status_version += 1
        if status in self.handback_on and rep.open:
            for lead_id in sorted(rep.open, key=lambda i: (self.leads[i].mql_at or 0.0, i)):
                lead = self.leads[lead_id]
                if lead.owner != rep.id:
                    continue  # placing an earlier one moved it already (a surge's drain)
                self.router.dequeue(lead)
                self.router.release(lead, t, rep)
                lead.reassign_pending = False
                self.place(lead, t, cause, handed_back_by=rep.id)
        self.router.rep_changed(rep, t)
        if status == ACCEPTING:
            self.drain(t, cause)
        else:
            for name in rep.pools:
                self.surge_check(self.router.pools[name], t, cause)

    def rep_of(self, lead: Lead) -> RepState | None:
        return self.router.reps.get(lead.owner) if lead.owner is not None else None

    def pool_leads(self, lead: Lead) -> list[str]:
        return [] if lead.pool is None else self.router.team_leads(lead.pool)

    def escalate_action(self, lead: Lead, clock: SlaClock, at: float, cause: str) -> str:
        """The ladder says reassign: to another rep now, or when one can take it."""
        if lead.owner is None:
            return "not assigned yet; it goes to the first rep who can take it"
        lead.reassign_sla = clock.sla
        found = self.router.find(lead, at, lead.owners)
        if found.rep is not None and found.pool is not None:
            lead.reassign_pending = True
            self._give(lead, found.rep, found.pool, at, cause, found.why, None)
            return f"reassigned to {found.rep.id}"
        if not lead.reassign_pending:
            lead.reassign_pending = True
            self.router.enqueue(lead)
            assert lead.pool is not None
            self.retry_at(self.router.pools[lead.pool], found.wake)
        return (
            f"no other rep can take it now ({found.why}); it stays with {lead.owner} until one can"
        )

    # --- surge ------------------------------------------------------------------------
    def surge_check(self, pool: PoolState, t: float, cause: str) -> None:
        rule = self.router.surge_rule
        if rule is None:
            return
        if not pool.surge.active and (not pool.queue.depth or not self.cal.is_open(t)):
            return  # entering needs a queue during business hours
        able = self.router.able(pool, t) if pool.queue.depth else 0
        verdict = rule.evaluate(pool.surge, t, pool.queue.depth, able, self.cal.is_open(t))
        if verdict.enter:
            self.router.set_surge(pool, True, t)
            self.em.emit("surge.entered", t, cause, pool.name, pool=pool.name, why=verdict.why)
            self.drain(t, cause)
        elif verdict.arm_exit_at is not None:
            self.schedule(verdict.arm_exit_at, "surge_exit", pool, pool.surge.version)

    # --- timers -----------------------------------------------------------------------
    def timer_live(self, kind: str, subject: Any, version: int) -> bool:
        if kind == "sla":
            return cast(SlaClock, subject).version == version  # compiled: read natively
        if kind == "status":
            return bool(subject.status_version == version)
        if kind == "surge_exit":
            return bool(subject.surge.version == version and subject.surge.active)
        return True

    def fire(self, at: float, kind: str, subject: Any, version: int) -> None:
        if kind == "sla":
            clock: SlaClock = subject
            self.fire_clock(self.leads[clock.lead_id], clock, at)
        elif kind == "retry":
            pool: PoolState = subject
            if pool.retry_at == at:
                pool.retry_at = INF
            self.drain(at, f"{pool.name}@{self.em.fmt(at)}")
        elif kind == "status":
            rep: RepState = subject
            self.set_status(rep, ACCEPTING, at, f"{rep.id}@{self.em.fmt(at)}")
        elif kind == "surge_exit":
            pool = subject
            rule = self.router.surge_rule
            assert rule is not None
            self.router.set_surge(pool, False, at)
            cause = f"{pool.name}@{self.em.fmt(at)}"
            self.em.emit(
                "surge.exited", at, cause, pool.name, pool=pool.name, why=rule.exit_why(pool.surge)
            )

"""A simulated rep: works the leads the core gives them, in the order the scenario says.

The rep never decides routing: it learns of its leads from the core's decisions
(`lead.assigned`, `lead.reassigned`, hand-backs) and answers with input events
(`lead.touched`, `lead.dispositioned`). A rep works while available (per the core's rep
status) and on shift (per the core's rep calendar); a touch once started is finished.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from routing.lead import MQL
from routing.reps import ACCEPTING, RepState
from routing.sla import FIRST_TOUCH
from simulator.work import Sampler

if TYPE_CHECKING:
    from simulator.driver import Replication

FT, FU = "first_touch_due", "follow_up_due"
INF = float("inf")


class Plan:
    """The simulation's side of one lead: its draws and touches so far. Made when the
    lead is first worked (`Replication.plan`). A plain class: compiled, a dataclass is
    built through Python's `__init__` protocol, several times slower."""

    __slots__ = ("connected", "draws", "next_at", "touches")

    def __init__(self, draws: list[float]) -> None:
        self.draws = draws
        self.touches = 0
        self.next_at = 0.0  # earliest instant of the next follow-up touch
        self.connected = False


# One item of a rep's work: (kind, due, ready). `due` is what "due" orders by (the
# first-touch deadline, or the follow-up time); `ready`, not before (assignment + start
# delay, or the follow-up time). A plain tuple: one is made for every lead a rep takes.
Item = tuple[str, float, float]


class RepAgent:
    """One rep's side of the simulation. A plain class, not a dataclass: compiled, a
    dataclass would build its annotations at import, and `Replication` (driver.py, which
    imports this module) does not exist yet then."""

    __slots__ = ("busy", "busy_s", "delay_s", "id", "rank", "sim", "state", "touch_s",
                 "wake_at", "work")

    def __init__(
        self, sim: Replication, state: RepState, touch_s: Sampler, delay_s: Sampler,
        rank: dict[str, int],
    ) -> None:
        self.sim = sim
        self.state = state
        self.touch_s = touch_s
        self.delay_s = delay_s
        self.rank = rank
        self.work: dict[str, Item] = {}
        self.busy = False
        self.wake_at = INF
        self.busy_s = 0.0
        self.id = state.id  # the rep's id, read for every touch

    def take(self, lead_id: str, t: float) -> None:
        """The core gave this rep the lead (first assignment, reassignment, hand-back)."""
        sim = self.sim
        lead = sim.engine.leads[lead_id]
        if lead.first_touch_at is None:
            clock = lead.clocks.get(FIRST_TOUCH)
            due = clock.due if clock is not None else (lead.mql_at or t)
            self.work[lead_id] = (FT, due, t + self.delay_s())
        else:
            plan = sim.plan(lead_id)
            ready = max(t, plan.next_at)
            self.work[lead_id] = (FU, ready, ready)
        sim.kick(self)

    def drop(self, lead_id: str) -> None:
        self.work.pop(lead_id, None)

    def kick(self, t: float) -> None:
        """If free: start the most urgent ready item, or sleep until one can start."""
        if self.busy or not self.work:
            return
        state = self.state
        if state.status != ACCEPTING:
            self.sleep(self.sim.status_ends(state, t))
            return
        if not state.on_shift(t):
            self.sleep(state.shift_until)
            return
        rank = self.rank
        best_id = ""
        best_rank, best_due = len(rank), INF
        soonest = INF
        for lead_id, (kind, due, ready) in self.work.items():
            if ready > t:
                if ready < soonest:
                    soonest = ready
                continue
            r = rank[kind]
            if r < best_rank or (
                r == best_rank and (due < best_due or (due == best_due and lead_id < best_id))
            ):
                best_id, best_rank, best_due = lead_id, r, due
        if not best_id:
            self.sleep(soonest)
            return
        self.touch(best_id, t)

    def sleep(self, until: float) -> None:
        if until < self.wake_at and until != INF:
            self.wake_at = until
            self.sim.wake(self, until)

    def woken(self, t: float) -> None:
        if t == self.wake_at:
            self.wake_at = INF
        self.kick(t)

    def touch(self, lead_id: str, t: float) -> None:
        sim = self.sim
        del self.work[lead_id]
        plan = sim.plan(lead_id)
        draws = plan.draws  # one per touch up to the give-up count, then the outcome's
        connected = draws[min(plan.touches, len(draws) - 2)] < sim.connect_rate
        channel = sim.channels[plan.touches % len(sim.channels)]
        plan.touches += 1
        plan.connected = connected
        plan.next_at = sim.follow_up_after(t)
        self.busy = True
        duration = self.touch_s()
        self.busy_s += sim.inside(t, t + duration)
        sim.touched(self, lead_id, channel, connected, t, duration)

    def touch_done(self, lead_id: str, t: float) -> None:
        """The touch ended: disposition the lead if it is settled, else plan a follow-up."""
        self.busy = False
        sim = self.sim
        lead = sim.engine.leads.get(lead_id)
        if lead is not None and lead.state == MQL and lead.owner == self.id:
            plan = sim.plan(lead_id)
            if plan.connected:
                outcome, reason = sim.outcomes.pick(plan.draws[-1])
                sim.disposition(self, lead_id, outcome, reason, t)
            elif plan.touches >= sim.give_up_after:
                sim.disposition(self, lead_id, "rejected", "unresponsive", t)
            else:
                self.work[lead_id] = (FU, plan.next_at, plan.next_at)
        self.kick(t)  # the clock's now

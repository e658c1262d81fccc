"""The capacity-aware router: which rep of which pool takes a lead, or why nobody can.

A lead is offered to its pool, then to the surge's backup pool while the pool is in
surge, then down the pool's overflow chain. Within a pool the strategy orders the
reps; the first rep who is available, on shift and under capacity takes it. When no
one can, the lead waits in its pool's queue and the router names the instant at which
that may change on its own (the next shift start or local midnight).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from mypy_extensions import mypyc_attr

from routing.lead import Lead
from routing.policy.models import Capacity, Policy
from routing.queue import PoolQueue, order_key
from routing.reps import ACCEPTING, INF, RepState
from routing.strategies import Strategy, make_strategy
from routing.surge import SurgeRule, SurgeState

NEG_INF: Final = -INF

SHOWN: Final = 4  # reps named in a `why` before "and N more"


@mypyc_attr(serializable=True)
@dataclass(slots=True)
class PoolState:
    name: str
    overflow: str | None
    strategy: Strategy
    queue: PoolQueue
    reps: list[RepState] = field(default_factory=list)  # roster order
    surge: SurgeState = field(default_factory=SurgeState)
    retry_at: float = INF  # a queue retry timer is pending for this instant
    # Nobody in the pool can take a lead on [blocked_from, blocked_until) unless an event
    # frees someone (a release, a status or roster change, a surge): then `unblock()`.
    blocked_from: float = INF
    blocked_until: float = NEG_INF
    blocked_note: str = ""
    team_leads: list[str] | None = None  # of the pool's reps, sorted (cached)
    # The reps on shift on [shift_from, shift_until): when few are, only they are offered.
    on_shift: list[RepState] = field(default_factory=list)
    shift_from: float = INF
    shift_until: float = NEG_INF

    def working(self, t: float) -> list[RepState]:
        if not self.shift_from <= t < self.shift_until:
            until = INF
            on: list[RepState] = []
            for rep in self.reps:
                if rep.on_shift(t):
                    on.append(rep)
                until = min(until, rep.shift_until)
            self.on_shift, self.shift_from, self.shift_until = on, t, until
        return self.on_shift

    def candidates(self, t: float) -> tuple[list[RepState], int]:
        """The strategy's order and how many reps it leaves out: when most reps are off
        shift, only those on shift are offered (in the strategy's order)."""
        working = self.working(t)
        if len(working) * 4 >= len(self.reps):
            return self.strategy.candidates(), 0
        return self._by_rank(working), len(self.reps) - len(working)

    def _by_rank(self, working: list[RepState]) -> list[RepState]:
        """The reps on shift in the strategy's order (few: under a quarter of the pool)."""
        return sorted(working, key=self.strategy.rank)

    def unblock(self) -> None:
        self.blocked_from, self.blocked_until = INF, NEG_INF


# Plain classes, not dataclasses, for what is made per lead: compiled (mypyc), a
# dataclass is built through Python's `__init__` (~1.7k instructions), a native class
# with its own `__init__` by a direct call.
class Placement:
    __slots__ = ("pool", "rep", "wake", "why")

    def __init__(self, rep: RepState | None, pool: str | None, why: str, wake: float) -> None:
        self.rep = rep
        self.pool = pool
        self.why = why
        self.wake = wake  # if nobody: the earliest instant a rep may free up without an event


@mypyc_attr(serializable=True)
class Router:
    def __init__(self, policy: Policy, reps: Iterable[RepState]) -> None:
        self.policy = policy
        self.surge_rule = SurgeRule(policy.surge) if policy.surge is not None else None
        self._normal_key = order_key(policy.routing.queue_order)
        surge_order = list(policy.routing.queue_order)
        if self.surge_rule is not None and self.surge_rule.prioritize == "score":
            surge_order = ["score_desc", *[k for k in surge_order if k != "score_desc"]]
        self._surge_key = order_key(surge_order)
        self.pools: dict[str, PoolState] = {
            p.name: PoolState(
                p.name,
                p.overflow,
                make_strategy(policy.routing.strategy),
                PoolQueue(self._normal_key),
            )
            for p in policy.routing.pools
        }
        self.reps: dict[str, RepState] = {}
        self._seq = 0
        self.explain = True  # write `why` (Engine(texts=False) does not)
        for rep in reps:
            self.add_rep(rep)

    # --- roster ---------------------------------------------------------------------
    def add_rep(self, rep: RepState) -> None:
        self.reps[rep.id] = rep
        for name in rep.pools:
            pool = self.pools[name]
            pool.reps.append(rep)
            pool.reps.sort(key=lambda r: r.order)
            pool.strategy.add(rep)
            pool.unblock()
            pool.team_leads = None
            pool.shift_from, pool.shift_until = INF, NEG_INF

    def update_rep(self, rep: RepState, fresh: RepState, capacity: bool, hours: bool) -> None:
        """A roster change at run time, in place: the rep keeps its open leads, status,
        counters and its turn in every pool it stays in."""
        for name in rep.pools:
            if name not in fresh.pools:
                self.pools[name].reps.remove(rep)
                self.pools[name].strategy.remove(rep)
        added = [name for name in fresh.pools if name not in rep.pools]
        rep.pools, rep.weight, rep.team_lead = fresh.pools, fresh.weight, fresh.team_lead
        if capacity:
            rep.max_open, rep.max_new_per_day = fresh.max_open, fresh.max_new_per_day
        if hours:
            rep.calendar = fresh.calendar
            rep.shift_from, rep.shift_until = INF, NEG_INF
        for name in added:
            self.pools[name].reps.append(rep)
            self.pools[name].reps.sort(key=lambda r: r.order)
            self.pools[name].strategy.add(rep)
        for pool in self.pools.values():
            pool.unblock()
            pool.team_leads = None
            pool.shift_from, pool.shift_until = INF, NEG_INF
        for name in rep.pools:
            self.pools[name].strategy.load_changed(rep)

    def remove_rep(self, rep: RepState) -> None:
        for name in rep.pools:
            pool = self.pools[name]
            pool.reps.remove(rep)
            pool.strategy.remove(rep)
            pool.unblock()
            pool.team_leads = None
            pool.shift_from, pool.shift_until = INF, NEG_INF
        del self.reps[rep.id]

    # --- placement ------------------------------------------------------------------
    def surge_capacity(self, pool: PoolState) -> Capacity | None:
        if pool.surge.active and self.surge_rule is not None:
            return self.surge_rule.capacity
        return None

    def chain(self, home: str) -> list[str]:
        """Pools a lead of `home` is offered to, in order."""
        names = [home]
        pool = self.pools[home]
        if pool.surge.active and self.surge_rule is not None and self.surge_rule.overflow_to:
            names.append(self.surge_rule.overflow_to)
        nxt = pool.overflow
        while nxt is not None and nxt not in names:
            names.append(nxt)
            nxt = self.pools[nxt].overflow
        return names

    def find(self, lead: Lead, t: float, exclude: Iterable[str] = ()) -> Placement:
        assert lead.pool is not None
        excluded = set(exclude) if exclude else None
        explain = self.explain
        notes: list[str] = []
        wake = INF
        for name in self.chain(lead.pool):
            pool = self.pools[name]
            if pool.blocked_from <= t < pool.blocked_until:
                notes.append(pool.blocked_note)
                wake = min(wake, pool.blocked_until)
                continue
            cap = self.surge_capacity(pool)
            passed: list[str] = []
            count = 0
            reps, off_shift = pool.candidates(t)
            pool_wake = pool.shift_until if off_shift else INF
            for rep in reps:
                if excluded is not None and rep.id in excluded:
                    reason, until = "already had it", INF
                else:
                    blocked = rep.blocked(t, cap)
                    if blocked is None:
                        if not explain:
                            return Placement(rep, name, "", INF)
                        why = f"{pool.strategy.name} in {name}: {rep.id} ({rep.load(t, cap)})"
                        if count:
                            why += "; passed over " + _names(passed, count)
                        if off_shift:
                            why += f"; {off_shift} off shift"
                        if notes:
                            why = "; ".join(notes) + "; overflow: " + why
                        return Placement(rep, name, why, INF)
                    reason, until = blocked
                count += 1
                if count <= SHOWN and explain:
                    passed.append(f"{rep.id} ({reason})")
                if until < pool_wake:
                    pool_wake = until
            note = ""
            if explain:
                note = f"nobody in {name}"
                if count:
                    note += f": {_names(passed, count)}"
                if off_shift:
                    note += f"{',' if count else ':'} {off_shift} off shift"
                elif not count:
                    note += " (no reps)"
                notes.append(note)
            wake = min(wake, pool_wake)
            if not excluded:
                pool.blocked_from, pool.blocked_until, pool.blocked_note = t, pool_wake, note
        return Placement(None, None, "; ".join(notes) if explain else "", wake)

    def assign(self, lead: Lead, rep: RepState, pool: str, t: float) -> RepState | None:
        """Give `lead` to `rep` (taking it from its current owner); return the old owner."""
        old = self.reps.get(lead.owner) if lead.owner is not None else None
        if old is not None:
            self.release(lead, t, old)
        self._seq += 1
        rep.open.add(lead.id)
        rep.count_new(t)
        rep.last_assigned = self._seq
        for name in rep.pools:
            strategy = self.pools[name].strategy
            if name == pool:
                strategy.picked(rep)
            else:
                strategy.load_changed(rep)
        lead.owner = rep.id
        lead.owners += (rep.id,)
        return old

    def release(self, lead: Lead, t: float, rep: RepState | None = None) -> None:
        """Take the lead off its owner's books (disposition, hand-back, reassignment)."""
        rep = rep or (self.reps.get(lead.owner) if lead.owner is not None else None)
        if rep is None or lead.owner != rep.id:
            return
        if lead.id in rep.open:
            rep.open.discard(lead.id)
            self.rep_changed(rep, t)  # re-sorts the rep in its pools too
        lead.owner = None

    # --- queues and surge -----------------------------------------------------------
    def enqueue(self, lead: Lead) -> None:
        assert lead.pool is not None
        self.pools[lead.pool].queue.push(lead)

    def dequeue(self, lead: Lead) -> None:
        if lead.queue_token and lead.pool is not None:
            self.pools[lead.pool].queue.discard(lead)

    def rep_changed(self, rep: RepState, t: float) -> None:
        """A rep's status, load or limits changed at t: only this rep may have become able
        to take work, so a pool known to be blocked stays blocked unless it is this rep."""
        for name in rep.pools:
            pool = self.pools[name]
            pool.strategy.load_changed(rep)
            if not pool.blocked_from <= t < pool.blocked_until:
                pool.unblock()
                continue
            blocked = rep.blocked(t, self.surge_capacity(pool))
            if blocked is None:
                pool.unblock()
            elif blocked[1] < pool.blocked_until:
                pool.blocked_until = blocked[1]

    def team_leads(self, name: str) -> list[str]:
        pool = self.pools[name]
        if pool.team_leads is None:
            pool.team_leads = sorted({r.team_lead for r in pool.reps if r.team_lead})
        return pool.team_leads

    def able(self, pool: PoolState, t: float) -> int:
        """Reps able to take work: available and on shift, whatever their load (a queue
        exists only when nobody has room, so counting room would make every queue a surge)."""
        return sum(1 for rep in pool.working(t) if rep.status == ACCEPTING)

    def set_surge(self, pool: PoolState, active: bool, t: float) -> None:
        pool.surge.active = active
        pool.surge.since = t
        pool.surge.below_since = None
        pool.surge.version += 1
        pool.unblock()
        pool.queue.reorder(self._surge_key if active else self._normal_key)


def _names(shown: list[str], count: int) -> str:
    more = count - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

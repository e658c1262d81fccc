"""One replication: the routing core on a SimPy clock.

SimPy's clock is event time (epoch seconds). Leads arrive as input events
(`lead.upserted`, then `lead.engaged` so the policy's MQL definition decides), reps act
through input events (`lead.touched`, `lead.dispositioned`, `rep.status` for an absent
day), and the core's decisions drive the reps and the metrics. The core's timers fire in
simulated time: a SimPy event sleeps until `engine.next_deadline()`, asked once at the
end of each SimPy callback, and is re-armed whenever that moves earlier. At equal times,
inputs go first, then the core's timers (the engine's rule: a touch at the due instant
meets the window), then reps waking up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from heapq import heappop, heappush
from typing import Any, cast

import simpy
from simpy.events import NORMAL, EventPriority

from routing.collector import no_collections
from routing.engine import Engine
from routing.events import InputEvent
from routing.reps import RepState
from routing.windows import Window, point
from simulator import inputs
from simulator.arrivals import Arrival, generate
from simulator.call import Call, Callback
from simulator.leadgen import TierTemplate
from simulator.metrics import Collector
from simulator.reps import FT, FU, Plan, RepAgent
from simulator.scenario import Scenario
from simulator.streams import Streams
from simulator.work import Channel, Outcome, Outcomes, Sampler

TIMERS, WAKES = (
    EventPriority(NORMAL + 1),
    EventPriority(NORMAL + 2),
)  # SimPy priorities after inputs at the same time
TICKS = 50  # progress reports per replication
CHANNELS: tuple[Channel, ...] = ("call", "email", "linkedin", "sms", "meeting")
INF = float("inf")


class Replication:
    """Build with a scenario and a replication index; `run()` returns its measurements."""

    def __init__(self, scenario: Scenario, index: int, templates: dict[str, TierTemplate]):
        self.scenario = scenario
        spec = scenario.spec
        work = spec.work
        self.engine = Engine(scenario.loaded, texts=False)  # what it decided is all we read
        self.env = simpy.Environment(initial_time=scenario.start)
        # SimPy's schedule, holding only `Call`s (see `push`), and its counter.
        self._queue: list[tuple[float, EventPriority, int, Call]] = cast(Any, self.env._queue)
        self._next_eid: Callable[[], int] = self.env._eid.__next__
        self.now: float = self.env._now  # the clock, kept with SimPy's by `_run_until`
        streams = Streams(scenario.seed, index)
        self.connect_rate = work.connect_rate
        self.give_up_after = work.unresponsive_after_touches
        self.outcomes = Outcomes(work.after_connect, self._accepted_reason())
        follow_up = scenario.loaded.policy.sales_commits.follow_up
        self.channels = CHANNELS[: follow_up.channels if follow_up else 1]
        self._cadence = (
            (Window.of(follow_up.within, follow_up.clock), follow_up.touches) if follow_up else None
        )
        self.arrivals = generate(scenario, templates, streams, work.unresponsive_after_touches + 1)
        self.plans: dict[str, Plan] = {}  # made as leads are first worked (`plan`)
        listed = [*work.order, *(k for k in (FT, FU) if k not in work.order)]
        rank = {kind: listed.index(kind) for kind in (FT, FU)}  # unlisted kinds come last
        self.agents = {
            rep.id: RepAgent(
                self,
                rep,
                Sampler(work.touch_minutes, streams.work(rep.id)),
                Sampler(work.start_delay_minutes, streams.work(rep.id + "#delay")),
                rank,
            )
            for rep in self.engine.router.reps.values()
        }
        self.metrics = Collector(scenario, self.engine)
        self.absences = {
            rep.id: self._absent_days(rep, streams, work.absence.daily_probability)
            for rep in self.engine.router.reps.values()
        }
        self.metrics.set_absences(self.absences)
        self._kicks: list[RepAgent] = []
        self._then = self._settled
        self._in_handle = 0
        self._armed = INF
        self.inputs = inputs.Inputs()
        self.refused: Counter[str] = Counter()

    # --- set-up -----------------------------------------------------------------------
    def _accepted_reason(self) -> str:
        d = self.scenario.loaded.policy.sales_commits.disposition
        return d.reasons.accepted[0] if d is not None and d.reasons.accepted else "accepted"

    def plan(self, lead_id: str) -> Plan:
        plan = self.plans.get(lead_id)
        if plan is None:
            plan = self.plans[lead_id] = Plan(self.arrivals.outcomes[lead_id])
        return plan

    def follow_up_after(self, t: float) -> float:
        """Follow-up touches are spaced so the cadence fits its window: the next one at
        1/touches of the cadence window from this one, on the cadence's clock (the core's
        window arithmetic). No cadence: the next touch may follow at once."""
        cadence = self._cadence
        if cadence is None:
            return t
        window, touches = cadence
        cal = self.engine.cal
        return point(t, window.due(t, cal), 1.0 / touches, window.business, cal)

    def _absent_days(self, rep: RepState, streams: Streams, p: float) -> list[tuple[float, float]]:
        """The rep's absent working days: (local midnight, next local midnight)."""
        cal = rep.calendar
        start, end = self.scenario.start, self.scenario.end
        midnights: list[float] = []
        t = cal.next_local_midnight(start - 1.0)  # `start` itself when it is a midnight
        while t < end:
            midnights.append(t)
            t = cal.next_local_midnight(t)
        draws = streams.absence(rep.id).random(len(midnights)).tolist()
        return [
            (m, cal.next_local_midnight(m))
            for m, u in zip(midnights, draws, strict=True)
            if u < p and cal.is_working_day(cal.local_date(m))
        ]

    # --- SimPy plumbing ----------------------------------------------------------------
    def push(self, t: float, event: Call, priority: EventPriority) -> None:
        """What `env.schedule(event, priority, t - now)` does, onto SimPy's heap directly."""
        now = self.now
        delay = t - now
        if not delay > 0.0:  # max(0.0, delay), exactly (0.0 for 0, -0.0 and the past)
            delay = 0.0
        heappush(self._queue, (now + delay, priority, self._next_eid(), event))

    def call_at(
        self, t: float, fn: Callback, priority: EventPriority = NORMAL
    ) -> None:
        self.push(t, Call(fn, self._then), priority)

    def wake(self, agent: RepAgent, t: float) -> None:
        self.call_at(t, lambda _e: agent.woken(self.now), WAKES)

    def kick(self, agent: RepAgent) -> None:
        if self._in_handle:
            self._kicks.append(agent)
        else:
            agent.kick(self.now)

    def status_ends(self, rep: RepState, t: float) -> float:
        for start, end in self.absences.get(rep.id, ()):
            if start <= t < end:
                return end
        return t + 3600.0  # away for another reason: look again in an hour

    def inside(self, a: float, b: float) -> float:
        """Seconds of [a, b) inside the measured part of the horizon."""
        return max(0.0, min(b, self.scenario.end) - max(a, self.metrics.measure_from))

    def _run_until(self, at: float) -> None:
        """`env.run(until=at)`, as a compiled loop over SimPy's schedule. SimPy would put
        an URGENT stop event at now + (at - now), ahead of every other event of that
        instant, and step until it: `Environment.step` for each event due before it
        (the clock at the event's time, its callbacks taken off it and called), then the
        clock at the stop time. Every event on this schedule is a `Call`, triggered and
        ok, so none can fail; `StopSimulation` is never raised here."""
        env = self.env
        now = self.now
        stop = now + (at - now)
        queue = self._queue
        while queue and queue[0][0] < stop:
            now, _, _, event = heappop(queue)
            self.now = env._now = now
            callbacks = event.callbacks
            event.callbacks = None  # as SimPy does
            assert callbacks is not None  # each event is on the schedule once
            for callback in callbacks:
                callback(event)
        self.now = env._now = stop

    # --- the core ----------------------------------------------------------------------
    def feed(self, event: InputEvent) -> None:
        self.handle(self.engine.apply(event))

    def put(self, event: InputEvent) -> None:
        """An event just built by `self.inputs`: applied at its instant (`Inputs.at_s`),
        which the core then need not read back from the event's datetime."""
        self.handle(self.engine.apply(event, "", None, self.inputs.at_s))

    def handle(self, decisions: list[dict[str, Any]]) -> None:
        t = self.now
        self._in_handle += 1
        metrics = self.metrics
        for d in decisions:  # the reps' side first, then the measurements
            kind: str = d["type"]
            if kind == "lead.assigned":
                self._assigned(d, t)
            elif kind == "lead.queued":
                self._queued(d, t)
            elif kind == "lead.reassigned":
                self._reassigned(d, t)
            elif kind == "event.rejected":
                self._rejected(d, t)
            metrics.decided(kind, d, t)
        self._in_handle -= 1
        metrics.queues(t)
        if not self._in_handle:
            kicks, self._kicks = self._kicks, []
            for agent in kicks:
                agent.kick(t)

    def _settled(self, _event: Call | None = None) -> None:
        """After each SimPy callback: the core's next deadline, asked once per instant's
        cascade (an arrival touched at once never arms its own first-touch deadline)."""
        nxt = self.engine.next_deadline()
        if nxt is not None and nxt < self._armed:
            self._armed = nxt
            self.call_at(nxt, partial(self._deadline, nxt), TIMERS)

    def _deadline(self, at: float, _event: Call) -> None:
        if at != self._armed:
            return  # superseded by an earlier deadline (which re-armed this one if needed)
        self._armed = INF
        self.handle(self.engine.advance(self.now))

    def _assigned(self, d: dict[str, Any], t: float) -> None:
        self.agents[d["rep_id"]].take(d["lead_id"], t)

    def _reassigned(self, d: dict[str, Any], t: float) -> None:
        old = self.agents.get(d.get("from_rep_id") or "")
        if old is not None:
            old.drop(d["lead_id"])
        self.agents[d["rep_id"]].take(d["lead_id"], t)

    def _queued(self, d: dict[str, Any], t: float) -> None:
        old = self.agents.get(d.get("from_rep_id") or "")
        if old is not None:
            old.drop(d["lead_id"])

    def _rejected(self, d: dict[str, Any], t: float) -> None:
        self.refused[d["reason"]] += 1

    # --- inputs ------------------------------------------------------------------------
    def _next_arrival(self, i: int) -> None:
        """Arrivals are scheduled one at a time (a short event queue is a fast one)."""
        items = self.arrivals.items
        if i < len(items):
            self.push(items[i].t, Call(lambda _e: self._arrived(i), self._then), NORMAL)

    def _arrived(self, i: int) -> None:
        items = self.arrivals.items
        t = items[i].t
        while i < len(items) and items[i].t == t:
            self._arrive(items[i])
            i += 1
        self._next_arrival(i)

    def _arrive(self, arrival: Arrival) -> None:
        if arrival.event is not None:
            self.feed(arrival.event)
            return
        t, lead_id = arrival.t, arrival.lead_id
        fields = arrival.fields or {}
        self.put(self.inputs.upserted(t, lead_id, fields))
        if arrival.engagements:
            activity = "demo_request" if fields.get("demo_requested") else "content_download"
            for _ in range(arrival.engagements):
                self.put(self.inputs.engaged(t, lead_id, activity))

    def touched(
        self, agent: RepAgent, lead_id: str, channel: Channel, connected: bool, t: float, dur: int
    ) -> None:
        self.put(self.inputs.touched(t, lead_id, agent.id, channel, connected))
        done = Call(lambda _e: agent.touch_done(lead_id, self.now), self._then)
        self.push(t + dur, done, NORMAL)

    def disposition(
        self, agent: RepAgent, lead_id: str, outcome: Outcome, reason: str, t: float
    ) -> None:
        self.metrics.dispositioned(lead_id, reason)
        self.put(self.inputs.dispositioned(t, lead_id, agent.id, outcome, reason))

    def _absent(self, rep_id: str, start: float, end: float, _event: Call) -> None:
        self.feed(self.inputs.absent(start, rep_id, end))

    def close(self) -> None:
        """Break the replication's reference cycles: the reps, the callback after each
        event and the events still scheduled all point back at it; and the engine is its
        own desk's sink (`Engine.release`)."""
        self._queue.clear()
        self.engine.release()
        self.agents = {}
        self._kicks = []
        self._then = _no_op

    # --- run ---------------------------------------------------------------------------
    def run(self, tick: Callable[[float], None] | None = None) -> dict[str, Any]:
        """Simulate the horizon; TICK(share of the horizon done) now and then."""
        self._next_arrival(0)
        for rep_id, days in self.absences.items():
            for start, end in days:
                self.call_at(start, partial(self._absent, rep_id, start, end))
        self._settled()
        start, end = self.scenario.start, self.scenario.end
        # In slices, for progress: SimPy's stop event does not reorder the others.
        slices = TICKS if tick is not None else 1
        for k in range(1, slices + 1):
            self._run_until(start + (end - start) * k / slices)
            if tick is not None:
                tick(k / slices)
        self.handle(self.engine.advance(self.scenario.end))
        busy = {rep_id: agent.busy_s for rep_id, agent in self.agents.items()}
        result = self.metrics.finish(self.scenario.end, busy)
        result["warnings"] = list(self.arrivals.warnings) + [
            f"the core refused {n} simulated event(s): {reason}"
            for reason, n in sorted(self.refused.items())
        ]
        return result


def _no_op(_event: Call | None = None) -> None:
    return None


def run_replication(
    scenario: Scenario,
    index: int,
    templates: dict[str, TierTemplate],
    tick: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    with no_collections():
        return _run_and_free(scenario, index, templates, tick)


def _run_and_free(
    scenario: Scenario,
    index: int,
    templates: dict[str, TierTemplate],
    tick: Callable[[float], None] | None,
) -> dict[str, Any]:
    """One replication, freed before the caller turns the cyclic GC back on: with its
    cycles broken (`close`), reference counting frees the engine, the arrivals and the
    reps as this returns. Left to the GC, the first young collection after the run would
    walk every object the run made (they were all allocated with the GC off): about 0.4 s
    for 28 weeks of the M/M/c case."""
    replication = Replication(scenario, index, templates)
    try:
        return replication.run(tick)
    finally:
        replication.close()

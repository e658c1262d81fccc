"""The lead stage of each input partition a worker holds (the consume loop is
`streams.partitions.Stages`'): inputs applied in event-time order across the partitions
(streams.merge), the desks' records sent to the pool stage, what is not an event
dead-lettered, deferrals on one clock for all the desks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiokafka.structs import TopicPartition

from routing.errors import EventError
from routing.order import event_order_key
from routing.outputs import epoch
from streams.lead_stage import NEG_INF, Invalid, LeadStage, parse
from streams.merge import EventTimeMerge, Pending
from streams.partitions import Stages
from streams.records import EVENT
from streams.stages import POOL_KEY, POOL_PARTITION, deadletter_headers

REP_UPSERTED = "rep.upserted"
EVENT_RECORD = bytes([EVENT])  # a routing record carrying an event as received


class LeadStages(Stages):
    """The lead stage of each input partition this worker holds: its inputs are applied in
    event-time order across the partitions (streams.merge), its desks' records go to the
    routing partition in that order, and what is not an event goes to the dead-letter
    topic. Deferrals come due on one clock for all its desks: the wall clock, or
    (`event_clock`) the stage's merged event time, never one partition's own."""

    label = "lead"
    stages: dict[int, LeadStage]

    def __init__(
        self, *args: Any, event_clock: bool = False, idle_s: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.event_clock = event_clock
        self.merge = EventTimeMerge(idle_s)
        self.clock = NEG_INF  # the merged event time: the latest `at` applied
        self.earliest = NEG_INF  # no desk's deferral is due before this (-inf: look)

    def dropped(self, partitions: Iterable[int]) -> None:
        self.merge.drop(list(partitions))

    def watch(self, now: float, stall_after_s: float) -> dict[str, Any]:
        """As every stage, and `held`: inputs fetched and held back by the merge; `late`:
        inputs applied behind the merged event time since the start (streams.merge)."""
        merge = self.merge
        return {**super().watch(now, stall_after_s), "held": merge.held(), "late": merge.late}

    def recovered(self, stage: Any) -> None:
        if stage.state is not None:
            self.clock = max(self.clock, stage.state.now)
            self.earliest = NEG_INF  # its deferrals are not known yet
            # The reps its desk knows and those the others know (shared as they came, see
            # `share_rep`; a desk rebuilt from its own partition's input knows only that
            # partition's since its snapshot): the union, on every desk held.
            hosts = [s.state for s in self.stages.values() if s.state is not None]
            team = set().union(*(h.desk.team for h in hosts))
            for host in hosts:
                host.desk.team |= team

    async def apply(self, live: list[tuple[TopicPartition, list[Any]]], now: float) -> bool:
        merge = self.merge
        for tp, records in live:
            items = []
            for msg in records:
                parsed = parse(msg.value or b"")
                key = None if isinstance(parsed, Invalid) else event_order_key(parsed)
                items.append(Pending(key, tp.partition, parsed, msg))
            merge.add(tp.partition, items)
        if self.consumer is None or not merge.held():
            return False
        lags = self.lags  # of every partition held, as this batch's fetch left them
        stages = self.stages
        applied = False
        while True:
            item = merge.pop(now, lags)
            if item is None:
                return applied
            applied = True
            stage = stages[item.partition]
            if item.key is not None:
                at = item.key[0]
                if at > self.clock:
                    await self.fire(at, inclusive=False)
                    self.clock = at
            msg = item.msg
            outputs = stage.apply_parsed(msg.offset, item.parsed, msg.value or b"", msg.timestamp)
            host = stage.state
            due = host.next_deadline() if host is not None else None
            if due is not None and due < self.earliest:
                self.earliest = due
            if outputs:
                await self.publish(outputs, msg)
                if getattr(item.parsed, "type", "") == REP_UPSERTED:
                    self.share_rep(item, outputs)
            stage.last_applied_at = self.applied_at = now

    def share_rep(self, item: Pending, outputs: list[Any]) -> None:
        """A `rep.upserted` that its own partition's desk applied (forwarded to the pool
        side, not refused) reaches the other desks too, at the same point of the merged
        order: the team check of a touch or a disposition (routing.desk) on any partition
        then knows the rep from that instant on, as the one desk of `leadflow replay`
        does. Each desk applies it with the core's own rule (`LeadDesk.dispatch`: the
        pools checked, the rep added to its team); nothing is sent for these copies."""
        if not any(isinstance(o, bytes) and o[:1] == EVENT_RECORD for o in outputs):
            return  # refused (dead-lettered) or a duplicate: nothing to share
        event = item.parsed
        values: dict[str, Any] = event.__dict__
        t = epoch(values["at"])
        for partition, stage in self.stages.items():
            host = stage.state
            if partition == item.partition or host is None:
                continue
            try:
                host.desk.dispatch(event, values, t, values["event_id"])
            except EventError:  # (its own desk accepted it: the same rule says the same)
                continue
            finally:
                host.rep = False

    async def fire(self, limit: float, inclusive: bool) -> bool:
        """Fire every desk's deferrals due before `limit` (or at it: `inclusive`), the
        earliest first across the desks; at the same instant, in the event-time order of
        what scheduled them (as one desk, `leadflow replay`, fires them)."""
        if limit < self.earliest or (limit == self.earliest and not inclusive):
            return False
        fired = False
        routing = self.out.names.routing
        while True:
            best, best_timer = None, None
            earliest = float("inf")
            for stage in self.stages.values():
                host = stage.state
                timer = host.next_timer() if host is not None else None
                if timer is not None and timer[0] < earliest:
                    earliest = timer[0]
                if timer is None or timer[0] > limit or (timer[0] == limit and not inclusive):
                    continue
                if best_timer is None or timer < best_timer:
                    best, best_timer = host, timer
            if best is None:
                self.earliest = earliest
                return fired
            record = best.fire_next()
            if inclusive:
                best.now = max(best.now, limit)
            if record is not None:
                fired = True
                await self.out.send(routing, record, POOL_KEY, partition=POOL_PARTITION)

    async def publish(self, outputs: list[Any], msg: Any) -> None:
        out, names = self.out, self.out.names
        for item in outputs:
            if isinstance(item, Invalid):
                out.metrics.deadlettered.labels("lead").inc()
                headers = deadletter_headers(
                    item.reason, msg.topic, msg.partition, msg.offset, "lead"
                )
                await out.dead_letter(msg.value or b"", msg.key, headers)
            else:
                await out.send(
                    names.routing, item, POOL_KEY, partition=POOL_PARTITION,
                    timestamp_ms=msg.timestamp,
                )  # fmt: skip

    def caught_up(self) -> bool:
        """Nothing held back and every partition held caught up to its high watermark: the
        input has paused (not a pause between two fetches of a backlog)."""
        return not self.merge.held() and all(lag == 0 for lag in self.lags.values())

    async def timers(self, now: float) -> bool:
        """Deferrals due: on the wall clock, or (event clock) by the merged event time
        once the input has paused (as `leadflow replay` does at the end of its input). Not
        between two fetches of a backlog: a deferral due at the instant of the last input
        applied would fire before the inputs of the same instant still to come (replay
        fires it after them), and the decisions would depend on the fetch batching."""
        if self.event_clock:
            if self.clock == NEG_INF or not self.caught_up():
                return False
            return await self.fire(self.clock, inclusive=True)
        return await self.fire(now, inclusive=True)

"""The two stages' consume loops: one `StageState` per partition a worker holds, fed in
batches (aiokafka `getmany`), recovered when a partition arrives, handed over when it
leaves, snapshotted when due. `LeadStages` and `PoolStages` differ only in what they do
with a record's outputs and whether they have timers of their own.

Each stage is a consumer group of its own (`<app>-lead`, `<app>-pool`) with manual
commits: a batch's offsets are committed only after every message it produced is
acknowledged (at-least-once). A stage's state does not depend on these commits: it
recovers from its snapshot and its input log (streams.stage_state); the commit only says
up to where its outputs are out (recovery does not publish them again).
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.structs import TopicPartition

from streams.lead_stage import Invalid, LeadStage
from streams.pool_stage import PoolStage, Remote
from streams.snapshot_topic import Shipper
from streams.stages import (
    COMMIT_EVERY_S,
    POOL_KEY,
    POOL_PARTITION,
    Checkpoint,
    Publisher,
    commit,
    deadletter_headers,
)


def _produced(msg: Any) -> tuple[int, int, int]:
    return msg.timestamp, msg.partition, msg.offset


class ForkGate:
    """Spaces the snapshot forks of every stage of a worker: each fork copies the whole
    process's page tables and stalls its loop for milliseconds, so five stages forking
    in the same poll stall it five times in a row (a latency spike). One fork at most
    every `gap_s`, shared by the lead and pool stages; a stage whose turn has not come
    snapshots at a later poll (a later snapshot only means a longer replay)."""

    def __init__(self, gap_s: float) -> None:
        self.gap_s = gap_s
        self.last = float("-inf")

    def open(self, now: float) -> bool:
        return now - self.last >= self.gap_s

    def forked(self, now: float) -> None:
        self.last = now


class Stages(ConsumerRebalanceListener):  # type: ignore[misc]
    """The stage of each partition this worker holds, for one stage kind.

    aiokafka runs `on_partitions_revoked` in its group coordinator's task, concurrently
    with `run`, which may be half-way through a batch (awaiting the producer or the
    recovery reader). `lock` makes a batch and a handover exclusive: the handover waits
    for the batch, so it snapshots a state whose every output is in the publisher, and
    the loop never applies a record to a stage that was released under it.
    """

    label = ""  # "lead" or "pool", in metrics

    def __init__(
        self,
        make: Callable[[int], Any],
        out: Publisher,
        snapshot_every_s: float,
        gate: ForkGate | None = None,
    ) -> None:
        self.make = make
        self.out = out
        self.snapshot_every_s = snapshot_every_s
        self.gate = gate if gate is not None else ForkGate(0.0)
        self.stages: dict[int, Any] = {}
        self.lock = asyncio.Lock()
        self.consumer: AIOKafkaConsumer | None = None
        self.log_start: Callable[[int], Awaitable[int]] | None = None
        # Set by the worker when snapshots are kept on Kafka (streams.snapshot_topic):
        self.shipper: Shipper | None = None
        self.remote: Callable[[int], Remote] | None = None

    def stage(self, partition: int) -> Any:
        stage = self.stages.get(partition)
        if stage is None:
            stage = self.stages[partition] = self.make(partition)
        return stage

    # --- what differs between the stages -------------------------------------------------
    async def publish(self, outputs: list[Any], msg: Any) -> None:
        raise NotImplementedError

    async def timers(self, now: float) -> bool:
        """Fire the stages' own timers due by `now`; True when that published something."""
        return False

    # --- rebalancing ---------------------------------------------------------------------
    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        async with self.lock:
            await self.hand_over(revoked)

    async def hand_over(self, partitions: Iterable[TopicPartition]) -> None:
        """Give `partitions` up: every output acknowledged, the offsets applied committed
        (the next owner goes on from there, publishing nothing twice), then a snapshot
        (this worker recovers from it at once if the partition comes back: with eager
        rebalancing, every change of membership revokes the stage, even from the worker
        that gets it again). A publication of a snapshot under way finishes first: no
        trim of the input log after the next owner started. Call with `lock` held."""
        if self.shipper is not None:
            await self.shipper.close()
        await self.out.settle()
        applied = {}
        for tp in partitions:
            stage = self.stages.pop(tp.partition, None)
            if stage is not None and stage.state is not None:
                applied[tp] = stage.offset + 1
                if stage.offset > stage.snapshot_offset:
                    stage.snapshot(self.out.wall())
                    self.out.metrics.snapshots.inc()
                stage.release()
        if applied and self.consumer is not None:
            await commit(self.consumer, applied)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """Forget a stage the loop re-created, after the revoke, from records fetched before
        it, when its partition went to another worker (else /health would say "here")."""
        async with self.lock:
            kept = {tp.partition for tp in assigned}
            for partition in [p for p in self.stages if p not in kept]:
                self.stages.pop(partition).release()

    # --- the loop ------------------------------------------------------------------------
    async def run(
        self, consumer: AIOKafkaConsumer, reader: Callable[[int], Any], batch: int, within_ms: int
    ) -> None:
        self.consumer = consumer
        checkpoint = Checkpoint(consumer, self.out, COMMIT_EVERY_S)
        while True:
            got = await consumer.getmany(timeout_ms=within_ms, max_records=batch)
            # Shielded: a stopping worker lets the batch finish, then hands over (`leave`).
            await asyncio.shield(self._locked_batch(got, reader, checkpoint))

    async def _locked_batch(
        self, got: dict[TopicPartition, list[Any]], reader: Callable[[int], Any],
        checkpoint: Checkpoint,
    ) -> None:  # fmt: skip
        async with self.lock:
            await self._batch(got, reader, checkpoint)

    async def leave(self) -> None:
        """The worker stops (aiokafka calls no revoke on `stop()`): once the batch under
        way is done, hand every partition over, so the next owner goes on from here."""
        if self.consumer is not None:
            async with self.lock:
                await self.hand_over(self.consumer.assignment())

    async def _batch(
        self, got: dict[TopicPartition, list[Any]], reader: Callable[[int], Any],
        checkpoint: Checkpoint,
    ) -> None:  # fmt: skip
        out = self.out
        now = out.wall()
        assigned = self.consumer.assignment() if self.consumer is not None else set()
        live = [(tp, records) for tp, records in got.items() if tp in assigned and records]
        # (a partition revoked while this batch was on its way is left out)
        for tp, records in live:
            out.metrics.events_in.labels(self.label).inc(len(records))
            stage = self.stage(tp.partition)
            if stage.state is None:
                # The records before the first one delivered are below the group's
                # committed offset, which is only committed once every output of the
                # records before it is acknowledged: their outputs are out already.
                p = tp.partition
                start = await self.log_start(p) if self.log_start is not None else 0
                remote = self.remote(p) if self.remote is not None else None
                await stage.recover(records[0].offset, reader(p), start, remote)
                out.metrics.recovered.inc(stage.recovered)
        # Several partitions: in the order they were produced, each partition's records
        # in offset order (a merge: never reordered within a partition, whatever their
        # timestamps; the pool side relies on it, streams.desk_records).
        msgs: Iterable[Any] = (
            heapq.merge(*(records for _, records in live), key=_produced)
            if len(live) > 1
            else [msg for _, records in live for msg in records]
        )
        stages = self.stages
        for msg in msgs:
            outputs = stages[msg.partition].apply(msg.offset, msg.value or b"")
            if outputs:
                await self.publish(outputs, msg)
        for tp, _ in live:
            stages[tp.partition].last_applied_at = now
        fired = await self.timers(now)
        committed = await checkpoint.after(bool(got) or fired)
        if committed or not checkpoint.dirty:  # every output so far is acknowledged
            # Also on idle polls: the last state before input pauses is snapshotted (and
            # shipped) once due, not only when more input arrives.
            gate = self.gate
            for partition, stage in stages.items():
                if gate.open(now) and stage.due_snapshot(now, self.snapshot_every_s):
                    stage.snapshot(now)
                    gate.forked(now)
                    out.metrics.snapshots.inc()
                ship = self.shipper
                path = stage.writer.path
                if ship and ship.due(now) and not stage.writer.busy() and path.exists():
                    ship.ship(partition, path, now)


class PoolStages(Stages):
    """The pool stage of each routing partition this worker holds (one: docs/worker.md)."""

    label = "pool"
    stages: dict[int, PoolStage]

    async def publish(self, outputs: list[Any], msg: Any) -> None:
        await self.out.decisions(outputs, msg.value, msg.timestamp)


class LeadStages(Stages):
    """The lead stage of each input partition this worker holds: its desk's records go to
    the routing partition, in the order their input was produced; what is not an event
    goes to the dead-letter topic. `event_clock`: deferrals fall due by the desk's event
    time (as in `leadflow replay`), not the wall clock."""

    label = "lead"
    stages: dict[int, LeadStage]

    def __init__(self, *args: Any, event_clock: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event_clock = event_clock

    async def publish(self, outputs: list[Any], msg: Any) -> None:
        out, names = self.out, self.out.names
        for item in outputs:
            if isinstance(item, Invalid):
                out.metrics.deadlettered.labels("lead").inc()
                headers = deadletter_headers(
                    item.reason, msg.topic, msg.partition, msg.offset, "lead"
                )
                await out.send(names.deadletter, msg.value or b"", msg.key, headers=headers)
            else:
                await out.send(
                    names.routing, item, POOL_KEY, partition=POOL_PARTITION,
                    timestamp_ms=msg.timestamp,
                )  # fmt: skip

    async def timers(self, now: float) -> bool:
        """Deferrals due: on the wall clock, or (event clock) by the desk's own time."""
        fired = False
        for stage in self.stages.values():
            host = stage.state
            if host is None:
                continue
            due = host.next_deadline()
            at = host.now if self.event_clock else now
            if due is None or due > at:
                continue
            for record in host.advance(at):
                fired = True
                await self.out.send(
                    self.out.names.routing, record, POOL_KEY, partition=POOL_PARTITION
                )
        return fired


"""The two stages' consume loops: one `StageState` per partition a worker holds, fed in
batches (aiokafka `getmany`), recovered when a partition arrives, handed over when it
leaves, snapshotted when due. `LeadStages` (streams.lead_stages) and `PoolStages` differ
in what they do with a record's outputs, whether they have timers of their own, and the
order they apply several partitions in.

Each stage is a consumer group of its own (`<app>-lead`, `<app>-pool`) with manual
commits: a batch's offsets are committed only after every message it produced is
acknowledged (at-least-once). A stage's state does not depend on these commits: it
recovers from its snapshot and its input log (streams.stage_state); the commit only says
up to where its outputs are out (recovery does not publish them again).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import IllegalStateError, KafkaError
from aiokafka.structs import TopicPartition

from streams.pool_stage import PoolStage, Remote
from streams.snapshot_topic import Shipper
from streams.stages import (
    COMMIT_EVERY_S,
    Checkpoint,
    Publisher,
    commit,
)

log = logging.getLogger(__name__)
PUBLISH_RETRIES = 3  # a failed publication: read again from the last commit, this often
RETRY_BACKOFF_S = 1.0


def _produced(msg: Any) -> tuple[int, int, int]:
    return msg.timestamp, msg.partition, msg.offset


async def fetched_lag(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
    """Records of `tp` on the broker that `consumer` has not delivered yet, as its last
    fetch saw them: the high watermark that fetch reported minus the consumer's position
    (aiokafka's public `highwater` and `position`; read_uncommitted, so not the last
    stable offset); None before the first fetch of `tp`, or when it is not assigned."""
    try:
        highwater = consumer.highwater(tp)
        if highwater is None:
            return None
        # A fetch has been made, so the position is valid (no wait): a seek to the log's
        # start after a failed publication is the exception, and waits for its reset.
        return max(0, int(highwater) - int(await consumer.position(tp)))
    except (AssertionError, IllegalStateError):  # (`highwater` asserts the assignment)
        return None


def _highwater(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
    try:
        highwater = consumer.highwater(tp)
    except AssertionError:  # not assigned (any more)
        return None
    return None if highwater is None else int(highwater)


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
        self.applied_at = out.wall()  # when a record was last applied (or partitions came)
        self.recovering = 0  # partitions whose state is being rebuilt now
        self.lags: dict[int, int | None] = {}  # per partition held: `fetched_lag`, each batch
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

    def recovered(self, stage: Any) -> None:
        """A partition's state was just recovered."""

    async def apply(self, live: list[tuple[TopicPartition, list[Any]]], now: float) -> bool:
        """Apply a batch; True when something was applied. Several partitions: in the
        order they were produced, each partition's records in offset order (a merge:
        never reordered within a partition; the pool side relies on it)."""
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
        if live:
            self.applied_at = now
        return bool(live)

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
        safe = self.out.failed is None
        if safe:
            try:
                await self.out.settle()
            except KafkaError:
                safe = False  # nothing is committed or snapshotted past what is not out
        applied = {}
        for tp in partitions:
            stage = self.stages.pop(tp.partition, None)
            if stage is not None and stage.state is not None:
                applied[tp] = stage.offset + 1
                if safe and stage.offset > stage.snapshot_offset:
                    stage.snapshot(self.out.wall())
                    self.out.metrics.snapshots.inc()
                stage.release()
        self.dropped(tp.partition for tp in partitions)
        if safe and applied and self.consumer is not None:
            await commit(self.consumer, applied)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """Forget a stage the loop re-created, after the revoke, from records fetched before
        it, when its partition went to another worker (else /health would say "here")."""
        async with self.lock:
            kept = {tp.partition for tp in assigned}
            gone = [p for p in self.stages if p not in kept]
            for partition in gone:
                self.stages.pop(partition).release()
            self.dropped(gone)
            self.applied_at = self.out.wall()  # holding new partitions: nothing waits yet

    def dropped(self, partitions: Iterable[int]) -> None:
        """What a stage kind holds for partitions that moved, beyond their state."""

    def watch(self, now: float, stall_after_s: float) -> dict[str, Any]:
        """What `/health` says of this stage kind: per partition held, the consumer lag
        (records on the broker not applied yet: the last fetch's high watermark minus the
        next offset to apply; None before the first fetch) and when a record was last
        applied; `stalled` when input waits and nothing was applied for `stall_after_s`."""
        consumer = self.consumer
        partitions: dict[str, Any] = {}
        total: int | None = None
        for tp in sorted(consumer.assignment() if consumer is not None else ()):
            stage = self.stages.get(tp.partition)
            lag = self.lags.get(tp.partition)  # as of the last batch
            hw = _highwater(consumer, tp) if consumer is not None else None
            if hw is not None and stage is not None and stage.state is not None:
                lag = max(0, hw - (stage.offset + 1))  # held by the merge counts too
            if lag is not None:
                total = (total or 0) + lag
            last = stage.last_applied_at if stage is not None and stage.last_applied_at else None
            partitions[str(tp.partition)] = {"lag": lag, "last_applied_at": last}
        idle = now - self.applied_at
        return {
            "partitions": partitions,
            "lag": total,
            "last_applied_at": self.applied_at,
            "idle_s": round(idle, 3),
            "recovering": self.recovering > 0,
            "stalled": bool(partitions)
            and bool(total)
            and not self.recovering
            and idle > stall_after_s,
        }

    def positions(self) -> dict[TopicPartition, int]:
        """The offsets to commit: after the last input applied on each partition held
        (not the consumer's position: the lead stage may hold inputs not applied yet)."""
        consumer = self.consumer
        out: dict[TopicPartition, int] = {}
        for tp in consumer.assignment() if consumer is not None else ():
            stage = self.stages.get(tp.partition)
            if stage is not None and stage.state is not None and stage.offset >= 0:
                out[tp] = stage.offset + 1
        return out

    # --- the loop ------------------------------------------------------------------------
    async def run(
        self, consumer: AIOKafkaConsumer, reader: Callable[[int], Any], batch: int, within_ms: int
    ) -> None:
        self.consumer = consumer
        checkpoint = Checkpoint(consumer, self.out, COMMIT_EVERY_S, self.positions)
        failures, commits = 0, 0
        while True:
            got = await consumer.getmany(timeout_ms=within_ms, max_records=batch)
            # Shielded: a stopping worker lets the batch finish, then hands over (`leave`).
            try:
                await asyncio.shield(self._locked_batch(got, reader, checkpoint))
            except KafkaError as exc:
                self.out.failed = exc  # nothing is committed or snapshotted from here
                failures += 1
                if failures > PUBLISH_RETRIES:
                    log.error(
                        "%s stage: publishing failed %d times (%r); stopping without "
                        "committing: the input is read again from the last commit at the "
                        "next start", self.label, failures, exc,
                    )  # fmt: skip
                    raise
                log.warning(
                    "%s stage: publishing failed (%r); reading again from the last "
                    "commit (retry %d of %d)", self.label, exc, failures, PUBLISH_RETRIES,
                )  # fmt: skip
                async with self.lock:
                    await self.rewind()
                await asyncio.sleep(RETRY_BACKOFF_S * failures)
            else:
                if checkpoint.commits > commits:  # out and committed since the failure
                    failures, commits = 0, checkpoint.commits

    async def rewind(self) -> None:
        """After a failed publication: forget every partition's state and what is not
        acknowledged, and read again from the last commit (the state is recovered from
        its snapshot and input log, as after a restart; outputs again carry their ids)."""
        consumer = self.consumer
        assert consumer is not None
        self.out.discard()
        held = list(consumer.assignment())
        for tp in held:  # every state first: a failure below must not leave one to commit
            stage = self.stages.pop(tp.partition, None)
            if stage is not None:
                stage.release()
        self.dropped(tp.partition for tp in held)
        for tp in held:
            committed = await consumer.committed(tp)
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
            # What waits now (for /health, until the next batch): from the commit on.
            hw = _highwater(consumer, tp)
            self.lags[tp.partition] = None if hw is None else max(0, hw - (committed or 0))
        self.out.failed = None

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
                self.recovering += 1
                try:
                    await stage.recover(records[0].offset, reader(p), start, remote)
                finally:
                    self.recovering -= 1
                    self.applied_at = out.wall()
                out.metrics.recovered.inc(stage.recovered)
                self.recovered(stage)
        if self.consumer is not None:  # after any recovery: what the fetches say now
            self.lags = {tp.partition: await fetched_lag(self.consumer, tp) for tp in assigned}
        applied = await self.apply(live, now)
        stages = self.stages
        fired = await self.timers(now)
        committed = await checkpoint.after(bool(got) or applied or fired)
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

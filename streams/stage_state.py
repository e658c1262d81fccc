"""A stage's state on one partition: what it holds, the input offset it has applied, its
snapshots, and its recovery. Both stages use it (streams.pool_stage, streams.lead_stage).

Recovery (after a crash, a restart or a rebalance): load the newest snapshot (state +
offset S), then re-apply the input records after S up to the first record the consumer
delivers, then go on. Records at or below S are already in the state and are skipped.
`recover` returns the outputs of the re-applied records; the worker does not publish
them again (they are below the committed offset: streams.stages). Records after the
committed offset are applied live and may repeat outputs published before a crash, with
the same ids and bytes (at-least-once; the next stage and consumers de-duplicate by id).
Nothing here reads a clock: `apply` takes the records, `due_snapshot` takes the time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from routing.policy.loader import LoadedPolicy
from streams import heap
from streams.snapshots import SnapshotWriter, decode, fingerprint, read

ReadRange = Callable[[int, int], AsyncIterator[tuple[int, bytes]]]
Remote = Callable[[], Awaitable[bytes | None]]
S = TypeVar("S")


class StageState(Generic[S]):
    """The state of a stage on one partition. Subclasses say how to make a fresh state
    (`fresh`) and how to apply one input record to it (`step`)."""

    kind: type[Any] = object  # what a snapshot of this stage must hold

    def __init__(
        self,
        loaded: LoadedPolicy,
        snapshot_path: Path,
        fork_snapshots: bool = True,
        freeze_heap: bool = False,
    ) -> None:
        self.loaded = loaded
        # Freeze the process's objects once recovered and at each snapshot (streams.heap):
        # the worker does; a stage used as a library leaves the collector be.
        self.freeze_heap = freeze_heap
        self.policy_fp = fingerprint(loaded)
        self.writer = SnapshotWriter(snapshot_path, self.policy_fp, loaded, fork=fork_snapshots)
        self.state: S | None = None
        self.offset = -1  # last input offset applied
        self.snapshot_offset = -1  # offset of the last snapshot started
        self.snapshot_at = 0.0
        self.recovered = 0  # records re-applied during the last recovery
        self.recovered_from = ""  # "file", "kafka" (the snapshot topic) or "log" (no snapshot)
        self.recovered_format = 0  # the state format of the snapshot recovered (0: none)
        self.last_applied_at = 0.0  # wall-clock instant of the last record (for idle ticks)

    def fresh(self) -> S:
        raise NotImplementedError

    def step(self, state: S, offset: int, record: bytes) -> list[Any]:
        raise NotImplementedError

    @property
    def loaded_state(self) -> S:
        assert self.state is not None, "the stage has not recovered yet"
        return self.state

    async def recover(
        self,
        first_offset: int,
        read_range: ReadRange,
        log_start: int = 0,
        remote: Remote | None = None,
    ) -> list[Any]:
        """Load a snapshot and re-apply the records in (snapshot, first_offset).

        The snapshot file if it is usable (taken under this policy, and the input log
        still holds the records after it: the log starts at `log_start`); else the newest
        snapshot `remote()` gives (published on Kafka: streams.snapshot_topic); else none
        (the state is rebuilt from the start of the log)."""
        snap = read(self.writer.path, self.policy_fp, self.loaded, self.kind)
        self.recovered_from = "file"
        if (snap is None or snap.offset + 1 < log_start) and remote is not None:
            data = await remote()
            published = (
                decode(data, self.policy_fp, "the snapshot topic", self.loaded, self.kind)
                if data
                else None
            )
            if published is not None and (snap is None or published.offset > snap.offset):
                snap, self.recovered_from = published, "kafka"
        if snap is None:
            self.state, self.offset = self.fresh(), -1
            self.recovered_from = "log"
        else:
            self.state, self.offset = snap.state, snap.offset
        self.recovered_format = snap.format if snap is not None else 0
        self.snapshot_offset = self.offset
        outputs: list[Any] = []
        self.recovered = 0
        if first_offset > self.offset + 1:
            async for offset, record in read_range(self.offset + 1, first_offset):
                outputs += self.apply(offset, record)
                self.recovered += 1
        if self.freeze_heap:
            heap.freeze()
        return outputs

    def apply(self, offset: int, record: bytes) -> list[Any]:
        """Apply the record at `offset` unless the state already holds it."""
        if offset <= self.offset:
            return []
        self.offset = offset
        return self.step(self.loaded_state, offset, record)

    def due_snapshot(self, now: float, every_s: float) -> bool:
        return (
            self.state is not None
            and self.offset > self.snapshot_offset
            and now - self.snapshot_at >= every_s
            and not self.writer.busy()
        )

    def snapshot(self, now: float) -> None:
        """Snapshot now. Call only once every output up to `self.offset` is delivered."""
        if self.freeze_heap:
            heap.freeze()
        self.writer.write(self.loaded_state, self.offset)
        self.snapshot_offset = self.offset
        self.snapshot_at = now

    def release(self) -> None:
        """The partition moved away: forget the state (the snapshot stays on disk)."""
        self.writer.wait()
        self.state = None
        self.offset = -1
        if self.freeze_heap:
            heap.thaw()

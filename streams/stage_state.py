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
from dataclasses import replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from routing.policy.loader import LoadedPolicy
from streams import heap
from streams.errors import StreamsError
from streams.snapshots import Snapshot, SnapshotWriter, decode, fingerprint, write_file

# (offset, record, Kafka timestamp in ms) of each input record in [start, end)
ReadRange = Callable[[int, int], AsyncIterator[tuple[int, bytes, int | None]]]
Remote = Callable[[], Awaitable[bytes | None]]
S = TypeVar("S")


class VersionError(StreamsError):
    """A later policy version would take effect before what was decided already."""


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
        # A snapshot taken before later versions of the policy were given (a worker
        # restarted with `--policy P2@TIME` added): usable, the new versions added to it.
        self.earlier_fps = [
            fingerprint(replace(loaded, later=loaded.later[:k])) for k in range(len(loaded.later))
        ]
        self.writer = SnapshotWriter(snapshot_path, self.policy_fp, loaded, fork=fork_snapshots)
        # Where this stage notes that it took later versions on, and through which input
        # offset its state had been decided without them (`_adopted`).
        self.adopted_path = snapshot_path.with_name(snapshot_path.name + ".versions")
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

    def step(self, state: S, offset: int, record: bytes, timestamp_ms: int | None) -> list[Any]:
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
        try:
            data = self.writer.path.read_bytes()
        except FileNotFoundError:
            data = b""
        snap, known = self._decode(data, str(self.writer.path))
        added = len(self.loaded.later)  # the first version added to a snapshot's state
        self.recovered_from = "file"
        if (snap is None or snap.offset + 1 < log_start) and remote is not None:
            published, known_there = self._decode(await remote() or b"", "the snapshot topic")
            if published is not None and (snap is None or published.offset > snap.offset):
                snap, known, self.recovered_from = published, known_there, "kafka"
        if snap is None:
            self.state, self.offset = self.fresh(), -1
            self.recovered_from = "log"
        else:
            self.state, self.offset = snap.state, snap.offset
            if known < len(self.loaded.later):
                self._add_versions(snap.state, known)
                added = known
        self.recovered_format = snap.format if snap is not None else 0
        self.snapshot_offset = self.offset
        outputs: list[Any] = []
        self.recovered = 0
        adding = added < len(self.loaded.later)
        # What is re-applied was published already: decided without the versions added,
        # it must all come before them. Unless a run of this stage took them on already
        # (and was stopped before a snapshot under them): then only what came before that
        # run was decided without them.
        adopted = self._adopted() if adding else None
        checked = not adding
        if first_offset > self.offset + 1:
            async for offset, record, timestamp_ms in read_range(self.offset + 1, first_offset):
                if not checked and adopted is not None and offset > adopted:
                    self._check_ahead(self.loaded_state, added)
                    checked = True
                outputs += self.apply(offset, record, timestamp_ms)
                self.recovered += 1
        if not checked:
            self._check_ahead(self.loaded_state, added)
        if adding and adopted is None:
            self._note_adopted(self.offset)
        if self.freeze_heap:
            heap.freeze()
        return outputs

    def _decode(self, data: bytes, where: str) -> tuple[Snapshot | None, int]:
        """A snapshot taken under this policy's versions, or under its first `known` ones
        only: (snapshot, known); (None, 0) when there is none usable."""
        if not data:
            return None, 0
        snap = decode(data, self.policy_fp, where, self.loaded, self.kind)
        if snap is not None:
            return snap, len(self.loaded.later)
        for known in range(len(self.earlier_fps) - 1, -1, -1):
            # Read onto a stage built with the versions it was taken under.
            earlier = replace(self.loaded, later=self.loaded.later[:known])
            snap = decode(data, self.earlier_fps[known], where, earlier, self.kind)
            if snap is not None:
                return snap, known
        return None, 0

    def _adopted(self) -> int | None:
        """The input offset through which this stage's state was decided without the
        versions it is given now, when a run of it took them on before (None: none did)."""
        try:
            fp_hex, offset = self.adopted_path.read_text(encoding="utf-8").split()
        except (FileNotFoundError, ValueError):
            return None
        return int(offset) if fp_hex == self.policy_fp.hex() else None

    def _note_adopted(self, offset: int) -> None:
        """From input offset `offset` on, this stage decides knowing every version it is
        given: noted (durably, before anything is decided) for a restart that finds only
        a snapshot taken before them."""
        write_file(self.adopted_path, f"{self.policy_fp.hex()} {offset}\n".encode())

    def _add_versions(self, state: Any, known: int) -> None:
        """Give a recovered state (an engine or a lead desk's host: both hold their
        `desk` and their event time `now`) the versions given since its snapshot. Each
        must take effect after everything the state has decided (routing.versions)."""
        self._check_ahead(state, known)
        for at, later in self.loaded.later[known:]:
            state.desk.versions.add(at, later.policy)
        state.desk.forget_terms()

    def _check_ahead(self, state: Any, known: int) -> None:
        desk = state.desk
        for at, later in self.loaded.later[known:]:
            if at <= state.now:
                raise VersionError(
                    f"{later.policy_file}: the version in force from "
                    f"{desk.fmt.text(at)} starts before what this worker has decided "
                    f"already (event time {desk.fmt.text(state.now)}); a later version "
                    "takes effect after the state's time: choose a later instant (replay the "
                    "history with both versions to see what the change would have decided)"
                )

    def apply(self, offset: int, record: bytes, timestamp_ms: int | None = None) -> list[Any]:
        """Apply the record at `offset` unless the state already holds it."""
        if offset <= self.offset:
            return []
        self.offset = offset
        return self.step(self.loaded_state, offset, record, timestamp_ms)

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

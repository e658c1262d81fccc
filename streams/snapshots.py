"""Snapshots of a stage's state on one partition: the pool stage's engine, or the lead
stage's desk (streams.lead_stage), plus the input offset it has applied.

A snapshot file holds a header (magic, state format, the fingerprint of the policy and
team, the last input offset applied, the leadflow version that wrote it) and the state
as a tree of plain values in that format (streams.state_format, docs/state-format.md):
not a pickle of code, so a newer leadflow reads it (migrating it when the format moved
on) and an upgrade re-decides nothing. Files are written to a temporary name, fsynced
and renamed, so a reader sees a whole snapshot or the previous one, never half of one,
even when the writer is killed.

Writing runs in a forked child by default: the child gets a copy-on-write image of the
engine at that instant and writes it while the worker goes on (a quarter of state for
5,000 leads takes ~0.2 s; the fork a few ms), at idle CPU priority and without a garbage
collector (streams.heap). See docs/crash-safety.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.policy.loader import LoadedPolicy
from streams import heap, state_format
from streams.errors import StreamsError
from streams.state_format import NewerFormat, leadflow_version

MAGIC = b"LFSTATE\n"
# state format, policy fingerprint (sha256), last input offset, length of the version
_HEADER = struct.Struct(">H32sqH")
OLD_MAGIC = b"LFSNAP1\n"  # before the state format: a cloudpickle of the engine
_OLD_HEADER = struct.Struct(">32sq")
log = logging.getLogger(__name__)


class SnapshotError(StreamsError):
    """A snapshot file exists but cannot be read."""


def fingerprint(loaded: LoadedPolicy) -> bytes:
    """Identifies the policy and team a snapshot was taken under, and each later version
    of the policy with its instant (routing.versions): a state is only good for the terms
    it was decided under. Not the code that took it: the state has a versioned format
    (streams.state_format) that a newer leadflow reads, compiled or pure."""
    later = [f"@{at!r} {v.policy.model_dump_json()} {v.team.model_dump_json()}"
             for at, v in loaded.later]  # fmt: skip
    text = "\n".join((loaded.policy.model_dump_json(), loaded.team.model_dump_json(), *later))
    return hashlib.sha256(text.encode()).digest()


@dataclass(frozen=True)
class Snapshot:
    state: Any  # an Engine (pool stage) or a DeskHost (lead stage)
    offset: int  # the last input offset applied to `state`
    format: int = state_format.FORMAT  # the format it was written in
    writer: str = ""  # the leadflow version that wrote it


def encode(state: Any, offset: int, policy_fp: bytes, loaded: LoadedPolicy) -> bytes:
    """`state` (built from `loaded`) as of input `offset`, in the current format."""
    writer = leadflow_version().encode()
    body = state_format.dump(state, type(state)(loaded))
    head = _HEADER.pack(state_format.FORMAT, policy_fp, offset, len(writer))
    return MAGIC + head + writer + body


def write_file(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data` (temp file, fsync, rename, fsync dir)."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read(path: Path, policy_fp: bytes, loaded: LoadedPolicy, kind: type[Any]) -> Snapshot | None:
    """The snapshot at `path`, or None when there is none or it cannot serve (another
    policy, a format from a newer leadflow): the caller then rebuilds from the input log."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return decode(data, policy_fp, str(path), loaded, kind)


def offset_of_file(path: Path) -> int:
    """The routing offset the snapshot file at `path` covers, from its header alone."""
    with open(path, "rb") as fh:
        return offset_of(fh.read(len(MAGIC) + _HEADER.size), str(path))


def offset_of(data: bytes, where: str) -> int:
    """The routing offset an encoded snapshot covers (without reading its state)."""
    if data.startswith(OLD_MAGIC) and len(data) >= len(OLD_MAGIC) + _OLD_HEADER.size:
        return int(_OLD_HEADER.unpack_from(data, len(OLD_MAGIC))[1])
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _HEADER.size:
        raise SnapshotError(f"{where}: not a leadflow snapshot (bad header)")
    return int(_HEADER.unpack_from(data, len(MAGIC))[2])


def decode(
    data: bytes, policy_fp: bytes, where: str, loaded: LoadedPolicy, kind: type[Any]
) -> Snapshot | None:
    """An encoded snapshot (a file's or a snapshot topic's bytes), its state built on a
    stage made from `loaded`; None when it was taken under another policy or cannot be
    read by this leadflow (said in the log). `where` names its origin in errors; `kind`:
    what it must hold."""
    offset = offset_of(data, where)
    if data.startswith(OLD_MAGIC):
        log.warning("%s: a snapshot from before the state format; rebuilt from the log", where)
        return None
    fmt, fp, _, size = _HEADER.unpack_from(data, len(MAGIC))
    if fp != policy_fp:
        return None
    start = len(MAGIC) + _HEADER.size
    writer = data[start : start + size].decode(errors="replace")
    try:
        state = state_format.load(data[start + size :], fmt, kind(loaded), where, writer)
    except NewerFormat as exc:
        log.warning("%s", exc)
        return None
    except Exception as exc:  # a truncated or foreign file: say which and why
        raise SnapshotError(f"{where}: cannot read the state (format {fmt}): {exc}") from exc
    if not isinstance(state, kind):
        raise SnapshotError(f"{where}: holds a {type(state).__name__}, not a {kind.__name__}")
    return Snapshot(state, offset, fmt, writer)


def _background() -> None:
    """The forked writer takes the CPU only when nothing else wants it. At normal
    priority, its pickling (0.1-0.3 s of CPU at 5,000 leads) took the worker's share of a
    busy machine at each snapshot, and every snapshot was a latency spike (measured:
    docs/benchmarks.md, "Kafka worker"). A writer that waits longer only delays the next
    snapshot: none is started while one is being written."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # Linux
    except (AttributeError, OSError):
        with contextlib.suppress(OSError):
            os.nice(19)


def _hurry(pid: int) -> None:
    """The worker must wait for the writer (a handover, a stop): a normal share of the CPU
    again, where the system allows it."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(pid, os.SCHED_OTHER, os.sched_param(0))


def _max_fd() -> int:
    try:
        return int(os.sysconf("SC_OPEN_MAX"))
    except (AttributeError, ValueError, OSError):
        return 65536


class SnapshotWriter:
    """Writes snapshots, in a forked child when the platform can fork (`fork=True`)."""

    def __init__(
        self, path: Path, policy_fp: bytes, loaded: LoadedPolicy, fork: bool = True
    ) -> None:
        self.path = path
        self.policy_fp = policy_fp
        self.loaded = loaded
        self.fork = fork and hasattr(os, "fork")
        self._child: int | None = None
        self.written = 0  # snapshots started
        path.parent.mkdir(parents=True, exist_ok=True)

    def busy(self) -> bool:
        """A forked writer is still running."""
        if self._child is None:
            return False
        pid, status = os.waitpid(self._child, os.WNOHANG)
        if pid == 0:
            return True
        self._child = None
        if status != 0:
            raise SnapshotError(f"snapshot writer for {self.path} failed (status {status})")
        return False

    def wait(self) -> None:
        if self._child is not None:
            _hurry(self._child)
            _, status = os.waitpid(self._child, 0)
            self._child = None
            if status != 0:
                raise SnapshotError(f"snapshot writer for {self.path} failed (status {status})")

    def write(self, engine: object, offset: int) -> None:
        """Snapshot `engine` (a stage's state) as of `offset`. The caller must have
        delivered every output of the records up to `offset` first."""
        self.written += 1
        if not self.fork:
            write_file(self.path, encode(engine, offset, self.policy_fp, self.loaded))
            return
        self.wait()
        pid = os.fork()
        if pid == 0:  # the child: write and leave without running any parent cleanup
            # Hold none of the worker's sockets: a writer that outlives a killed worker
            # kept its web port bound, and the restarted worker could not start.
            os.closerange(3, _max_fd())
            heap.in_child()
            _background()
            code = 0
            try:
                write_file(self.path, encode(engine, offset, self.policy_fp, self.loaded))
            except BaseException:
                code = 1
            os._exit(code)
        self._child = pid

"""Snapshots of a stage's state on one partition: the pool stage's engine, or the lead
stage's desk (streams.lead_stage), plus the input offset it has applied.

A snapshot file holds a header (format, the policy's fingerprint, the last input
offset applied) and the state pickled with cloudpickle (the engine holds compiled
policy predicates, which the standard pickle cannot write). Files are written to a
temporary name, fsynced and renamed, so a reader sees a whole snapshot or the previous
one, never half of one, even when the writer is killed.

Writing runs in a forked child by default: the child gets a copy-on-write image of the
engine at that instant and pickles it while the worker goes on (pickling a quarter of
state for 5,000 leads takes ~150 ms; the fork a few ms), at idle CPU priority and without
a garbage collector (streams.heap). See docs/crash-safety.md.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import struct
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import cloudpickle

import routing
from routing._native import loaded_compiled
from routing.policy.loader import LoadedPolicy
from streams import heap
from streams.errors import StreamsError

MAGIC = b"LFSNAP1\n"
ROUTING = Path(routing.__file__).parent
_HEADER = struct.Struct(">32sq")  # policy fingerprint (sha256), last routing offset


class SnapshotError(StreamsError):
    """A snapshot file exists but cannot be read."""


def fingerprint(loaded: LoadedPolicy) -> bytes:
    """Identifies the policy and team a snapshot was taken under, and the routing core that
    took it: its kind (a compiled engine's pickle does not load into the pure-Python one,
    LEADFLOW_PURE=1) and its code (a new version may keep its state in another shape, e.g.
    a packed int where a tuple was). After any change the state is rebuilt from the routing
    log, as after a policy change."""
    core = "compiled" if loaded_compiled() else "pure"
    # Each later version of the policy (routing.versions) with its instant, when there are.
    later = [f"@{at!r} {v.policy.model_dump_json()} {v.team.model_dump_json()}"
             for at, v in loaded.later]  # fmt: skip
    text = "\n".join(
        (loaded.policy.model_dump_json(), loaded.team.model_dump_json(), core, core_digest(),
         *later)
    )  # fmt: skip
    return hashlib.sha256(text.encode()).digest()


@functools.cache
def core_digest(root: Path = ROUTING) -> str:
    """sha256 over the routing core's sources (every `.py` under `root`, by relative path),
    or the installed version where the sources are not shipped."""
    digest = hashlib.sha256()
    sources = sorted(root.rglob("*.py"))
    for path in sources:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    if not sources:
        digest.update(version("leadflow").encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Snapshot:
    state: Any  # an Engine (pool stage) or a DeskHost (lead stage)
    offset: int  # the last input offset applied to `state`


def encode(state: object, offset: int, policy_fp: bytes) -> bytes:
    data: bytes = cloudpickle.dumps(state, protocol=5)
    return MAGIC + _HEADER.pack(policy_fp, offset) + data


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


def read(path: Path, policy_fp: bytes, kind: type[Any] = object) -> Snapshot | None:
    """The snapshot at `path`, or None when there is none or it was taken under another
    policy (the caller then rebuilds the state from the routing log)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return decode(data, policy_fp, str(path), kind)


def offset_of_file(path: Path) -> int:
    """The routing offset the snapshot file at `path` covers, from its header alone."""
    with open(path, "rb") as fh:
        return offset_of(fh.read(len(MAGIC) + _HEADER.size), str(path))


def offset_of(data: bytes, where: str) -> int:
    """The routing offset an encoded snapshot covers (without unpickling it)."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _HEADER.size:
        raise SnapshotError(f"{where}: not a leadflow snapshot (bad header)")
    return int(_HEADER.unpack_from(data, len(MAGIC))[1])


def decode(
    data: bytes, policy_fp: bytes, where: str, kind: type[Any] = object
) -> Snapshot | None:
    """An encoded snapshot (a file's or a snapshot topic's bytes); None when it was taken
    under another policy. `where` names its origin in errors; `kind`: what it must hold."""
    offset = offset_of(data, where)
    if data[len(MAGIC) : len(MAGIC) + 32] != policy_fp:
        return None
    try:
        state = pickle.loads(data[len(MAGIC) + _HEADER.size :])
    except Exception as exc:  # a truncated or foreign file: say which and why
        raise SnapshotError(f"{where}: cannot unpickle the state: {exc}") from exc
    if not isinstance(state, kind):
        raise SnapshotError(f"{where}: holds a {type(state).__name__}, not a {kind.__name__}")
    return Snapshot(state, offset)


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

    def __init__(self, path: Path, policy_fp: bytes, fork: bool = True) -> None:
        self.path = path
        self.policy_fp = policy_fp
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
            write_file(self.path, encode(engine, offset, self.policy_fp))
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
                write_file(self.path, encode(engine, offset, self.policy_fp))
            except BaseException:
                code = 1
            os._exit(code)
        self._child = pid

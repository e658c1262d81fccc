"""Files at the command line's edge: inputs read safely, outputs written so that nothing is
lost.

- Every check of a path happens before any work starts (`check_input`, `check_output`):
  an output that is one of the inputs, a folder, or where nothing can be written is
  refused before anything is opened or computed (missing folders are created).
- Outputs are written to a temporary file beside the target and renamed over it at the
  end (`atomic_output`): a failure half-way leaves the old file as it was.
- Event files are read as bytes, line by line (`event_lines`): a gzip file (by its magic
  bytes, whatever its name) is decompressed, a UTF-8 byte order mark is dropped, and a
  line with bytes that are not UTF-8 reaches the parser as it is (it becomes one
  `event.rejected`; the rest of the file is still applied).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import stat
import sys
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from routing.errors import LeadflowError

GZIP_MAGIC = b"\x1f\x8b"
BOM = b"\xef\xbb\xbf"
STDOUT = "-"


class UsageError(LeadflowError):
    """A command line that cannot be carried out as given (exit status 2)."""


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def check_input(path: str, what: str) -> Path:
    """PATH must be a readable file (not a folder); say which and why not."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what} ({_why(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{path}: is a folder; expected the {what} file")
    if not os.access(p, os.R_OK):
        raise UsageError(f"{path}: cannot read the {what} (permission denied)")
    return p


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_output(path: str, option: str, inputs: Sequence[str | Path] = ()) -> Path:
    """PATH may be written: not one of INPUTS, not a folder, and its folder is writable (a
    missing folder will be created: its nearest existing parent must be writable).
    Nothing is opened or created."""
    if not path:
        raise UsageError(f"{option}: expected a file name, got an empty string")
    out = Path(path)
    for given in inputs:
        if _same(out, Path(given)):
            raise UsageError(
                f"{option} {path}: is an input of this command ({given}); "
                "writing it would destroy it. Name another file"
            )
    if out.is_dir():
        raise UsageError(f"{option} {path}: is a folder; expected a file name")
    if out.exists() and not out.is_file():  # /dev/null, a named pipe: written as it is
        if not os.access(out, os.W_OK):
            raise UsageError(f"{option} {path}: cannot write it")
        return out
    folder = out.parent if str(out.parent) else Path(".")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{option} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot write in the folder {existing}")
    if out.exists() and not os.access(out, os.W_OK):
        raise UsageError(f"{option} {path}: the file exists and is not writable")
    return out


def check_stdout_is_not(inputs: Sequence[str | Path]) -> None:
    """Refuse when standard output is redirected into one of the inputs (`>> events.jsonl`
    would read and grow the same file)."""
    try:
        out = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return
    if not stat.S_ISREG(out.st_mode):
        return
    for given in inputs:
        try:
            st = os.stat(given)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino):
            raise UsageError(
                f"standard output is redirected into the input {given}; name another file"
            )


@contextlib.contextmanager
def atomic_output(path: Path | str, binary: bool = False) -> Iterator[IO[str]]:
    """A file object for PATH's new content; on success it replaces PATH at once (rename),
    on any failure PATH is left as it was and the temporary file removed. A PATH that is
    not a regular file (/dev/null, a named pipe) is written directly."""
    target = Path(path)
    try:
        special = not stat.S_ISREG(target.stat().st_mode)
    except OSError:
        special = False
    if special:  # /dev/null, a named pipe: written as it is, never replaced
        with open(target, "w", encoding="utf-8", newline="") as fh:
            yield fh
        return
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({_why(exc)})") from None
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: Path | str, text: str) -> None:
    """Write TEXT to PATH through `atomic_output`; an OSError names the file."""
    try:
        with atomic_output(path) as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({_why(exc)})") from None


def event_lines(path: str | Path) -> Iterator[bytes]:
    """The lines of an events file as bytes (a gzip file decompressed, a BOM dropped).
    A broken gzip stream raises UsageError naming the file and the line it reached."""
    p = Path(path)
    number = 0
    try:
        raw = open(p, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read events ({_why(exc)})") from None
    with raw:
        try:
            fh: IO[bytes] = raw
            if raw.peek(2)[:2] == GZIP_MAGIC:
                fh = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
            for number, line in enumerate(fh, start=1):
                if number == 1 and line.startswith(BOM):
                    line = line[len(BOM) :]
                yield line
        except (OSError, EOFError, zlib.error) as exc:
            where = f"past line {number}" if number else "it as gzip"
            raise UsageError(
                f"{path}: cannot read {where} ({exc}); is the compressed file damaged or cut "
                "short?"
            ) from None

"""Class-data sharing for the broker's JVM: the first broker that stops cleanly leaves an
archive of the classes it loaded next to the jars (`kafka.jsa`); later JVMs map it instead
of loading and verifying those classes again, which about halves a broker's start-up on a
busy 2-core machine. A stale or unreadable archive is ignored by the JVM (-Xshare:auto)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ARCHIVE = "kafka.jsa"


def cds_flags(jars: Path, home: Path, *, dump: bool) -> list[str]:
    """Use the shared archive when there is one; otherwise, if `dump`, write one at exit."""
    archive = jars / ARCHIVE
    if archive.is_file():
        return ["-Xshare:auto", f"-XX:SharedArchiveFile={archive}"]
    return [f"-XX:ArchiveClassesAtExit={home / ARCHIVE}"] if dump else []


def keep_archive(home: Path, jars: Path, *, clean_exit: bool) -> None:
    """After a broker has exited: share its archive (from a clean exit only), once."""
    made = home / ARCHIVE
    if not made.is_file():
        return
    target = jars / ARCHIVE
    if clean_exit and jars.is_dir() and not target.exists():
        partial = jars / f".{ARCHIVE}.{os.getpid()}"
        try:
            shutil.copyfile(made, partial)
            os.replace(partial, target)  # atomic: another process sees all of it or nothing
        except OSError:
            partial.unlink(missing_ok=True)  # only a start-up speed-up: never fail a stop
    made.unlink()

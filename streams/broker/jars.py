"""Fetch the Apache Kafka broker's jars from Maven Central, once, into a cache directory.

Maven resolves `org.apache.kafka:kafka_2.13` (the broker, main class `kafka.Kafka`)
and its runtime dependencies from a small generated POM and copies them into
`<cache>/`; the reload4j binding the release tarball adds is fetched alongside.
A `READY` stamp naming the coordinates makes the second run offline and instant;
a file lock keeps two processes (two pytest sessions, a worker) from fetching into
the same cache at once.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from streams.errors import BrokerError

KAFKA_VERSION = "3.9.2"
SCALA_VERSION = "2.13"
# The versions Kafka 3.9's own build uses for its log binding (gradle/dependencies.gradle).
ARTIFACTS = (
    ("org.apache.kafka", f"kafka_{SCALA_VERSION}", KAFKA_VERSION),
    ("org.slf4j", "slf4j-reload4j", "1.7.36"),
    ("ch.qos.reload4j", "reload4j", "1.2.25"),
)
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
STAMP = "READY"


def stamp_text() -> str:
    return "".join(f"{g}:{a}:{v}\n" for g, a, v in ARTIFACTS)


def pom_text() -> str:
    deps = "".join(
        "    <dependency>\n"
        f"      <groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>\n"
        "    </dependency>\n"
        for g, a, v in ARTIFACTS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        "  <groupId>leadflow.local</groupId>\n"
        "  <artifactId>kafka-broker-jars</artifactId>\n"
        "  <version>1</version>\n"
        "  <packaging>pom</packaging>\n"
        f"  <dependencies>\n{deps}  </dependencies>\n"
        "</project>\n"
    )


def jars_ready(cache: Path) -> bool:
    stamp = cache / STAMP
    return stamp.is_file() and stamp.read_text() == stamp_text()


def fetch_jars(cache: Path, *, log: TextIO | None = sys.stderr) -> float:
    """Make sure `cache` holds the broker's jars; return the seconds spent (≈0 when cached)."""
    started = time.monotonic()
    if jars_ready(cache):
        return time.monotonic() - started
    cache.parent.mkdir(parents=True, exist_ok=True)
    with _locked(cache.parent / f".{cache.name}.lock"):
        if jars_ready(cache):  # another process fetched them while we waited
            return time.monotonic() - started
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError(
                "Maven (`mvn`) is not on PATH: it fetches the Kafka broker's jars from Maven "
                "Central once (e.g. `apt-get install maven`)"
            )
        if log is not None:
            print(
                f"kafka: fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central "
                f"into {cache} (once)",
                file=log,
                flush=True,
            )
        with tempfile.TemporaryDirectory(prefix=".fetch-", dir=cache.parent) as tmp:
            work = Path(tmp).resolve()
            (work / "pom.xml").write_text(pom_text())
            out = work / "jars"
            cmd = [
                mvn, "-B", "-q", "-f", str(work / "pom.xml"),
                f"{DEPENDENCY_PLUGIN}:copy-dependencies",
                "-DincludeScope=runtime", f"-DoutputDirectory={out}",
            ]  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0 or not any(out.glob("kafka_*.jar")):
                tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
                raise BrokerError(
                    f"Maven could not fetch the Kafka jars (exit {done.returncode}): "
                    f"{' '.join(cmd)}\n{tail}"
                )
            (out / STAMP).write_text(stamp_text())
            if cache.exists():
                shutil.rmtree(cache)
            out.rename(cache)
    spent = time.monotonic() - started
    if log is not None:
        count = sum(1 for _ in cache.glob("*.jar"))
        print(f"kafka: {count} jars fetched in {spent:.1f}s", file=log, flush=True)
    return spent


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

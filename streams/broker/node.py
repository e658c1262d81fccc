"""A single-node KRaft Apache Kafka broker on 127.0.0.1, run from the cached jars.

`LocalBroker(home, port=..., controller_port=...)` keeps everything under `home`:
`server.properties`, `log4j.properties`, the data (`data/`), the log
(`broker.log`) and the pid file (`broker.pid`). `start()` formats the storage
once, spawns `java ... kafka.Kafka server.properties` in its own session and polls
the cluster metadata until the broker answers; `stop()` sends SIGTERM and, past a
deadline, SIGKILL; `status()` says whether it runs and where.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from streams.admin import wait_for_broker
from streams.broker.cds import cds_flags, keep_archive
from streams.broker.jars import fetch_jars
from streams.errors import BrokerError

HOST = "127.0.0.1"
HEAP = "512m"
PR_SET_PDEATHSIG = 1
T = TypeVar("T")


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    bootstrap: str
    home: Path
    log: Path

    def describe(self) -> str:
        if self.running:
            return f"kafka: running (pid {self.pid}) at {self.bootstrap}; data in {self.home}"
        return f"kafka: not running (would listen on {self.bootstrap}; data in {self.home})"


class LocalBroker:
    """One broker+controller node; `jars` defaults to `<home>/jars`."""

    def __init__(
        self,
        home: Path,
        *,
        port: int = 9092,
        controller_port: int | None = None,
        jars: Path | None = None,
        heap: str = HEAP,
    ) -> None:
        self.home = home.resolve()
        self.port = port
        self.controller_port = controller_port if controller_port is not None else port + 1
        self.jars = (jars if jars is not None else self.home / "jars").resolve()
        self.heap = heap
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def at(cls, home: Path, *, port: int | None = None, jars: Path | None = None) -> LocalBroker:
        """The broker kept in `home`, on the ports its server.properties names (or `port`)."""
        config = home / "server.properties"
        if port is None and config.is_file():
            found = _listener_ports(config.read_text())
            if found:
                return cls(home, port=found[0], controller_port=found[1], jars=jars)
        return cls(home, port=port if port is not None else 9092, jars=jars)

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.home / "broker.log"

    @property
    def pid_path(self) -> Path:
        return self.home / "broker.pid"

    @property
    def config_path(self) -> Path:
        return self.home / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    def server_properties(self) -> str:
        ctl = self.controller_port
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{HOST}:{ctl}",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{ctl}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # The 128 MB default has run a 512 MB heap out of memory at start-up.
            "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        }
        return "".join(f"{key}={value}\n" for key, value in lines.items())

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise BrokerError(
                "Java is not on PATH: the Kafka broker needs a Java 17+ runtime "
                "(e.g. `apt-get install openjdk-17-jre-headless`)"
            )
        return java

    def _jvm(self, main: str, *args: str) -> list[str]:
        return [
            self._java(),
            f"-Xmx{self.heap}",
            *cds_flags(self.jars, self.home, dump=main == "kafka.Kafka"),
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{self.home / 'log4j.properties'}",
            "-cp",
            f"{self.jars}/*",
            main,
            *args,
        ]

    def configure(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.server_properties())
        (self.home / "log4j.properties").write_text(LOG4J)

    def format(self) -> None:
        """Format the storage once (a formatted data dir keeps its cluster id)."""
        if (self.data_dir / "meta.properties").is_file():
            return
        made = subprocess.run(
            self._jvm("kafka.tools.StorageTool", "random-uuid"),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        cluster_id = made.stdout.strip().splitlines()[-1] if made.stdout.strip() else ""
        if made.returncode != 0 or not cluster_id:
            raise BrokerError(f"kafka StorageTool random-uuid failed: {made.stderr.strip()}")
        done = subprocess.run(
            self._jvm("kafka.tools.StorageTool", "format", "-t", cluster_id,
                      "-c", str(self.config_path)),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise BrokerError(
                f"kafka StorageTool format failed (exit {done.returncode}):\n"
                f"{(done.stdout + done.stderr).strip()}"
            )

    def status(self) -> BrokerStatus:
        pid = self._running_pid()
        return BrokerStatus(pid is not None, pid, self.bootstrap, self.home, self.log_path)

    def start(self, *, deadline_s: float = 120.0, tie_to_parent: bool = False) -> float:
        """Start the broker and wait until it answers; return the seconds that took.

        Raises BrokerError (with the log's tail) when it cannot start. With
        `tie_to_parent`, the broker gets SIGTERM when the calling process dies.
        """
        if self._running_pid() is not None:
            raise BrokerError(f"kafka is already running at {self.bootstrap} ({self.home})")
        started = time.monotonic()
        fetch_jars(self.jars)
        for port in (self.port, self.controller_port):
            if port_in_use(port):
                raise BrokerError(
                    f"port {port} on {HOST} is in use by another process; "
                    "choose other ports (--port)"
                )
        self.configure()
        self.format()
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(
                self._jvm("kafka.Kafka", str(self.config_path)),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                start_new_session=True,
                preexec_fn=_die_with_parent if tie_to_parent else None,
            )
        self._process = process
        self.pid_path.write_text(f"{process.pid}\n")

        def alive() -> str | None:
            code = process.poll()
            if code is None:
                return None
            self.pid_path.unlink(missing_ok=True)
            return f"the Kafka broker exited with code {code} at start-up\n{self.log_tail()}"

        try:
            run_in_thread(
                wait_for_broker({"bootstrap_servers": self.bootstrap}, deadline_s, alive=alive)
            )
        except BrokerError as exc:
            if process.poll() is None:
                self.stop()
                raise BrokerError(f"{exc}\n{self.log_tail()}") from None
            raise
        return time.monotonic() - started

    def stop(self, *, deadline_s: float = 30.0) -> bool:
        """SIGTERM, then SIGKILL past the deadline; False when nothing was running."""
        pid = self._running_pid()
        if pid is None:
            self.pid_path.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        clean = _wait_gone(pid, deadline_s)
        if not clean:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 10.0)
        keep_archive(self.home, self.jars, clean_exit=clean)
        if self._process is not None and self._process.pid == pid:
            self._process.wait(timeout=1.0)
            self._process = None
        self.pid_path.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return f"(no log at {self.log_path})"
        tail = "\n".join(text.rstrip().splitlines()[-lines:])
        return f"--- last lines of {self.log_path} ---\n{tail}"

    def _running_pid(self) -> int | None:
        """The pid in the pid file, if that process is alive and is this broker."""
        try:
            pid = int(self.pid_path.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None
        if b"kafka.Kafka" not in cmdline or str(self.config_path).encode() not in cmdline:
            return None  # the pid was reused by another program
        return pid if _alive(pid) else None


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on its own loop in a fresh thread.

    Safe whether or not the caller has an event loop (running or merely set):
    the caller's loop state is never touched.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _listener_ports(properties: str) -> tuple[int, int] | None:
    for line in properties.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "listeners":
            ports = dict(
                (name, int(rest.rsplit(":", 1)[1]))
                for name, _, rest in (item.partition("://") for item in value.split(","))
            )
            if "PLAINTEXT" in ports and "CONTROLLER" in ports:
                return ports["PLAINTEXT"], ports["CONTROLLER"]
    return None


def port_in_use(port: int, host: str = HOST) -> bool:
    """Something listens on `port` (connections of a stopped broker left in TIME_WAIT do
    not count: Kafka binds with SO_REUSEADDR, so they do not stop a restart)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_ports(count: int, host: str = HOST) -> list[int]:
    """`count` distinct ports nobody listens on right now (the OS picks them)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            socks.append(sock)
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"  # a zombie has exited


def _wait_gone(pid: int, deadline_s: float) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not _alive(pid):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    return not _alive(pid)


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


LOG4J = """\
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.controller=INFO
"""

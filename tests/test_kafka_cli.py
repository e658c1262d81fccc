"""`leadflow kafka start|status|stop` end to end, and the clear errors when it cannot start."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from streams.broker.jars import fetch_jars
from streams.broker.node import LocalBroker, free_ports, port_in_use
from streams.errors import BrokerError
from tests.kafka_harness import JARS, create_topic, unique_name

pytestmark = pytest.mark.kafka


def leadflow(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args],
        capture_output=True, text=True, timeout=180, env=env, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def jars() -> Path:
    fetch_jars(JARS)
    return JARS


def adjacent_free_port() -> int:
    """A client port whose next one, the controller's (`--port` takes only the first), is
    free too: two ports the OS picks are seldom adjacent, and the next may be taken."""
    for _ in range(100):
        (port,) = free_ports(1)
        if not port_in_use(port + 1):
            return port
    raise AssertionError("no free port with a free next port")


def test_start_status_stop(tmp_path: Path, jars: Path) -> None:
    port = adjacent_free_port()
    home = tmp_path / "kafka"
    where = ["--dir", str(home), "--jars", str(jars)]

    before = leadflow("kafka", "status", *where, "--port", str(port))
    assert before.returncode == 3
    assert "not running" in before.stdout

    try:
        started = leadflow("kafka", "start", *where, "--port", str(port))
        assert started.returncode == 0, started.stderr
        assert f"127.0.0.1:{port}" in started.stdout
        pid = int(re.search(r"pid (\d+)", started.stdout).group(1))  # type: ignore[union-attr]
        assert Path(f"/proc/{pid}").exists()
        assert (home / "broker.log").is_file()

        again = leadflow("kafka", "start", *where)  # the port comes from DIR now
        assert again.returncode == 0
        assert f"already running (pid {pid})" in again.stdout

        status = leadflow("kafka", "status", *where)
        assert status.returncode == 0
        assert f"running (pid {pid}) at 127.0.0.1:{port}" in status.stdout
        assert port_in_use(port)
    finally:
        stopped = leadflow("kafka", "stop", *where)
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert not port_in_use(port)
    after = leadflow("kafka", "status", *where)
    assert after.returncode == 3
    assert "not running" in after.stdout


async def test_data_survives_a_restart(tmp_path: Path, jars: Path) -> None:
    port = adjacent_free_port()
    where = ["--dir", str(tmp_path / "kafka"), "--jars", str(jars), "--port", str(port)]
    topic = unique_name("kept")
    try:
        assert leadflow("kafka", "start", *where).returncode == 0
        await create_topic(f"127.0.0.1:{port}", topic, partitions=2)
        assert leadflow("kafka", "stop", *where).returncode == 0
        restarted = leadflow("kafka", "start", *where)
        assert restarted.returncode == 0, restarted.stderr
        admin = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}")
        await admin.start()
        try:
            (described,) = await admin.describe_topics([topic])
        finally:
            await admin.close()
        assert described["error_code"] == 0
        assert len(described["partitions"]) == 2
    finally:
        leadflow("kafka", "stop", *where)


def test_port_in_use_is_named(tmp_path: Path, jars: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = leadflow(
            "kafka", "start", "--dir", str(tmp_path), "--jars", str(jars), "--port", str(port)
        )
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr
    assert not (tmp_path / "broker.pid").exists()


def test_missing_java_is_named(tmp_path: Path, jars: Path) -> None:
    port = adjacent_free_port()
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    done = leadflow(
        "kafka", "start", "--dir", str(tmp_path), "--jars", str(jars), "--port", str(port),
        env=env,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Java is not on PATH" in done.stderr


def test_missing_maven_is_named(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    done = subprocess.run(
        [sys.executable, "-m", "streams.broker", "fetch", "--jars", str(tmp_path / "jars")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Maven (`mvn`) is not on PATH" in done.stderr
    assert not (tmp_path / "jars").exists()


def test_a_broker_that_dies_at_start_up_shows_its_log(tmp_path: Path, jars: Path) -> None:
    port, controller_port = free_ports(2)
    broker = LocalBroker(tmp_path, port=port, controller_port=controller_port, jars=jars)
    broker.configure()
    broker.format()
    broker.heap = "lots"  # the JVM refuses to start: -Xmxlots
    with pytest.raises(BrokerError) as caught:
        broker.start(deadline_s=60)
    message = str(caught.value)
    assert "exited with code" in message
    assert f"last lines of {broker.log_path}" in message
    assert "Invalid maximum heap size: -Xmxlots" in message
    assert not broker.status().running

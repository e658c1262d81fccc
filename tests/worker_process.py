"""Run `leadflow worker` as a subprocess against the test broker, with a topic set, consumer
group, state directory and web port of its own; produce input and read its outputs.

`WorkerRig` is the world of one test: names, environment, helpers. The `worker_rig`
fixture stops (SIGTERM, then SIGKILL) every worker it started, even when the test fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord, RecordMetadata

from streams.broker.node import free_ports
from tests.kafka_harness import create_topic, poll_until, unique_name

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "examples" / "policy.yaml"
#: The read token of the rigs' workers (LEADFLOW_READ_TOKENS): `get` sends it.
TOKEN = "test-read-token-0123456789"
SAMPLE = REPO / "examples" / "events.sample.jsonl"


@dataclass
class WorkerRig:
    bootstrap: str
    state_dir: Path
    partitions: int = 1
    app_id: str = field(default_factory=lambda: unique_name("lf"))
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.web_port,) = free_ports(1)
        self.slots: dict[int, tuple[int, Path]] = {0: (self.web_port, self.state_dir)}

    def slot(self, n: int) -> tuple[int, Path]:
        """Worker slot `n`: a web port and a state directory of its own (slot 0 is the
        rig's own); several slots run several workers of the same app at once."""
        if n not in self.slots:
            (port,) = free_ports(1)
            self.slots[n] = (port, self.state_dir / f"worker{n}")
        return self.slots[n]

    # names ---------------------------------------------------------------------------
    @property
    def events(self) -> str:
        return f"{self.app_id}.events"

    @property
    def assignments(self) -> str:
        return f"{self.app_id}.assignments"

    @property
    def alerts(self) -> str:
        return f"{self.app_id}.alerts"

    @property
    def deadletter(self) -> str:
        return f"{self.app_id}.deadletter"

    @property
    def routing(self) -> str:
        return f"{self.app_id}-routing"

    def env(self, slot: int = 0) -> dict[str, str]:
        web_port, state_dir = self.slot(slot)
        env = dict(os.environ)
        env.update(
            LEADFLOW_BROKER=f"kafka://{self.bootstrap}",
            LEADFLOW_APP_ID=self.app_id,
            LEADFLOW_TOPIC_EVENTS=self.events,
            LEADFLOW_TOPIC_ASSIGNMENTS=self.assignments,
            LEADFLOW_TOPIC_ALERTS=self.alerts,
            LEADFLOW_TOPIC_DEADLETTER=self.deadletter,
            LEADFLOW_PARTITIONS=str(self.partitions),
            LEADFLOW_STATE_DIR=str(state_dir),
            LEADFLOW_WEB_PORT=str(web_port),
            LEADFLOW_READ_TOKENS=TOKEN,
        )
        return env

    # the worker ------------------------------------------------------------------------
    def start(
        self, *args: str, policy: Path = POLICY, slot: int = 0, **env_extra: str
    ) -> subprocess.Popen[bytes]:
        log = self.state_dir / f"worker-{len(self.procs)}.log"
        self.logs.append(log)
        cmd = [sys.executable, "-m", "leadflow", "worker", "--policy", str(policy), *args]
        env = {**self.env(slot), **env_extra}
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)

    def log_tail(self, lines: int = 40) -> str:
        if not self.logs:
            return ""
        text = self.logs[-1].read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def get(self, path: str, slot: int = 0, token: str | None = TOKEN) -> tuple[int, str, bytes]:
        """GET a web view with the read token (None: without one): (status, content type,
        body); status 0 while nothing listens."""
        url = f"http://127.0.0.1:{self.slot(slot)[0]}{path}"
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=2) as resp:
                return resp.status, resp.headers.get("Content-Type", ""), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", ""), exc.read()
        except OSError:
            return 0, "", b""

    def health(self, slot: int = 0) -> dict[str, Any]:
        status, _, body = self.get("/health", slot)
        return json.loads(body) if status == 200 else {}

    def check_alive(self) -> None:
        """Fail the test when a worker exited by itself (not killed, not stopped by us)."""
        for proc in self.procs:
            if proc.poll() is not None and proc.returncode not in (0, -9, -15):
                pytest.fail(f"worker exited with {proc.returncode}:\n{self.log_tail()}")

    async def ready(self, deadline_s: float = 90.0, slot: int = 0) -> dict[str, Any]:
        """Wait until the worker holds the pool stage (it has recovered its state)."""

        def holding() -> dict[str, Any]:
            self.check_alive()
            health = self.health(slot)
            return health if health.get("pool_stage") == "here" else {}

        return await poll_until(holding, deadline_s, interval_s=0.2, what="worker ready")

    # the broker ------------------------------------------------------------------------
    async def create_input(self) -> None:
        await create_topic(self.bootstrap, self.events, self.partitions)

    async def produce(
        self, values: Iterable[bytes], key: bytes | None = b"k"
    ) -> list[RecordMetadata]:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=5)
        await producer.start()
        try:
            futures = [await producer.send(self.events, value, key=key) for value in values]
            return [await fut for fut in futures]
        finally:
            await producer.stop()

    async def produce_keyed(
        self, values: list[bytes], key: Callable[[bytes], bytes], rate: float
    ) -> list[str]:
        """Produce `values` keyed by `key(value)`, about `rate` per second; returns where
        each went (`topic:partition:offset`)."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=5)
        await producer.start()
        try:
            step = max(1, int(rate / 20))
            started = time.monotonic()
            futures = []
            for i in range(0, len(values), step):
                for value in values[i : i + step]:
                    futures.append(await producer.send(self.events, value, key=key(value)))
                ahead = started + (i + step) / rate - time.monotonic()
                if ahead > 0:
                    await asyncio.sleep(ahead)  # pacing the producer, not waiting for a result
            await producer.flush()
            metas = [await fut for fut in futures]
            return [f"{m.topic}:{m.partition}:{m.offset}" for m in metas]
        finally:
            await producer.stop()

    async def read(
        self, topics: Iterable[str], until: Any, deadline_s: float = 60.0
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """Every record on `topics` (from the start) once `until(records)` holds."""
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        got: list[ConsumerRecord[bytes, bytes]] = []
        try:

            async def enough() -> bool:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    got.extend(records)
                return bool(until(got))

            await poll_until(enough, deadline_s, interval_s=0.0, what=f"records on {topics}")
            return got
        finally:
            await consumer.stop()


@pytest.fixture(name="worker_rig")
def worker_rig_fixture(kafka_bootstrap: str, tmp_path: Path) -> Iterator[WorkerRig]:
    """A rig whose workers are stopped at the end of the test, pass or fail (import the
    fixture into the test module: `from tests.worker_process import worker_rig_fixture`)."""
    rig = WorkerRig(kafka_bootstrap, tmp_path)
    try:
        yield rig
    finally:
        rig.stop_all()


async def start_and_send_sample(rig: WorkerRig) -> tuple[list[bytes], list[RecordMetadata]]:
    """An event-clock worker on a new input topic, ready, then the reference sample sent."""
    await rig.create_input()
    rig.start("--clock", "event")
    await rig.ready()
    lines = sample_lines()
    return lines, await rig.produce(lines)


def sample_lines() -> list[bytes]:
    return [line.strip() for line in SAMPLE.read_bytes().splitlines() if line.strip()]


def decisions(records: Iterable[ConsumerRecord[bytes, bytes]]) -> list[dict[str, Any]]:
    return [json.loads(r.value or b"") for r in records]


async def settle(seconds: float) -> None:
    """Let a worker go on for a while (to show that nothing *more* happens)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(0.1)

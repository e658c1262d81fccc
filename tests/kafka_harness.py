"""pytest plugin: one real Kafka broker per test session, started only when a test needs it.

Tests ask for `kafka_bootstrap` ("host:port"). The first such test fetches the jars
(once per clone, cached in `.kafka/jars`), starts a single-node KRaft broker on free
ports in a temporary directory, and the session stops it at the end.
`LEADFLOW_TEST_BROKER=host:port` uses an existing broker instead. Tests that use the
broker are marked `kafka` (deselect them with `-m "not kafka"`).

Helpers for integration tests: `unique_name(prefix)` for a topic or group of one's
own, `await poll_until(predicate, deadline_s)` instead of sleeping, and
`await create_topic(bootstrap, name, partitions)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from streams.admin import ensure_topics, wait_for_broker
from streams.broker.jars import fetch_jars
from streams.broker.node import LocalBroker, free_ports, run_in_thread
from streams.errors import BrokerError

REPO = Path(__file__).resolve().parents[1]
JARS = REPO / ".kafka" / "jars"
ENV_BROKER = "LEADFLOW_TEST_BROKER"
T = TypeVar("T")

TIMINGS = pytest.StashKey[list[str]]()


def unique_name(prefix: str) -> str:
    """A topic or group name no other test (or earlier run) uses: `prefix-<12 hex>`."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def poll_until(
    predicate: Callable[[], T | Awaitable[T]],
    deadline_s: float,
    *,
    interval_s: float = 0.05,
    what: str = "the condition",
) -> T:
    """Call `predicate` (sync or async) until it returns something truthy; return that.

    Fails the test when `deadline_s` seconds pass first, saying what was awaited
    and the last value seen.
    """
    end = time.monotonic() + deadline_s
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() >= end:
            pytest.fail(f"{what} did not hold within {deadline_s}s (last value: {value!r})")
        await asyncio.sleep(interval_s)


async def create_topic(bootstrap: str, name: str, partitions: int = 1, **config: str) -> None:
    """Create `name` with `partitions` partitions (replication 1) on the broker."""
    await ensure_topics({"bootstrap_servers": bootstrap}, {name: partitions}, config=config)


def _say(config: pytest.Config, line: str) -> None:
    config.stash.setdefault(TIMINGS, []).append(line)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line(line)


@pytest.fixture(scope="session")
def kafka_bootstrap(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`host:port` of a running broker: LEADFLOW_TEST_BROKER, or one started for the session."""
    given = os.environ.get(ENV_BROKER)
    if given:
        seconds = run_in_thread(wait_for_broker({"bootstrap_servers": given}, 60.0))
        _say(request.config, f"kafka: using {ENV_BROKER}={given} (answered in {seconds:.1f}s)")
        yield given
        return
    fetched = fetch_jars(JARS)
    _say(request.config, f"kafka: jars ready in {fetched:.1f}s ({JARS}); starting a broker")
    home = tmp_path_factory.mktemp("kafka")
    broker = None
    for attempt in range(3):
        port, controller_port = free_ports(2)
        broker = LocalBroker(home / str(attempt), port=port, controller_port=controller_port,
                             jars=JARS)  # fmt: skip
        try:
            seconds = broker.start(tie_to_parent=True)
            break
        except BrokerError as exc:
            # Another process may have taken a port between choosing and binding it.
            if "in use" not in str(exc) and "Address already in use" not in str(exc):
                raise
            if attempt == 2:
                raise
    assert broker is not None
    _say(request.config, f"kafka: broker started in {seconds:.1f}s at {broker.bootstrap}")
    try:
        yield broker.bootstrap
    finally:
        started = time.monotonic()
        broker.stop()
        line = f"kafka: broker stopped in {time.monotonic() - started:.1f}s"
        request.config.stash.setdefault(TIMINGS, []).append(line)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kafka: uses the real Kafka broker (one per session, started on demand)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "kafka_bootstrap" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kafka)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = config.stash.get(TIMINGS, [])
    if lines:
        terminalreporter.section("kafka broker")
        for line in lines:
            terminalreporter.write_line(line)

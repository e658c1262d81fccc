"""Small broker chores over aiokafka: wait until a broker answers, create topics, read a
range of a partition."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError
from aiokafka.structs import ConsumerRecord

from streams.errors import BrokerError

TOPIC_ALREADY_EXISTS = 36


async def wait_for_broker(
    client_kwargs: Mapping[str, Any],
    deadline_s: float,
    *,
    alive: Callable[[], str | None] = lambda: None,
    interval_s: float = 0.25,
) -> float:
    """Poll the cluster metadata until a broker answers; return the seconds it took.

    `alive()` is asked between attempts and returns a reason to give up (e.g. "the
    broker process exited"); past `deadline_s` seconds a BrokerError says so.
    """
    started = time.monotonic()
    with _quiet("aiokafka"):  # "Unable connect" is expected until the broker listens
        return await _poll(client_kwargs, deadline_s, alive, interval_s, started)


async def _poll(
    client_kwargs: Mapping[str, Any],
    deadline_s: float,
    alive: Callable[[], str | None],
    interval_s: float,
    started: float,
) -> float:
    last = "no answer yet"
    while True:
        reason = alive()
        if reason is not None:
            raise BrokerError(reason)
        try:
            if await _answers(client_kwargs):
                return time.monotonic() - started
            last = "metadata lists no broker yet"
        except (TimeoutError, KafkaError, OSError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() - started > deadline_s:
            servers = client_kwargs.get("bootstrap_servers")
            raise BrokerError(
                f"the broker at {servers} did not answer within {deadline_s:.0f}s ({last})"
            )
        await asyncio.sleep(interval_s)


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def _answers(client_kwargs: Mapping[str, Any]) -> bool:
    admin = AIOKafkaAdminClient(request_timeout_ms=5000, **client_kwargs)
    try:
        await asyncio.wait_for(admin.start(), 10)
        cluster = await asyncio.wait_for(admin.describe_cluster(), 10)
        return bool(cluster.get("brokers"))
    finally:
        await admin.close()


def unreachable(client_kwargs: Mapping[str, Any], exc: Exception) -> BrokerError:
    given = client_kwargs.get("bootstrap_servers") or []
    servers = given if isinstance(given, str) else ", ".join(given)
    return BrokerError(
        f"cannot reach the Kafka broker at {servers} ({exc}); is it running? "
        "(`leadflow kafka start` runs one locally; LEADFLOW_BROKER or --broker names another)"
    )


async def ensure_topics(
    client_kwargs: Mapping[str, Any],
    partitions: Mapping[str, int],
    *,
    config: Mapping[str, str] | None = None,
    replication: int = 1,
) -> list[str]:
    """Create the topics that do not exist yet (name → partitions); return those created.

    An existing topic is left as it is, whatever its partition count.
    """
    admin = AIOKafkaAdminClient(**client_kwargs)
    try:
        await admin.start()
    except KafkaConnectionError as exc:
        raise unreachable(client_kwargs, exc) from None
    try:
        new = [
            NewTopic(name, count, replication, topic_configs=dict(config or {}))
            for name, count in partitions.items()
        ]
        if not new:
            return []
        response = await admin.create_topics(new)
        created = []
        for name, code, *rest in response.topic_errors:
            if code == 0:
                created.append(name)
            elif code != TOPIC_ALREADY_EXISTS:
                message = rest[0] if rest else ""
                raise BrokerError(f"cannot create topic {name!r}: error {code} {message}")
        return created
    finally:
        await admin.close()


async def records_between(
    consumer: AIOKafkaConsumer, tp: TopicPartition, start: int, end: int, batch: int = 500
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """The records of `tp` at offsets [start, end), read with `consumer` (assigned `tp`)."""
    consumer.seek(tp, start)
    position = start
    while position < end:
        got = await consumer.getmany(tp, timeout_ms=1000, max_records=batch)
        for record in got.get(tp, []):
            if record.offset >= end:
                return
            position = record.offset + 1
            yield record

"""The delivery ledger (notifier/ledger.py) on a real broker: what one instance wrote,
plain or in a transaction, another reads back to the end, and an aborted transaction's
records are not read."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from notifier.ledger import Ledger
from tests.kafka_harness import unique_name

pytestmark = pytest.mark.kafka


async def test_a_second_ledger_reads_plain_and_committed_records_not_aborted_ones(
    kafka_bootstrap: str,
) -> None:
    kafka = {"bootstrap_servers": kafka_bootstrap}
    topic = unique_name("ledger")
    producer = AIOKafkaProducer(**kafka, acks="all")
    tx = AIOKafkaProducer(**kafka, acks="all", transactional_id=unique_name("tx"))
    await producer.start()
    await tx.start()
    try:
        first = Ledger(kafka, topic, producer)
        await first.start()
        await first.write("a|rep-01|chat", {"state": "sent"})
        await first.write("b|rep-01|chat", {"state": "held"})
        await first.flush()
        async with tx.transaction():
            await tx.send(topic, orjson.dumps({"state": "deadlettered"}), key=b"c|rep-02|email")
            await tx.send(topic, orjson.dumps({"state": "sent"}), key=b"b|rep-01|chat")
        with pytest.raises(RuntimeError):
            async with tx.transaction():
                await tx.send(topic, orjson.dumps({"state": "sent"}), key=b"d|rep-03|chat")
                raise RuntimeError("abort")
        await first.stop()

        second = Ledger(kafka, topic, producer)
        await asyncio.wait_for(second.start(), 30)  # ends although markers trail the log
        assert second.records == {
            "a|rep-01|chat": {"state": "sent"},
            "b|rep-01|chat": {"state": "sent"},
            "c|rep-02|email": {"state": "deadlettered"},
        }
        await second.stop()
    finally:
        await tx.stop()
        await producer.stop()

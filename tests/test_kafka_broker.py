"""The real broker the harness starts: messages go through it, keyed and in order per key."""

from __future__ import annotations

from collections import defaultdict

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.kafka_harness import create_topic, poll_until, unique_name


async def test_produce_consume_round_trip(kafka_bootstrap: str) -> None:
    topic = unique_name("roundtrip")
    await create_topic(kafka_bootstrap, topic, partitions=3)
    sent = [(f"lead-{i % 7}".encode(), f"event-{i}".encode()) for i in range(300)]

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in sent:
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=unique_name("roundtrip-group"),
        auto_offset_reset="earliest",
    )
    await consumer.start()
    received: list[tuple[bytes, bytes, int]] = []
    try:

        async def all_arrived() -> bool:
            batches = await consumer.getmany(timeout_ms=200)
            for tp, records in batches.items():
                received.extend((r.key, r.value, tp.partition) for r in records)
            return len(received) >= len(sent)

        await poll_until(all_arrived, 30.0, what="all 300 messages consumed")
    finally:
        await consumer.stop()

    assert sorted((k, v) for k, v, _ in received) == sorted(sent)
    by_key: defaultdict[bytes, list[bytes]] = defaultdict(list)
    partitions_of: defaultdict[bytes, set[int]] = defaultdict(set)
    for key, value, partition in received:
        by_key[key].append(value)
        partitions_of[key].add(partition)
    for key, values in by_key.items():
        assert values == [v for k, v in sent if k == key], f"order of {key!r} changed"
        assert len(partitions_of[key]) == 1, f"{key!r} spread over partitions"
    assert len({p for _, _, p in received}) > 1, "3 partitions, 7 keys: expected a spread"

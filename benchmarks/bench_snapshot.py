"""What keeping the pool stage's snapshots on Kafka costs, for a large engine.

    python -m benchmarks.bench_snapshot [--leads 100000] [--runs 3]

On a generated stream (benchmarks.generate) and a real broker (streams.broker), in the
same run, medians of `--runs`:

- rebuild: recovery without any snapshot, i.e. a fresh engine applying the whole stream
  (`apply_record`, in memory: the least that replaying the routing log costs);
- the snapshot of the engine after the stream: its size, the time to encode it, the time
  the worker stalls when the write is forked;
- publish: the encoded snapshot sent to a compacted topic in chunks and acknowledged
  (streams.snapshot_topic.publish);
- recover from Kafka: the newest snapshot read back (streams.snapshot_topic.latest) and
  decoded (streams.snapshots.decode: the state format, docs/state-format.md).

Prints a Markdown table for docs/crash-safety.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer

from benchmarks.bench_kafka import with_broker
from benchmarks.generate import generate
from routing.engine import Engine
from routing.policy.loader import load_policy
from streams.admin import ensure_topics
from streams.records import apply_record, event_record
from streams.snapshot_topic import CHUNK, TOPIC_CONFIG, latest, publish
from streams.snapshots import SnapshotWriter, decode, encode, fingerprint


def rebuild(policy: Path, records: list[bytes]) -> tuple[float, Engine]:
    engine = Engine(load_policy(policy))
    started = time.perf_counter()
    for i, record in enumerate(records):
        apply_record(engine, record)
        if i % 100_000 == 0:
            print(f"  rebuild: {i:,}/{len(records):,} records", end="\r", file=sys.stderr)
    return time.perf_counter() - started, engine


async def run(args: argparse.Namespace, bootstrap: str, work: Path) -> None:
    stream = work / "data" / "stream.jsonl"
    print(f"  generating {args.leads:,} leads", file=sys.stderr)
    generate(args.leads, max(100, args.leads // 500), stream, seed=7)
    policy = stream.parent / "policy.yaml"
    lines = [line for line in stream.read_bytes().splitlines() if line.strip()]
    records = [event_record(f"bench:0:{i}", line) for i, line in enumerate(lines)]
    loaded = load_policy(policy)
    fp = fingerprint(loaded)
    client = {"bootstrap_servers": bootstrap}
    producer = AIOKafkaProducer(**client, acks="all", max_request_size=2 * CHUNK)
    await producer.start()
    rows: list[dict[str, float]] = []
    try:
        for i in range(args.runs):
            rebuild_s, engine = rebuild(policy, records)
            started = time.perf_counter()
            data = encode(engine, len(records) - 1, fp, loaded)
            encode_s = time.perf_counter() - started
            writer = SnapshotWriter(work / "forked.snapshot", fp, loaded, fork=True)
            started = time.perf_counter()
            writer.write(engine, len(records) - 1)
            stall_s = time.perf_counter() - started
            writer.wait()
            topic = f"bench-snapshots{i}"
            await ensure_topics(client, {topic: 1}, config=TOPIC_CONFIG)
            started = time.perf_counter()
            await publish(producer, topic, 0, data, None)
            publish_s = time.perf_counter() - started
            started = time.perf_counter()
            back = await latest(client, topic, 0)
            assert back == data
            snap = decode(back, fp, topic, loaded, Engine)
            recover_s = time.perf_counter() - started
            assert snap is not None and len(snap.state.leads) == len(engine.leads)
            rows.append({"bytes": len(data), "rebuild_s": rebuild_s, "encode_s": encode_s,
                         "stall_s": stall_s, "publish_s": publish_s,
                         "recover_s": recover_s})  # fmt: skip
            print(f"  run {i + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in rows[-1].items()),
                  file=sys.stderr)  # fmt: skip
    finally:
        await producer.stop()
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(f"""
`python -m benchmarks.bench_snapshot --leads {args.leads} --runs {args.runs}` \
({len(records):,} events, {args.leads:,} leads; medians of {args.runs} runs)

| | seconds | vs rebuilding from the log |
|---|---|---|
| rebuild the engine from the whole log (in memory, no Kafka) | {med['rebuild_s']:.2f} | 1 |
| encode the snapshot ({med['bytes'] / 1e6:.0f} MB) | {med['encode_s']:.2f} | \
{med['encode_s'] / med['rebuild_s']:.3f}x |
| forked write: the worker stalls | {med['stall_s']:.3f} | \
{med['stall_s'] / med['rebuild_s']:.4f}x |
| publish it to Kafka ({-(-med['bytes'] // CHUNK):.0f} chunks), acknowledged | \
{med['publish_s']:.2f} | {med['publish_s'] / med['rebuild_s']:.3f}x |
| recover from Kafka: read back + unpickle | {med['recover_s']:.2f} | \
{med['recover_s'] / med['rebuild_s']:.3f}x |
""")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_snapshot")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    with_broker(run, parser.parse_args(), "leadflow-snapshot-")
    return 0


if __name__ == "__main__":
    sys.exit(main())

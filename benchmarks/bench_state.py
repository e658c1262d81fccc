"""What crash safety costs: a changelog write per event vs periodic snapshots of the engine.

    python -m benchmarks.bench_state [--leads 5000] [--runs 3]

On a generated stream (benchmarks.generate) and a real broker (streams.broker), in the
same run:

- baseline: the engine alone (`apply_record` per event), events/s;
- changelog: the engine plus, per event, what a changelogged table must at least do:
  serialise the state the event touched (the lead record, pickled) and produce it to a
  compacted topic (acks=all, linger 2 ms), delivery awaited per batch of 5,000;
- snapshot: the engine plus a snapshot every 5 s of wall time at the measured rate:
  cloudpickle of the whole engine at the end of the stream (the largest), written to a
  file; its size, the time to write it inline, the time the worker stalls when the
  write is forked (`os.fork` + child writes), and the time to load it back.

Prints a Markdown table for docs/crash-safety.md.
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
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
from streams.records import event_record
from streams.snapshots import SnapshotWriter, encode, fingerprint, read, write_file


def baseline(policy: Path, records: list[bytes]) -> tuple[float, Engine]:
    from streams.records import apply_record

    engine = Engine(load_policy(policy))
    started = time.perf_counter()
    for record in records:
        apply_record(engine, record)
    return len(records) / (time.perf_counter() - started), engine


async def changelog(bootstrap: str, policy: Path, records: list[bytes], run: int) -> float:
    from streams.records import apply_record, split_event

    topic = f"bench-state-changelog{run}"
    await ensure_topics({"bootstrap_servers": bootstrap}, {topic: 1},
                        config={"cleanup.policy": "compact"})  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await producer.start()
    engine = Engine(load_policy(policy))
    try:
        started = time.perf_counter()
        pending = []
        for record in records:
            apply_record(engine, record)
            raw = split_event(record)[1]
            lead_id = raw.split(b'"lead_id":"', 1)[-1].split(b'"', 1)[0]
            lead = engine.leads.get(lead_id.decode())
            state = pickle.dumps(lead, protocol=5) if lead is not None else b""
            pending.append(await producer.send(topic, state, key=lead_id))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return len(records) / (time.perf_counter() - started)
    finally:
        await producer.stop()


def snapshot_costs(engine: Engine, policy: Path, work: Path) -> dict[str, float]:
    loaded = load_policy(policy)
    fp = fingerprint(loaded)
    path = work / "pool-0.snapshot"
    started = time.perf_counter()
    data = encode(engine, 1, fp, loaded)
    write_file(path, data)
    inline = time.perf_counter() - started
    writer = SnapshotWriter(work / "forked.snapshot", fp, loaded, fork=True)
    started = time.perf_counter()
    writer.write(engine, 1)
    stall = time.perf_counter() - started
    writer.wait()
    started = time.perf_counter()
    snap = read(path, fp, loaded, Engine)
    load = time.perf_counter() - started
    assert snap is not None and len(snap.state.leads) == len(engine.leads)
    return {"bytes": len(data), "inline_s": inline, "fork_stall_s": stall, "load_s": load}


async def run(args: argparse.Namespace, bootstrap: str, work: Path) -> None:
    stream = work / "data" / "stream.jsonl"
    generate(args.leads, 100, stream, seed=7)
    policy = stream.parent / "policy.yaml"
    lines = [line for line in stream.read_bytes().splitlines() if line.strip()]
    records = [event_record(f"bench:0:{i}", line) for i, line in enumerate(lines)]
    alone: list[float] = []
    logged: list[float] = []
    costs: list[dict[str, float]] = []
    for i in range(args.runs):
        rate, engine = baseline(policy, records)
        alone.append(rate)
        logged.append(await changelog(bootstrap, policy, records, i))
        costs.append(snapshot_costs(engine, policy, work))
        print(f"  run {i + 1}: engine {alone[-1]:,.0f}/s, with changelog {logged[-1]:,.0f}/s, "
              f"snapshot {costs[-1]['bytes'] / 1e6:.1f} MB inline {costs[-1]['inline_s']:.3f}s "
              f"fork stall {costs[-1]['fork_stall_s'] * 1000:.1f} ms", file=sys.stderr)  # fmt: skip
    med = {k: statistics.median(c[k] for c in costs) for k in costs[0]}
    base, with_log = statistics.median(alone), statistics.median(logged)
    every_s = 5.0
    per_event_snapshot = med["fork_stall_s"] / (every_s * base)
    print(f"""
`python -m benchmarks.bench_state --leads {args.leads} --runs {args.runs}` ({len(records):,} \
events, {args.leads:,} leads; medians of {args.runs} runs)

| | events/s | cost per event |
|---|---|---|
| engine alone | {base:,.0f} | {1e6 / base:.1f} µs |
| engine + one changelog write per event | {with_log:,.0f} ({with_log / base:.2f}x) | \
+{1e6 / with_log - 1e6 / base:.1f} µs |
| engine + forked snapshot every {every_s:g} s | ~{1 / (1 / base + per_event_snapshot):,.0f} | \
+{per_event_snapshot * 1e6:.2f} µs (amortised) |

Snapshot of the engine after the whole stream: {med['bytes'] / 1e6:.1f} MB; written inline in \
{med['inline_s'] * 1000:.0f} ms; forked, the worker stalls {med['fork_stall_s'] * 1000:.1f} ms; \
loaded back in {med['load_s'] * 1000:.0f} ms.
""")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_state")
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    with_broker(run, parser.parse_args(), "leadflow-state-")
    return 0


if __name__ == "__main__":
    sys.exit(main())

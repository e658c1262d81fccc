"""`leadflow ingest` under load, against a plain aiokafka producer of the same events.

    python -m benchmarks.bench_ingest [--runs 3] [--events1 4000] [--events500 40000]

One command: starts its own broker (streams.broker; or `--broker host:port`), generates a
stream (benchmarks.generate, 2,000 leads; its valid events, each event_id once), then,
`--runs` times, alternating, on a fresh 4-partition topic each:

- **ingest, batches of 1**: `leadflow ingest` (a subprocess, as deployed) and
  `--concurrency1` clients each POSTing one event per request to `/v1/events` (keep-alive);
- **producer, batches of 1**: the same events sent by an aiokafka producer configured as
  ingest's (acks=all, idempotent, linger 2 ms), each awaited until acknowledged, by as many
  concurrent tasks;
- the same two with batches of 500 events (a JSON array per request; 500 sends awaited
  together), `--concurrency500` at once.

Events/s: events acknowledged / wall time from the first request to the last answer.
Latency: per request (ingest) or per batch awaited (producer), p50 and p99. Every ingest
answer is checked (every event `accepted`). Prints a Markdown report (medians over the runs,
ratios ingest/producer) for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer

from benchmarks.generate import generate
from routing.errors import EventError
from routing.events import parse_event
from streams.admin import ensure_topics, wait_for_broker
from streams.broker.jars import fetch_jars
from streams.broker.node import LocalBroker, free_ports

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
PARTITIONS = 4


@dataclass
class Run:
    side: str
    batch: int
    events: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load_events(leads: int, tmp: Path) -> list[tuple[bytes, bytes]]:
    """(key, value) of each valid event of a generated stream, each event_id once."""
    stream = tmp / "stream.jsonl"
    generate(leads, max(10, leads // 100), stream, seed=5, weeks=4)
    seen: set[str] = set()
    out: list[tuple[bytes, bytes]] = []
    for line in stream.read_bytes().splitlines():
        try:
            event = parse_event(line)
        except EventError:
            continue
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        values = event.__dict__
        out.append((str(values.get("lead_id") or values.get("rep_id")).encode(), line))
    return out


async def pool(jobs: list[Callable[[], Awaitable[float]]], concurrency: int) -> Run:
    latencies: list[float] = []
    queue = list(reversed(jobs))

    async def worker() -> None:
        while queue:
            job = queue.pop()
            latencies.append(await job())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Run("", 0, 0, time.perf_counter() - started, latencies)


async def run_ingest(
    bootstrap: str, topic: str, events: list[tuple[bytes, bytes]], batch: int, concurrency: int
) -> Run:
    (port,) = free_ports(1)
    env = {
        **os.environ,
        "LEADFLOW_BROKER": f"kafka://{bootstrap}",
        "LEADFLOW_TOPIC_EVENTS": topic,
        "LEADFLOW_INGEST_TOKEN": TOKEN,
        "LEADFLOW_INGEST_PORT": str(port),
        "LEADFLOW_INGEST_RATE": "1e9",
        "LEADFLOW_INGEST_BURST": "1000000000",
    }
    proc = subprocess.Popen([sys.executable, "-m", "leadflow", "ingest"], env=env,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    try:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            for _ in range(600):  # until it answers (and its producer is up)
                try:
                    async with session.get(f"{url}/health") as resp:
                        if (await resp.json())["status"] == "ok":
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
            chunks = [[v for _, v in events[i : i + batch]] for i in range(0, len(events), batch)]
            bodies = [c[0] if batch == 1 else b"[" + b",".join(c) + b"]" for c in chunks]

            def job(body: bytes, n: int) -> Callable[[], Awaitable[float]]:
                async def post() -> float:
                    started = time.perf_counter()
                    async with session.post(f"{url}/v1/events", data=body, headers=headers) as r:
                        answer = orjson.loads(await r.read())
                    took = time.perf_counter() - started
                    if r.status != 200 or answer.get("accepted") != n:
                        raise SystemExit(f"ingest answered {r.status}: {str(answer)[:300]}")
                    return took

                return post

            sizes = [min(batch, len(events) - i) for i in range(0, len(events), batch)]
            run = await pool([job(b, n) for b, n in zip(bodies, sizes, strict=True)], concurrency)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return Run("ingest", batch, len(events), run.seconds, run.latencies)


async def run_producer(
    bootstrap: str, topic: str, events: list[tuple[bytes, bytes]], batch: int, concurrency: int
) -> Run:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=2)  # fmt: skip
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"warm-up", key=b"w")  # metadata, as ingest has

        def job(chunk: list[tuple[bytes, bytes]]) -> Callable[[], Awaitable[float]]:
            async def send() -> float:
                started = time.perf_counter()
                futures = [await producer.send(topic, v, key=k) for k, v in chunk]
                await asyncio.gather(*futures)
                return time.perf_counter() - started

            return send

        chunks = [events[i : i + batch] for i in range(0, len(events), batch)]
        run = await pool([job(c) for c in chunks], concurrency)
    finally:
        await producer.stop()
    return Run("producer", batch, len(events), run.seconds, run.latencies)


async def measure(args: argparse.Namespace, bootstrap: str, tmp: Path) -> list[Run]:
    await wait_for_broker({"bootstrap_servers": bootstrap}, 60.0)
    events = load_events(args.leads, tmp)
    one, many = events[: args.events1], events[: args.events500]
    print(f"events: {len(events):,} distinct valid; {len(one):,} in batches of 1, "
          f"{len(many):,} in batches of 500", file=sys.stderr)  # fmt: skip
    runs: list[Run] = []
    n = 0
    for r in range(args.runs):
        for batch, data, conc in ((1, one, args.concurrency1), (500, many, args.concurrency500)):
            order = ("ingest", "producer") if r % 2 == 0 else ("producer", "ingest")
            for side in order:
                n += 1
                topic = f"bench-ingest-{os.getpid()}-{n}"
                await ensure_topics({"bootstrap_servers": bootstrap}, {topic: PARTITIONS})
                fn = run_ingest if side == "ingest" else run_producer
                run = await fn(bootstrap, topic, data, batch, conc)
                runs.append(run)
                print(f"  run {r + 1} {side:<8} batch {batch:>3}: {run.rate:>9,.0f} events/s, "
                      f"p50 {run.pct(0.5) * 1000:.1f} ms, p99 {run.pct(0.99) * 1000:.1f} ms",
                      file=sys.stderr)  # fmt: skip
    return runs


def report(args: argparse.Namespace, runs: list[Run], started: str) -> str:
    ones = next(r.events for r in runs if r.batch == 1)
    many = next(r.events for r in runs if r.batch == 500)
    lines = [
        f"Command: `python -m benchmarks.bench_ingest --runs {args.runs}` "
        f"({ones:,} events in batches of 1 with {args.concurrency1} concurrent clients, "
        f"{many:,} in batches of 500 with {args.concurrency500}). {started}. Machine: "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}, CPython "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| batch | side | events/s (median) | p50 latency | p99 latency | runs (events/s) |",
        "|---|---|---|---|---|---|",
    ]
    medians: dict[tuple[int, str], tuple[float, float]] = {}
    for batch in (1, 500):
        for side in ("ingest", "producer"):
            mine = [r for r in runs if r.batch == batch and r.side == side]
            rate = statistics.median(r.rate for r in mine)
            p50 = statistics.median(r.pct(0.5) for r in mine) * 1000
            p99 = statistics.median(r.pct(0.99) for r in mine) * 1000
            medians[(batch, side)] = (rate, p99)
            each = " / ".join(f"{r.rate:,.0f}" for r in mine)
            lines.append(f"| {batch} | {side} | {rate:,.0f} | {p50:.1f} ms | {p99:.1f} ms | "
                         f"{each} |")  # fmt: skip
    lines.append("")
    for batch in (1, 500):
        (ri, pi), (rp, pp) = medians[(batch, "ingest")], medians[(batch, "producer")]
        lines.append(f"- batches of {batch}: ingest {ri / rp:.2f}x the producer's events/s, "
                     f"p99 {pi / pp:.1f}x the producer's")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_ingest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--events1", type=int, default=4000)
    parser.add_argument("--events500", type=int, default=40000)
    parser.add_argument("--concurrency1", type=int, default=8)
    parser.add_argument("--concurrency500", type=int, default=4)
    parser.add_argument("--broker", help="host:port of a running broker (default: start one)")
    args = parser.parse_args(argv)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        if args.broker:
            runs = asyncio.run(measure(args, args.broker, Path(tmp)))
        else:
            fetch_jars(REPO / ".kafka" / "jars")
            port, controller = free_ports(2)
            broker = LocalBroker(Path(tmp) / "kafka", port=port, controller_port=controller,
                                 jars=REPO / ".kafka" / "jars")  # fmt: skip
            broker.start(tie_to_parent=True)
            try:
                runs = asyncio.run(measure(args, broker.bootstrap, Path(tmp)))
            finally:
                broker.stop()
    print(report(args, runs, started))
    return 0


if __name__ == "__main__":
    sys.exit(main())

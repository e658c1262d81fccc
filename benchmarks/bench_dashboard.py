"""The live dashboard's cost to the worker: decision latency with 20 pages open, against none.

    python -m benchmarks.bench_dashboard [--rate 2000] [--duration 20] [--runs 2] [--pages 20]

One command: starts its own broker, then `--runs` rounds of two wall-clock worker runs
(benchmarks.bench_kafka.latency: the live mix at `--rate` events/s for `--duration` s
after a 2 s warm-up, produce -> first decision latency from Kafka timestamps), one with
no page open and one with `--pages` dashboard pages subscribed to `/dashboard/events`
(server-sent events, held by a separate process so that reading them costs the worker
nothing but the sending), the order alternating per round. Reports the median p50/p99
of each kind, the ratio, and the pushes each page received.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.bench_kafka import Worker, latency, say, with_broker

TOKEN = "bench-dashboard-read-token"


async def _page(session: aiohttp.ClientSession, url: str, counts: list[int], i: int) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with session.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=None)) as r:
        if r.status != 200:
            raise SystemExit(f"page {i}: {url} answered {r.status}")
        async for line in r.content:
            if line.startswith(b"event: state"):
                counts[i] += 1


async def pages_main(url: str, pages: int, report: Path) -> None:
    """Hold `pages` event streams open until SIGTERM; then write how many updates each got."""
    counts = [0] * pages
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.ensure_future(_page(session, url, counts, i)) for i in range(pages)]
        while not all(counts) and not stop.is_set():  # each page has its first state
            await asyncio.sleep(0.05)
        print("connected", flush=True)
        await stop.wait()
        for task in tasks:
            task.cancel()
    seconds = time.monotonic() - started
    report.write_text(json.dumps({"updates": counts, "seconds": seconds}))


class Pages:
    def __init__(self, pages: int, work: Path) -> None:
        self.pages = pages
        self.report = work / f"pages-{uuid.uuid4().hex[:6]}.json"
        self.proc: subprocess.Popen[str] | None = None

    async def open(self, w: Worker) -> None:
        url = f"http://127.0.0.1:{w.port}/dashboard/events"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_dashboard", "--serve-pages", url,
             "--pages", str(self.pages), "--report", str(self.report)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = await asyncio.to_thread(self.proc.stdout.readline)
        if line.strip() != "connected":
            raise SystemExit(f"the pages did not connect to {url}")

    def close(self) -> dict[str, Any]:
        if self.proc is None:
            return {}
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        out: dict[str, Any] = json.loads(self.report.read_text())
        return out


async def run(args: argparse.Namespace, bootstrap: str, work: Path) -> None:
    os.environ["LEADFLOW_READ_TOKENS"] = TOKEN  # the workers' read token (inherited)
    results: dict[str, list[dict[str, Any]]] = {"none": [], "pages": []}
    updates: list[float] = []
    for i in range(args.runs):
        order = ("none", "pages") if i % 2 == 0 else ("pages", "none")
        for kind in order:
            pages = Pages(args.pages, work) if kind == "pages" else None
            say(f"round {i + 1}/{args.runs}: {kind}")
            live = await latency(
                bootstrap, work, args.rate, args.duration,
                name=f"dash-{kind}-{i}-{uuid.uuid4().hex[:6]}",
                on_ready=pages.open if pages is not None else None, settle_s=3.0,
            )  # fmt: skip
            if pages is not None:
                got = pages.close()
                per_s = [n / got["seconds"] for n in got["updates"]]
                updates.append(statistics.median(per_s))
                live["pages"] = got
            results[kind].append(live)
            say(f"  p50 {live['latency_p50_ms']:.0f} ms, p99 {live['latency_p99_ms']:.0f} ms")
    med = {
        kind: {q: statistics.median(r[f"latency_{q}_ms"] for r in runs) for q in ("p50", "p99")}
        for kind, runs in results.items()
    }
    ratio = med["pages"]["p99"] / med["none"]["p99"]
    rows = "\n".join(
        f"| {kind} | {med[kind]['p50']:.0f} ms | {med[kind]['p99']:.0f} ms | "
        + ", ".join(f"{r['latency_p99_ms']:.0f}" for r in results[kind])
        + f" | {statistics.median(r['achieved_rate'] for r in results[kind]):,.0f}/s |"
        for kind in ("none", "pages")
    )
    print(f"""
### Dashboard pages and decision latency ({datetime.now().date()}, {platform.machine()}, \
{os.cpu_count()} cores)

`python -m benchmarks.bench_dashboard --rate {args.rate:g} --duration {args.duration:g} \
--runs {args.runs} --pages {args.pages}`

| pages open | p50 (median of runs) | p99 (median of runs) | p99 per run | sent |
|---|---|---|---|---|
{rows.replace("| none |", "| none |").replace("| pages |", f"| {args.pages} |")}

p99 with {args.pages} pages / p99 with none: **{ratio:.2f}**. Each page received a median \
of {statistics.median(updates):.2f} updates/s (pushed while decisions flowed).
""")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_dashboard")
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--serve-pages", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_pages:
        asyncio.run(pages_main(args.serve_pages, args.pages, args.report))
        return 0
    with_broker(run, args, "leadflow-bench-dash-")
    return 0


if __name__ == "__main__":
    sys.exit(main())

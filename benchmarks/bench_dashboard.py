"""The live dashboard's cost to the worker: decision latency with 20 pages open, against none,
in the same worker run.

    python -m benchmarks.bench_dashboard [--rate 2000] [--duration 40] [--runs 2] \
        [--pages 20] [--phase 4]

One command: starts its own broker, then `--runs` wall-clock worker runs
(benchmarks.bench_kafka.latency: the live mix at `--rate` events/s for `--duration` s
after a 2 s warm-up; produce -> first decision latency from Kafka timestamps). During
each run a separate process (so that reading the pages costs the worker only the
sending) opens `--pages` dashboard pages (`/dashboard/events`, server-sent events) and
closes them again, alternating every `--phase` seconds: the same worker, the same
machine load, interleaved. An event counts for the phase in which it was sent (events
sent in the first 0.5 s after a switch are left out: pages connecting, or the last push
going out). Reports p50/p99 of each phase kind per run, the median over runs, the ratio,
and how many updates each page received while open.
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
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from yarl import URL

from benchmarks.bench_kafka import Worker, latency, pct, say, with_broker

TOKEN = "bench-dashboard-read-token"
SETTLE_S = 0.5  # after a switch: left out of both kinds


async def _page(url: str, counts: list[int], i: int) -> None:
    """One page's event stream, read as raw bytes (counting updates costs this process
    as little as it can: it shares the machine with the worker)."""
    address = URL(url)
    reader, writer = await asyncio.open_connection(address.host, address.port)
    writer.write(
        f"GET {address.raw_path_qs} HTTP/1.1\r\nHost: {address.host}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    tail = b""
    try:
        while chunk := await reader.read(1 << 20):
            counts[i] += (tail + chunk).count(b"event: state")
            tail = chunk[-16:]
    finally:
        writer.close()


async def pages_main(url: str, pages: int, report: Path) -> None:
    """Open `pages` event streams on SIGUSR1, close them on SIGUSR2, stop on SIGTERM; then
    write how many updates the pages got and for how long they were open."""
    counts = [0] * pages
    tasks: list[asyncio.Task[None]] = []
    open_s = 0.0
    opened = 0.0
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def connect() -> None:
        nonlocal opened
        if not tasks:
            opened = time.monotonic()
            tasks.extend(asyncio.ensure_future(_page(url, counts, i)) for i in range(pages))

    def disconnect() -> None:
        nonlocal open_s
        if tasks:
            open_s += time.monotonic() - opened
        for task in tasks:
            task.cancel()
        tasks.clear()

    loop.add_signal_handler(signal.SIGUSR1, connect)
    loop.add_signal_handler(signal.SIGUSR2, disconnect)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    disconnect()
    report.write_text(json.dumps({"updates": counts, "open_s": open_s}))


class Pages:
    """The pages process, switched on and off every `phase` seconds while a run lasts."""

    def __init__(self, pages: int, phase: float, work: Path) -> None:
        self.pages, self.phase = pages, phase
        self.report = work / f"pages-{uuid.uuid4().hex[:6]}.json"
        self.proc: subprocess.Popen[str] | None = None
        self.switches: list[tuple[float, bool]] = []  # (wall time, pages open after it)
        self.task: asyncio.Task[None] | None = None
        self.costs: dict[str, Any] = {}
        self.url = ""

    async def start(self, w: Worker) -> None:
        url = f"http://127.0.0.1:{w.port}/dashboard/events"
        self.url = f"http://127.0.0.1:{w.port}/dashboard/state?costs=1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_dashboard", "--serve-pages", url,
             "--pages", str(self.pages), "--report", str(self.report)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        if (await asyncio.to_thread(self.proc.stdout.readline)).strip() != "ready":
            raise SystemExit("the pages process did not start")
        self.task = asyncio.ensure_future(self._switch())

    async def _switch(self) -> None:
        assert self.proc is not None
        on = False
        while True:
            on = not on
            if not on:  # what the updates cost so far, asked before the pages close
                self.costs = await asyncio.to_thread(_costs, self.url) or self.costs
            self.proc.send_signal(signal.SIGUSR1 if on else signal.SIGUSR2)
            self.switches.append((time.time(), on))
            await asyncio.sleep(self.phase)

    def stop(self) -> dict[str, Any]:
        if self.task is not None:
            self.task.cancel()
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        out: dict[str, Any] = json.loads(self.report.read_text())
        return out

    def kind(self, sent_at: float) -> bool | None:
        """Were the pages open when this was sent (None: too close to a switch)."""
        state = None
        for at, on in self.switches:
            if at > sent_at:
                break
            state = on if sent_at - at >= SETTLE_S else None
        return state


def _costs(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            out: dict[str, Any] = json.loads(response.read())
            return out
    except OSError:
        return {}


async def one_run(args: argparse.Namespace, bootstrap: str, work: Path, i: int) -> dict[str, Any]:
    pages = Pages(args.pages, args.phase, work)
    try:
        live = await latency(
            bootstrap, work, args.rate, args.duration, name=f"dash-{i}-{uuid.uuid4().hex[:6]}",
            on_ready=pages.start, settle_s=3.0,
        )  # fmt: skip
    finally:
        got = pages.stop()
    split: dict[bool, list[float]] = {True: [], False: []}
    for sent_at, seconds in live["samples"]:
        kind = pages.kind(sent_at)
        if kind is not None:
            split[kind].append(seconds)
    return {
        "sent": live["sent"],
        "achieved_rate": live["achieved_rate"],
        "n": {k: len(v) for k, v in split.items()},
        "none": {q: 1000 * pct(split[False], x) for q, x in (("p50", 0.5), ("p99", 0.99))},
        "pages": {q: 1000 * pct(split[True], x) for q, x in (("p50", 0.5), ("p99", 0.99))},
        "updates_per_s": statistics.median(n / got["open_s"] for n in got["updates"]),
        "costs": pages.costs,
    }


async def run(args: argparse.Namespace, bootstrap: str, work: Path) -> None:
    os.environ["LEADFLOW_READ_TOKENS"] = TOKEN  # the workers' read token (inherited)
    runs = []
    for i in range(args.runs):
        r = await one_run(args, bootstrap, work, i)
        say(f"run {i + 1}/{args.runs}: none p99 {r['none']['p99']:.0f} ms, "
            f"{args.pages} pages p99 {r['pages']['p99']:.0f} ms")  # fmt: skip
        runs.append(r)
    med = {
        kind: {q: statistics.median(r[kind][q] for r in runs) for q in ("p50", "p99")}
        for kind in ("none", "pages")
    }
    ratios = [r["pages"]["p99"] / r["none"]["p99"] for r in runs]
    per_run = "\n".join(
        f"| {i + 1} | {r['none']['p50']:.0f} / {r['none']['p99']:.0f} ms | "
        f"{r['pages']['p50']:.0f} / {r['pages']['p99']:.0f} ms | "
        f"{r['pages']['p99'] / r['none']['p99']:.2f} | {r['n'][False]:,} / {r['n'][True]:,} | "
        f"{r['achieved_rate']:,.0f}/s | {r['updates_per_s']:.2f} | "
        f"{r['costs'].get('loop_ms_p50')} / {r['costs'].get('loop_ms_p99')} ms, "
        f"{r['costs'].get('render_ms_p50')} ms |"
        for i, r in enumerate(runs)
    )
    print(f"""
### Dashboard pages and decision latency ({datetime.now().date()}, {platform.machine()}, \
{os.cpu_count()} cores)

`python -m benchmarks.bench_dashboard --rate {args.rate:g} --duration {args.duration:g} \
--runs {args.runs} --pages {args.pages} --phase {args.phase:g}`

| run | no page: p50 / p99 | {args.pages} pages: p50 / p99 | p99 ratio | events (none / pages) \
| sent | updates per page per s | an update: loop held p50 / p99, render p50 |
|---|---|---|---|---|---|---|---|
{per_run}
| median | {med['none']['p50']:.0f} / {med['none']['p99']:.0f} ms | \
{med['pages']['p50']:.0f} / {med['pages']['p99']:.0f} ms | \
{statistics.median(ratios):.2f} | | | | |
""")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_dashboard")
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--duration", type=float, default=40.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--phase", type=float, default=4.0, help="seconds open, then closed")
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

"""The worker on a real broker, against a plain aiokafka pass-through of the same messages.

    python -m benchmarks.bench_kafka [--leads 5000] [--runs 3] [--rate 2000] [--duration 30]

One command: starts its own broker (streams.broker, jars cached in .kafka/jars), then

1. fills an input topic with a generated stream (benchmarks.generate: --leads leads, a
   quarter of events) and measures, `--runs` times each, alternating:
   (a) the floor: an aiokafka consumer (getmany) producing every message to another topic,
       events/s from the first fetch to the last acknowledged send;
   (b) the worker (`leadflow worker --clock event`, a fresh app id each run): events/s from
       its first published decision to its last (the backlog is there before it starts);
   one more worker run is profiled with py-spy when it is installed (not counted);
2. runs a worker on the wall clock with a 24/7 policy of short SLA windows and, once it
   holds both stages, sends the live mix (streams.loadgen) at `--rate` events/s: 2 s of
   warm-up (reported apart as the cold start), then `--duration` seconds, `at` = now:
   produce -> decision latency (the input's send, which stamps its Kafka timestamp, to the
   Kafka timestamp of the first decision it caused), and timer accuracy (each
   `sla.breached` published vs its `due`).

Prints a Markdown report (medians, ratios) for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from benchmarks.generate import generate
from routing.policy.loader import load_policy
from streams.admin import ensure_topics
from streams.broker.jars import fetch_jars
from streams.broker.node import LocalBroker, free_ports
from streams.loadgen import LoadReport, produce_mix, produce_replay
from streams.loadmix.stream import DUPLICATE, MALFORMED
from streams.settings import StreamSettings, load_settings

REPO = Path(__file__).resolve().parents[1]
PARTITIONS = 4
TICK_GAP_MS = 250  # a pause in the decisions this long before the last ones: the closing tick


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@contextmanager
def broker(home: Path) -> Iterator[str]:
    fetch_jars(REPO / ".kafka" / "jars")
    port, controller = free_ports(2)
    node = LocalBroker(home, port=port, controller_port=controller, jars=REPO / ".kafka" / "jars")
    say(f"kafka: started in {node.start(tie_to_parent=True):.1f}s at {node.bootstrap}")
    try:
        yield node.bootstrap
    finally:
        node.stop()


class Worker:
    """`leadflow worker` in a subprocess with its own app id and output topics."""

    def __init__(
        self, bootstrap: str, app_id: str, events: str, state: Path, partitions: int
    ) -> None:
        (self.port,) = free_ports(1)
        self.app_id = app_id
        self.env = dict(os.environ)
        self.env.update(
            LEADFLOW_BROKER=f"kafka://{bootstrap}",
            LEADFLOW_APP_ID=app_id,
            LEADFLOW_TOPIC_EVENTS=events,
            LEADFLOW_TOPIC_ASSIGNMENTS=f"{app_id}.assignments",
            LEADFLOW_TOPIC_ALERTS=f"{app_id}.alerts",
            LEADFLOW_TOPIC_DEADLETTER=f"{app_id}.deadletter",
            LEADFLOW_PARTITIONS=str(partitions),
            LEADFLOW_STATE_DIR=str(state),
            LEADFLOW_WEB_PORT=str(self.port),
        )
        self.outputs = [f"{app_id}.assignments", f"{app_id}.alerts"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = state / f"{app_id}.log"

    def start(self, policy: Path, clock: str, *args: str) -> None:
        cmd = [sys.executable, "-m", "leadflow", "worker", "--policy", str(policy)]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [*cmd, "--clock", clock, *args], env=self.env, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip

    def health(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                body: dict[str, Any] = json.loads(r.read())
                return body
        except OSError:
            return {}

    def full_collections(self) -> tuple[float, float, float]:
        """The worker's full garbage collections since it started, from /metrics
        (leadflow_gc_pause_seconds): how many, their total seconds, how many over 0.1 s."""
        token = self.env.get("LEADFLOW_READ_TOKENS", "").split(",")[0]
        made = Path(self.env["LEADFLOW_STATE_DIR"]) / self.app_id / "read-token"
        if not token and made.exists():  # the token the worker made (dashboard.settings)
            token = made.read_text().strip().split(",")[0]
        url = f"http://127.0.0.1:{self.port}/metrics"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return (float("nan"),) * 3
        return full_collections(text)

    async def wait(self, done: Any, deadline_s: float, what: str) -> dict[str, Any]:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.proc is not None and self.proc.poll() is not None:
                raise SystemExit(f"worker exited ({self.proc.returncode}); see {self.log}")
            health = self.health()
            if done(health):
                return health
            await asyncio.sleep(0.1)
        raise SystemExit(f"worker: {what} did not happen within {deadline_s}s; see {self.log}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def full_collections(metrics: str) -> tuple[float, float, float]:
    """(count, total seconds, count over 0.1 s) of generation-2 pauses in a worker's
    Prometheus text; a histogram with no such pause yet has no series: 0."""
    values: dict[str, float] = {}
    for line in metrics.splitlines():
        name, _, value = line.rpartition(" ")
        if name.startswith("leadflow_gc_pause_seconds") and 'generation="2"' in name:
            key = name.split("{")[0] + ("_le0.1" if 'le="0.1"' in name else "")
            values[key] = float(value)
    count = values.get("leadflow_gc_pause_seconds_count", 0.0)
    fast = values.get("leadflow_gc_pause_seconds_bucket_le0.1", 0.0)
    return count, values.get("leadflow_gc_pause_seconds_sum", 0.0), count - fast


async def read_all(bootstrap: str, topics: list[str]) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on `topics` up to their current end."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    got: list[ConsumerRecord[bytes, bytes]] = []
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        tps = list(consumer.assignment())
        ends = await consumer.end_offsets(tps)
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500, max_records=10_000)).values():
                got.extend(records)
        return got
    finally:
        await consumer.stop()


async def passthrough(bootstrap: str, source: str, sink: str, count: int) -> float:
    """The floor: consume `count` messages and produce each to `sink`; events/s."""
    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2, acks="all")
    await consumer.start()
    await producer.start()
    try:
        seen = 0
        started = time.perf_counter()
        pending = []
        while seen < count:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for r in records:
                    pending.append(await producer.send(sink, r.value, key=r.key))
                seen += len(records)
        await asyncio.gather(*pending)
        return count / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await producer.stop()


def decision_span(records: list[ConsumerRecord[bytes, bytes]]) -> float:
    """Seconds from the first decision to the last one the input caused: the timers fired
    by the event clock's closing tick (sent once the input has paused for 0.3 s) are
    counted as decisions, not as time."""
    stamps: list[int] = sorted(r.timestamp for r in records)
    end = len(stamps)
    for i in range(len(stamps) - 1, 0, -1):
        if stamps[i] - stamps[i - 1] >= TICK_GAP_MS:
            end = i
            break
    return (stamps[end - 1] - stamps[0]) / 1000.0


def drained(health: dict[str, Any], valid: int) -> bool:
    """Every valid input applied, and the pool stage idle since long enough for the event
    clock's closing tick (0.3 s) to have been sent and applied: the decision count is
    complete (stopping earlier cut off that tick's timers, by chance)."""
    pool = health.get("stages", {}).get("pool", {})
    return _accounted(health) >= valid and float(pool.get("idle_s", 0.0)) >= 1.5


async def throughput(bootstrap: str, work: Path, leads: int, runs: int) -> dict[str, Any]:
    """The backlog drained by the pass-through, a worker on one input partition and a
    worker on four (the default), alternating run by run."""
    stream = work / "data" / "stream.jsonl"
    generate(leads, 100, stream, seed=7)
    policy = stream.parent / "policy.yaml"
    # The same stream on one input partition (read in file order, a replay) and on four
    # (keyed by lead; the lead stage merges them in event-time order: docs/worker.md).
    topics = {1: "bench.events", PARTITIONS: f"bench.events{PARTITIONS}"}
    count, reports = 0, {}
    for partitions, topic in topics.items():
        settings = load_settings(broker=bootstrap, topic_events=topic, partitions=partitions)
        reports[partitions] = await produce_replay(
            settings, stream, speed=0.0, include_invalid=True
        )
        count = reports[partitions].sent
    say(f"throughput: {count:,} events in each of {', '.join(topics.values())}")
    floor: list[float] = []
    worker: dict[int, list[float]] = {p: [] for p in topics}
    decisions: dict[int, int] = {}
    profile = ""
    for run in range(runs + 1):  # the last, extra run is profiled and not counted
        if run < runs:
            sink = f"bench.passthrough{run}"
            await ensure_topics({"bootstrap_servers": bootstrap}, {sink: 1})
            floor.append(await passthrough(bootstrap, "bench.events", sink, count))
        for partitions, topic in topics.items():
            if run == runs and partitions != PARTITIONS:
                continue  # the profiled run: four partitions, the default
            w = Worker(bootstrap, f"bench-tput{partitions}-{run}", topic, work, partitions)
            w.start(policy, "event")
            prof = start_profile(w, work / "profile.txt") if run == runs else None
            invalid = reports[partitions].counts["invalid (sent as is)"]
            try:
                await w.wait(lambda h, n=count - invalid: drained(h, n),
                             600, "draining the backlog")  # fmt: skip
            finally:
                w.stop()
            if run == runs:  # the extra run: its profile only, whether or not py-spy ran
                if prof is not None:
                    prof.wait()
                profile = summarize_profile(work / "profile.txt")
                continue
            out = await read_all(bootstrap, w.outputs)
            decisions[partitions] = len(out)
            worker[partitions].append(count / decision_span(out))
        if run < runs:
            say(
                f"  run {run + 1}: floor {floor[-1]:,.0f}/s, worker "
                + ", ".join(f"{p} partition(s) {v[-1]:,.0f}/s" for p, v in worker.items())
            )
    return {
        "events": count,
        "floor": floor,
        "worker": worker[1],
        "worker4": worker[PARTITIONS],
        "decisions": decisions,
        "profile": profile,
    }


def _accounted(health: dict[str, Any]) -> int:
    stats = health.get("engine", {})
    return int(sum(stats.get(k, 0) for k in ("applied", "duplicate", "refused")))


def start_profile(w: Worker, out: Path) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists() or w.proc is None:
        return None
    # --native: the compiled core's functions (mypyc's `CPyDef_...`) have no Python frames.
    cmd = [spy, "record", "-p", str(w.proc.pid), "-d", "12", "-r", "100", "-f", "raw",
           "--native"]  # fmt: skip
    return subprocess.Popen([*cmd, "-o", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip


GROUPS = {
    "routing core (Engine, LeadDesk)": (
        "CPyDef_",
        "apply (routing/engine.py",
        "advance (routing/engine",
        "open_input (routing/engine",
        "(routing/desk.py",
    ),
    "event parsing (parse_event, lead stage)": ("parse_event (routing/events.py",),
    "lead stage (validate, desk, send)": (
        "LeadStages.publish (streams/lead_stages.py",
        "LeadStage.step (streams/lead_stage.py",
    ),
    "pool stage (apply, publish)": (
        "PoolStages.publish (streams/partitions.py",
        "PoolStage.step (streams/pool_stage.py",
    ),
    "publishing (aiokafka producer.send)": ("Publisher.send (streams/stages.py",),
    "aiokafka consumer (getmany)": ("getmany (aiokafka/",),
    "Faust/mode (timers, web, service loop)": ("/faust/", "/mode/"),
    "snapshots (fork)": ("snapshot (streams/",),
}


def summarize_profile(path: Path) -> str:
    """Share of samples whose stack passes through each group (inclusive)."""
    if not path.exists():
        return "(py-spy not available)"
    total = 0
    hits: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        for name, needles in GROUPS.items():
            if any(needle in stack for needle in needles):
                hits[name] += int(n)
    if total == 0:
        return "(no samples)"
    rows = [f"| {name} | {100 * hits[name] / total:.0f}% |" for name in GROUPS]
    return "| where (inclusive) | share of samples |\n|---|---|\n" + "\n".join(rows)


def fast_policy(work: Path) -> Path:
    """The example policy on a 24/7 calendar with SLA windows of seconds, so timers fire
    during a short run; capacity raised so leads are assigned rather than queued."""
    raw = yaml.safe_load((REPO / "examples" / "policy.yaml").read_text())
    raw["calendar"]["hours"] = {d: "00:00-24:00" for d in
                                ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}  # fmt: skip
    raw["calendar"]["holidays"] = []
    windows = {"demo_request": "10s", "tier1": "15s", "tier2": "20s", "tier3": "30s"}
    for tier in raw["tiers"]:
        tier["first_touch"] = {"within": windows[tier["name"]], "clock": "calendar"}
    raw["surge"]["actions"]["relax_first_touch"] = {"tier2": "40s", "tier3": "60s"}
    raw["marketing_commits"]["handoff"] = {"within": "5s", "clock": "calendar"}
    raw["routing"]["capacity"] = {"max_open": 100000, "max_new_per_day": 100000}
    raw["team"] = str(REPO / "examples" / "team.yaml")
    team = yaml.safe_load((REPO / "examples" / "team.yaml").read_text())
    for rep in team["reps"]:
        rep.pop("hours", None)
        rep.pop("capacity", None)
    (work / "fast-team.yaml").write_text(yaml.safe_dump(team))
    raw["team"] = "fast-team.yaml"
    path = work / "fast-policy.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@contextmanager
def collector_paused(pause: bool = True) -> Iterator[None]:
    """The load generator runs in this process, and its full garbage collections (65-580 ms
    over this process's heap, measured on a busy machine) held back messages whose Kafka
    CreateTime was already stamped: they counted as the worker's latency. For the bounded
    run (--duration), the collector of this process is off (collected before and after)."""
    if not pause:
        yield
        return
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def latency(
    bootstrap: str,
    work: Path,
    rate: float,
    duration: float,
    *,
    name: str = "bench-live",
    worker_args: tuple[str, ...] = (),
    pause_gc: bool = True,
    warmup: float = 2.0,
    on_ready: Callable[[Worker], Coroutine[Any, Any, Any]] | None = None,
    settle_s: float = 35.0,
) -> dict[str, Any]:
    policy = fast_policy(work)
    loaded = load_policy(policy)
    w = Worker(bootstrap, name, f"{name}.events", work, PARTITIONS)
    # The input and the routing topic stamped by the broker at append (LogAppendTime), so
    # that each event's latency splits into produce -> input appended -> lead stage's
    # record appended -> decision (the decision's own stamp is the worker's, at send).
    # The worker uses neither stamp for what it decides; the wall-clock check of
    # implausible times then reads the broker's append time (docs/worker.md).
    await ensure_topics(
        {"bootstrap_servers": bootstrap},
        {f"{name}.events": PARTITIONS, f"{name}-routing": PARTITIONS},
        config={"message.timestamp.type": "LogAppendTime"},
    )
    w.start(policy, "wall", *worker_args)
    try:
        # Ready: the pool stage is held and the lead stage holds every input partition.
        await w.wait(
            lambda h: (
                h.get("pool_stage") == "here" and len(h.get("input_partitions", [])) == PARTITIONS
            ),
            120,
            "start",
        )
        if on_ready is not None:  # e.g. open dashboard pages (benchmarks.bench_dashboard)
            await on_ready(w)
        settings: StreamSettings = load_settings(
            broker=bootstrap, topic_events=f"{name}.events", partitions=PARTITIONS
        )
        with collector_paused(pause_gc):
            # The worker's first events after its start take a one-time stall of a few
            # hundred ms (first use of its clients and code paths; the worker waits, it
            # does not compute). They are sent first, at the same rate, and reported apart
            # as the cold start; the timed run measures the worker as it runs from then on.
            warm = await produce_mix(
                settings, loaded, rate=rate, duration_s=warmup, record=True, run_id="warmup"
            )
            await asyncio.sleep(2)
            report = await produce_mix(
                settings, loaded, rate=rate, duration_s=duration, record=True
            )
        ended = time.time()
        say(f"latency: sent {report.sent:,} at {report.achieved_rate:,.0f}/s after a "
            f"{warmup:g} s warm-up; waiting {settle_s:g} s for the last SLA windows")  # fmt: skip
        await asyncio.sleep(settle_s)  # let the last leads' windows run out (timers on the wall)
        health = w.health()
        collections = w.full_collections()
    finally:
        w.stop()
    records = await read_all(bootstrap, w.outputs)
    appended = await _appended(bootstrap, f"{name}.events", f"{name}-routing")
    sent, cold_sent = _first_sends(report), _first_sends(warm)
    first: dict[str, float] = {}
    cold: dict[str, float] = {}
    lateness: list[float] = []
    for r in records:
        d = json.loads(r.value or b"")
        cause = d["event_id"].split(":", 1)[0]
        if cause in sent and cause not in first:
            first[cause] = r.timestamp / 1000.0 - sent[cause]
        elif cause in cold_sent and cause not in cold:
            cold[cause] = r.timestamp / 1000.0 - cold_sent[cause]
        if d["type"] == "sla.breached":
            due = datetime.fromisoformat(d["due"]).timestamp()
            if due <= ended + 30:
                lateness.append(r.timestamp / 1000.0 - due)
    lat = list(first.values())
    split: dict[str, list[float]] = {k: [] for k in SEGMENTS}
    for cause, seconds in first.items():
        at_in, at_routing = appended[0].get(cause), appended[1].get(cause)
        if at_in is None or at_routing is None:
            continue
        decided = sent[cause] + seconds
        for segment, value in zip(
            SEGMENTS, (at_in - sent[cause], at_routing - at_in, decided - at_routing), strict=True
        ):
            split[segment].append(value)
    by_second: dict[int, list[float]] = {}
    start = min(sent.values(), default=0.0)
    for cause, seconds in first.items():
        by_second.setdefault(int(sent[cause] - start), []).append(seconds)
    worst = max(by_second.items(), key=lambda kv: pct(kv[1], 0.99), default=(0, [0.0]))
    return {
        "sent": report.sent,
        "achieved_rate": report.achieved_rate,
        "latency_p50_ms": 1000 * pct(lat, 0.5),
        "latency_p99_ms": 1000 * pct(lat, 0.99),
        "latency_n": len(lat),
        "latency_max_ms": 1000 * max(lat, default=float("nan")),
        "worst_second": worst[0],
        "worst_second_p99_ms": 1000 * pct(worst[1], 0.99),
        "seconds_over_100ms": sum(pct(v, 0.99) > 0.1 for v in by_second.values()),
        "seconds": len(by_second),
        "breaches": len(lateness),
        "late_p50_s": pct(lateness, 0.5),
        "late_p99_s": pct(lateness, 0.99),
        "late_max_s": max(lateness) if lateness else float("nan"),
        "engine": health.get("engine", {}),
        "late_inputs": health.get("stages", {}).get("lead", {}).get("late"),
        "full_gc": collections,
        "warmup_s": warmup,
        "cold_p50_ms": 1000 * pct(list(cold.values()), 0.5),
        "cold_p99_ms": 1000 * pct(list(cold.values()), 0.99),
        "cold_max_ms": 1000 * max(cold.values(), default=float("nan")),
        "samples": [(sent[cause], seconds) for cause, seconds in first.items()],
        "split": {k: (1000 * pct(v, 0.5), 1000 * pct(v, 0.99), len(v)) for k, v in split.items()},
    }


SEGMENTS = (
    "produce -> input appended (producer, broker)",
    "input appended -> routing record appended (lead stage: fetch, merge, desk, send)",
    "routing record appended -> decision (pool stage: fetch, engine, send)",
)


async def _appended(
    bootstrap: str, events: str, routing: str
) -> tuple[dict[str, float], dict[str, float]]:
    """The broker's append time (LogAppendTime) of each input, and of the routing record
    the lead stage sent for it, by event id (the first copy)."""
    inputs: dict[str, float] = {}
    for r in await read_all(bootstrap, [events]):
        try:
            inputs.setdefault(json.loads(r.value or b"")["event_id"], r.timestamp / 1000.0)
        except (ValueError, KeyError, TypeError):
            continue  # a malformed input of the mix
    records: dict[str, float] = {}
    for r in await read_all(bootstrap, [routing]):
        value = r.value or b""
        if value[:1] == b"d":  # a desk record (streams.desk_records): its input's id
            records.setdefault(json.loads(value[1:])["id"], r.timestamp / 1000.0)
    return inputs, records


def _first_sends(report: LoadReport) -> dict[str, float]:
    """Each id's first send: a re-sent duplicate and a cut-off malformed copy carry the
    same id and a later send time (streams.loadmix.stream)."""
    sent: dict[str, float] = {}
    for s in report.records:
        if s.event_id and s.kind not in (DUPLICATE, MALFORMED):
            sent.setdefault(s.event_id, s.sent_at)
    return sent


async def run(args: argparse.Namespace, bootstrap: str, work: Path) -> None:
    tput = await throughput(bootstrap, work, args.leads, args.runs)
    live = await latency(bootstrap, work, args.rate, args.duration)
    floor, worker = statistics.median(tput["floor"]), statistics.median(tput["worker"])
    worker4 = statistics.median(tput["worker4"])
    ratios = [b / a for a, b in zip(tput["worker"], tput["worker4"], strict=True)]
    print(f"""
### Kafka worker ({datetime.now().date()}, {platform.machine()}, {os.cpu_count()} cores)

`python -m benchmarks.bench_kafka --leads {args.leads} --runs {args.runs} --rate {args.rate:g} \
--duration {args.duration:g}`

| measure | median | runs |
|---|---|---|
| (a) aiokafka pass-through, {tput['events']:,} messages | {floor:,.0f} events/s | \
{', '.join(f'{x:,.0f}' for x in tput['floor'])} |
| (b) worker, same messages, 1 input partition (event clock) | {worker:,.0f} events/s | \
{', '.join(f'{x:,.0f}' for x in tput['worker'])} |
| (c) worker, same messages, {PARTITIONS} input partitions (event clock) | {worker4:,.0f} \
events/s | {', '.join(f'{x:,.0f}' for x in tput['worker4'])} |
| worker (1 partition) / pass-through | {worker / floor:.2f} | |
| worker, {PARTITIONS} partitions / 1 partition (run by run) | \
{statistics.median(ratios):.2f} | {', '.join(f'{x:.2f}' for x in ratios)} |

Decisions published: {tput['decisions'].get(1, 0):,} (1 partition), \
{tput['decisions'].get(PARTITIONS, 0):,} ({PARTITIONS} partitions).

At {args.rate:g} events/s for {args.duration:g} s (wall clock, {live['sent']:,} events sent at \
{live['achieved_rate']:,.0f}/s), after a {live['warmup_s']:g} s warm-up at the same rate:

| measure | p50 | p99 | max | n |
|---|---|---|---|---|
| produce -> first decision | {live['latency_p50_ms']:.0f} ms | {live['latency_p99_ms']:.0f} ms \
| {live['latency_max_ms']:.0f} ms | {live['latency_n']:,} |
| sla.breached published - due | {live['late_p50_s']:.3f} s | {live['late_p99_s']:.3f} s | \
{live['late_max_s']:.3f} s | {live['breaches']:,} |

Where the time goes (the input and the routing topic stamped by the broker at append; \
p50 / p99 of each segment over the same events):

{chr(10).join(f"- {k}: {v[0]:.0f} / {v[1]:.0f} ms ({v[2]:,})" for k, v in live['split'].items())}

Inputs the lead stage applied behind its merged event time (late in their partition, or \
passed at the live edge: docs/worker.md, "Ordering"): {live['late_inputs']}.

Cold start (the warm-up's events, sent as soon as the worker was ready; not in the \
table): p50 {live['cold_p50_ms']:.0f} ms, p99 {live['cold_p99_ms']:.0f} ms, max \
{live['cold_max_ms']:.0f} ms.

Per second of sending: the p99 of the events sent in that second was over 100 ms in \
{live['seconds_over_100ms']} of {live['seconds']} seconds; the worst, second \
{live['worst_second']}, {live['worst_second_p99_ms']:.0f} ms. The worker's full garbage \
collections since its start: {live['full_gc'][0]:.0f} ({live['full_gc'][1] * 1000:.0f} ms in all, \
{live['full_gc'][2]:.0f} over 100 ms).

Profile of an extra worker run (py-spy, 12 s, inclusive shares; not in the medians):

{tput['profile']}
""")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_kafka")
    parser.add_argument("--leads", type=int, default=5000, help="leads of the generated stream")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--duration", type=float, default=30.0)
    with_broker(run, parser.parse_args(), "leadflow-bench-")
    return 0


def with_broker(
    main: Callable[[argparse.Namespace, str, Path], Coroutine[Any, Any, None]],
    args: argparse.Namespace,
    prefix: str,
) -> None:
    """Run `main(args, bootstrap, work)` against a broker of its own in a temporary dir."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        work = Path(tmp)
        with broker(work / "kafka") as bootstrap:
            asyncio.run(main(args, bootstrap, work))


if __name__ == "__main__":
    sys.exit(main())

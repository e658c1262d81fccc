"""Load into Kafka: a live synthetic mix at an honest rate, or a recorded stream replayed.

Python API (the worker's benchmark and fault test use it):

- `await produce_mix(settings, loaded, rate=2000, count=20_000, record=True)` pushes the
  live mix (streams/loadmix/live.py) at a fixed rate, every event stamped `at` = the wall
  clock when it is sent; the report has counts by kind, the achieved rate and, with
  `record`, each event's id, key and send time.
- `await produce_replay(settings, path, speed=1.0)` replays a `.jsonl` file's valid lines
  on their own timing scaled by `speed` (0: as fast as possible).
- `await produce(client_kwargs, topic, events, rate=... | speed=...)` is the loop under
  both: pacing on the monotonic clock, keys, delivery checks, progress on stderr.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from routing.errors import EventError
from routing.events import parse_event
from routing.policy.loader import LoadedPolicy
from streams.admin import ensure_topics, unreachable
from streams.errors import StreamsError
from streams.loadmix.live import LiveMix, restamp
from streams.pacing import Bursts, RatePacer, TimelinePacer
from streams.settings import StreamSettings

INVALID = "invalid (sent as is)"


@dataclass(frozen=True)
class Outgoing:
    """One message to send: its kind (event type, or what is wrong with it), Kafka key,
    JSON text, event id, and event time (used by replay pacing)."""

    kind: str
    key: str | None
    line: str
    event_id: str | None = None
    at_s: float | None = None


@dataclass(frozen=True)
class Sent:
    event_id: str | None
    key: str | None
    kind: str
    sent_at: float  # wall clock (Unix seconds) just before the send


@dataclass
class LoadReport:
    topic: str
    counts: Counter[str]
    elapsed_s: float
    target_rate: float | None = None  # the base rate asked for
    planned_rate: float | None = None  # the average the plan asked for, bursts included
    skipped: list[str] = field(default_factory=list)
    records: list[Sent] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(self.counts.values())

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> str:
        target = ""
        if self.target_rate and self.planned_rate and self.planned_rate > self.target_rate:
            target = (
                f" (planned {self.planned_rate:,.0f}/s: {self.target_rate:,.0f}/s "
                "plus campaign bursts)"
            )
        elif self.target_rate:
            target = f" (target {self.target_rate:,.0f}/s)"
        rows = [
            f"loadgen: sent {self.sent:,} events to {self.topic} in {self.elapsed_s:.1f}s: "
            f"{self.achieved_rate:,.0f} events/s{target}"
        ]
        rows += [f"  {kind:<36} {count:>10,}" for kind, count in sorted(self.counts.items())]
        if self.skipped:
            rows.append(f"  not sent: {len(self.skipped):,} invalid lines, e.g. {self.skipped[0]}")
        return "\n".join(rows)


Stamp = Callable[[Outgoing, float], bytes]


def stamp_now(event: Outgoing, wall_s: float) -> bytes:
    """`at` = the send time; `until`/`defer_until` keep their distance from `at`."""
    return restamp(event.line, wall_s)


def stamp_as_is(event: Outgoing, wall_s: float) -> bytes:
    return event.line.encode()


class ShiftToNow:
    """Move every timestamp by one offset: the first event's `at` becomes its send time."""

    def __init__(self) -> None:
        self.offset_s: float | None = None

    def __call__(self, event: Outgoing, wall_s: float) -> bytes:
        if event.at_s is None:
            return event.line.encode()
        if self.offset_s is None:
            self.offset_s = wall_s - event.at_s
        return restamp(event.line, shift_s=self.offset_s)


class ReplaySource:
    """The valid events of a `.jsonl` file, in file order, validated with the worker's own
    parser; invalid lines are skipped with their reason (or sent as is on request)."""

    def __init__(self, path: Path, *, include_invalid: bool = False) -> None:
        self.path = path
        self.include_invalid = include_invalid
        self.skipped: list[str] = []

    def __iter__(self) -> Iterator[Outgoing]:
        try:
            handle = self.path.open(encoding="utf-8", errors="surrogateescape")
        except OSError as exc:
            raise StreamsError(f"{self.path}: cannot read events ({exc.strerror})") from None
        with handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\r\n")
                if not line.strip():
                    continue
                try:
                    event = parse_event(line)
                except EventError as exc:
                    self.skipped.append(f"line {number}: {exc}")
                    if self.include_invalid:
                        yield Outgoing(INVALID, None, line)
                    continue
                key = getattr(event, "lead_id", None) or getattr(event, "rep_id", None)
                yield Outgoing(event.type, key, line, event.event_id, event.at.timestamp())


async def produce(
    client_kwargs: dict[str, Any],
    topic: str,
    events: Iterable[Outgoing],
    *,
    rate: float | None = None,
    bursts: Bursts | None = None,
    speed: float | None = None,
    stamp: Stamp = stamp_as_is,
    count: int | None = None,
    duration_s: float | None = None,
    record: bool = False,
    progress: TextIO | None = None,
    wall: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
) -> LoadReport:
    """Send `events` to `topic`, keyed, paced by `rate` (token bucket, optional bursts)
    or by their own timeline at `speed`; stop after `count` events or `duration_s`."""
    if (rate is None) == (speed is None):
        raise ValueError("give either a rate (events/s) or a replay speed")
    producer = AIOKafkaProducer(acks="all", **client_kwargs)
    try:
        await producer.start()
    except KafkaConnectionError as exc:
        await producer.stop()
        raise unreachable(client_kwargs, exc) from None
    start = monotonic()
    pacer: RatePacer | TimelinePacer
    if rate is not None:
        horizon = duration_s if duration_s is not None else (count or 0) / rate * 2 + 60
        pacer = RatePacer(rate, start, bursts=bursts, horizon_s=horizon)
    else:
        pacer = TimelinePacer(speed or 0.0, start)
    report = LoadReport(topic, Counter(), 0.0, target_rate=rate)
    shown = _Progress(progress, rate, start)
    pending: list[asyncio.Future[Any]] = []
    try:
        for event in events:
            if count is not None and report.sent >= count:
                break
            now = monotonic()
            if duration_s is not None and now - start >= duration_s:
                break
            wait = pacer.delay(now, event.at_s)
            if wait > 0:
                await asyncio.sleep(wait)
                if duration_s is not None and monotonic() - start >= duration_s:
                    break
            sent_at = wall()
            value = stamp(event, sent_at)
            key = event.key.encode() if event.key is not None else None
            pending.append(await producer.send(topic, value, key=key))
            report.counts[event.kind] += 1
            if record:
                report.records.append(Sent(event.event_id, event.key, event.kind, sent_at))
            if len(pending) >= 4096:
                await asyncio.gather(*pending[:2048])  # raises if a delivery failed
                del pending[:2048]
            shown.tick(monotonic(), report.sent, pacer.in_burst(now))
        await producer.flush()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    report.elapsed_s = monotonic() - start
    if isinstance(pacer, RatePacer):
        report.planned_rate = pacer.planned_rate(report.elapsed_s)
    shown.done(report)
    return report


class _Progress:
    """A progress line on stderr about once a second (a terminal) or every 10 s (a log)."""

    def __init__(self, out: TextIO | None, rate: float | None, start: float) -> None:
        self.out = out
        self.tty = bool(out is not None and out.isatty())
        self.every_s = 1.0 if self.tty else 10.0
        self.rate = rate
        self.start = start
        self.last_t = start
        self.last_n = 0

    def tick(self, now: float, sent: int, burst: bool) -> None:
        if self.out is None or now - self.last_t < self.every_s:
            return
        recent = (sent - self.last_n) / (now - self.last_t)
        target = f" (target {self.rate:,.0f}/s)" if self.rate else ""
        flag = "  campaign burst" if burst else ""
        line = f"loadgen: {sent:,} sent, {recent:,.0f}/s now{target}, {now - self.start:.0f}s{flag}"
        self.out.write(f"\r{line:<78}" if self.tty else line + "\n")
        self.out.flush()
        self.last_t, self.last_n = now, sent

    def done(self, report: LoadReport) -> None:
        if self.out is not None and self.tty:
            self.out.write("\n")
            self.out.flush()


async def produce_mix(
    settings: StreamSettings,
    loaded: LoadedPolicy,
    *,
    rate: float,
    count: int | None = None,
    duration_s: float | None = None,
    seed: int = 7,
    run_id: str | None = None,
    topic: str | None = None,
    noise: bool = True,
    bursts: Bursts | None = None,
    record: bool = False,
    create_topic: bool = True,
    progress: TextIO | None = None,
) -> LoadReport:
    """The live mix for `loaded`'s team and reasons, at `rate` events/s, `at` = now."""
    if count is None and duration_s is None:
        raise ValueError("give a count or a duration")
    run = run_id if run_id is not None else _run_id()
    mix = LiveMix(loaded, seed=seed, run_id=run, noise=noise)
    events = (Outgoing(e.kind, e.key, e.line, e.event_id) for e in mix)
    target = topic or settings.topic_events
    kwargs = settings.aiokafka_kwargs()
    if create_topic:
        await ensure_topics(kwargs, {target: settings.partitions})
    return await produce(
        kwargs, target, events, rate=rate, bursts=bursts, stamp=stamp_now,
        count=count, duration_s=duration_s, record=record, progress=progress,
    )  # fmt: skip


async def produce_replay(
    settings: StreamSettings,
    path: Path,
    *,
    speed: float = 0.0,
    shift_to_now: bool = False,
    include_invalid: bool = False,
    topic: str | None = None,
    record: bool = False,
    create_topic: bool = True,
    progress: TextIO | None = None,
) -> LoadReport:
    """A recorded stream on its own timing scaled by `speed` (0: as fast as possible)."""
    source = ReplaySource(path, include_invalid=include_invalid)
    target = topic or settings.topic_events
    kwargs = settings.aiokafka_kwargs()
    if create_topic:
        await ensure_topics(kwargs, {target: settings.partitions})
    stamp: Stamp = ShiftToNow() if shift_to_now else stamp_as_is
    report = await produce(
        kwargs, target, source, speed=speed, stamp=stamp, record=record, progress=progress
    )
    report.skipped = source.skipped
    return report


def _run_id() -> str:
    """A short id for this run's lead and event ids: base 36 of the wall-clock second."""
    n = int(time.time())
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out

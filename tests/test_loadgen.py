"""`leadflow loadgen` through the real broker: what the report counts is what the topic
holds, keyed by lead (or rep), stamped with the send time; a replay sends exactly the
file's valid lines, in order per key, on the file's own timing."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from routing.errors import EventError
from routing.events import INPUT_TYPES, parse_event
from routing.policy.loader import LoadedPolicy
from streams.loadgen import LoadReport, produce_mix, produce_replay
from streams.loadmix.stream import DUPLICATE, MALFORMED
from streams.pacing import BANK_S
from streams.settings import StreamSettings, load_settings
from tests.kafka_harness import poll_until, unique_name
from tests.replaying import EXAMPLES


@pytest.fixture(scope="module")
def loaded(example_policy: LoadedPolicy) -> LoadedPolicy:
    return example_policy


@pytest.fixture
def settings(kafka_bootstrap: str) -> StreamSettings:
    return load_settings(broker=f"kafka://{kafka_bootstrap}", partitions=3)


Message = tuple[bytes | None, bytes]


async def consume_all(bootstrap: str, topic: str, expected: int) -> list[Message]:
    """Every message of `topic` (all partitions), in partition order."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=unique_name("lg-check"),
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    got: list[Message] = []
    try:

        async def enough() -> bool:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                got.extend((r.key, r.value) for r in records)  # type: ignore[misc]
            return len(got) >= expected

        await poll_until(enough, 30.0, what=f"{expected} messages on {topic}")
        extra = await consumer.getmany(timeout_ms=300)  # nothing beyond what was sent
        got.extend((r.key, r.value) for rs in extra.values() for r in rs)  # type: ignore[misc]
    finally:
        await consumer.stop()
    return got


def kind_of(value: bytes, seen: set[str]) -> str:
    try:
        event = parse_event(value)
    except EventError:
        return MALFORMED
    if event.event_id in seen:
        return DUPLICATE
    seen.add(event.event_id)
    return event.type


async def test_live_mix_lands_on_the_topic_as_counted(
    settings: StreamSettings, loaded: LoadedPolicy, kafka_bootstrap: str
) -> None:
    topic = unique_name("lg-live")
    report: LoadReport = await produce_mix(
        settings, loaded, rate=2000, count=3000, seed=11, run_id="it", topic=topic, record=True
    )
    assert report.sent == 3000
    assert set(report.counts) >= set(INPUT_TYPES)
    # Honest pacing: never faster than the rate allows (its bank of tokens included).
    assert report.elapsed_s >= (3000 - 2000 * BANK_S - 1) / 2000

    messages = await consume_all(kafka_bootstrap, topic, 3000)
    assert len(messages) == 3000
    seen: set[str] = set()
    on_topic: Counter[str] = Counter()
    # The first send of each id: a malformed copy of a line (sent just after it, with its
    # id) and a re-sent duplicate carry the same id and a later send time.
    sent_at: dict[str, float] = {}
    for r in report.records:
        if r.kind not in (DUPLICATE, MALFORMED):
            sent_at.setdefault(r.event_id, r.sent_at)
    for key, value in messages:
        kind = kind_of(value, seen)
        on_topic[kind] += 1
        if kind == MALFORMED:
            continue
        rec = json.loads(value)
        subject = rec["lead_id"] if "lead_id" in rec else rec["rep_id"]
        assert key == subject.encode(), f"{rec['event_id']} keyed {key!r}"
        if kind != DUPLICATE:
            # `at` is the wall clock at send time (to the millisecond).
            at = datetime.fromisoformat(rec["at"]).timestamp()
            assert at == pytest.approx(sent_at[rec["event_id"]], abs=0.002)
    assert on_topic == report.counts


async def test_replay_sends_exactly_the_valid_lines_in_order_per_key(
    settings: StreamSettings, kafka_bootstrap: str, tmp_path: Path
) -> None:
    lines = [line for line in (EXAMPLES / "events.sample.jsonl").read_text().splitlines() if line]
    stream = tmp_path / "stream.jsonl"
    bad = ['{"event_id":"b1","type":"lead.merged","at":"2026-01-06T09:00:00-05:00"}', "{oops"]
    stream.write_text("\n".join([lines[0], bad[0], "", *lines[1:], bad[1]]) + "\n")
    valid = [line for line in lines if _valid(line)]
    assert len(valid) < len(lines)  # the sample carries one bad line of its own

    topic = unique_name("lg-replay")
    report = await produce_replay(settings, stream, speed=0, topic=topic, record=True)
    assert report.sent == len(valid)
    assert len(report.skipped) == len(lines) - len(valid) + 2
    assert any(s.startswith("line 2: ") and "lead.merged" in s for s in report.skipped)

    messages = await consume_all(kafka_bootstrap, topic, len(valid))
    assert sorted(v for _, v in messages) == sorted(line.encode() for line in valid)
    per_key: defaultdict[bytes | None, list[bytes]] = defaultdict(list)
    for key, value in messages:
        per_key[key].append(value)
    for key, values in per_key.items():
        expected = [line.encode() for line in valid if _key(line) == key]
        assert values == expected, f"order of {key!r}"


async def test_replay_keeps_the_timeline_scaled_and_can_shift_it_to_now(
    settings: StreamSettings, kafka_bootstrap: str, tmp_path: Path
) -> None:
    stream = tmp_path / "timed.jsonl"
    stream.write_text(
        "".join(
            json.dumps(
                {
                    "event_id": f"t{i}",
                    "type": "lead.engaged",
                    "lead_id": "L-1",
                    "at": f"2026-01-06T09:00:0{2 * i}-05:00",
                    "activity": "email_open",
                }
            )
            + "\n"
            for i in range(4)
        )
    )
    topic = unique_name("lg-timed")
    report = await produce_replay(
        settings, stream, speed=4.0, shift_to_now=True, topic=topic, record=True
    )
    sent = [r.sent_at for r in report.records]
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert all(g >= 0.5 - 0.01 for g in gaps), gaps  # 2 s of event time at speed 4
    assert sum(gaps) < 1.5 + 1.0
    messages = await consume_all(kafka_bootstrap, topic, 4)
    ats = [datetime.fromisoformat(json.loads(v)["at"]).timestamp() for _, v in messages]
    assert ats[0] == pytest.approx(sent[0], abs=0.002)  # the first event happens now
    assert [b - a for a, b in itertools.pairwise(ats)] == pytest.approx([2.0] * 3)


def test_cli_live_run_and_its_errors(kafka_bootstrap: str) -> None:
    topic = unique_name("lg-cli")
    done = subprocess.run(
        [sys.executable, "-m", "leadflow", "loadgen", "--broker", f"kafka://{kafka_bootstrap}",
         "--rate", "1000", "--count", "400", "--policy", str(EXAMPLES / "policy.yaml"),
         "--topic", topic, "--seed", "3", "--clean"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"sent 400 events to {topic}" in done.stdout
    assert MALFORMED not in done.stdout and DUPLICATE not in done.stdout

    for args, message in [
        (["--rate", "10"], "give --rate N with --duration SECONDS and/or --count N"),
        (["--rate", "0", "--count", "1", "--policy", "x"], "--rate must be positive"),
        (["--replay", "x.jsonl", "--speed", "fast"], "--speed must be a number or `max`"),
        (["--replay", "x.jsonl", "--rate", "5"], "--replay paces by the file"),
        (["--rate", "5", "--count", "1"], "--policy (or LEADFLOW_POLICY)"),
        (
            ["--replay", str(EXAMPLES / "events.sample.jsonl")],
            "cannot reach the Kafka broker at 127.0.0.1:1",
        ),
    ]:
        bad = subprocess.run(
            [sys.executable, "-m", "leadflow", "loadgen", "--broker", "kafka://127.0.0.1:1", *args],
            capture_output=True, text=True, timeout=60, check=False,
            env={k: v for k, v in os.environ.items() if k != "LEADFLOW_POLICY"},
        )  # fmt: skip
        assert bad.returncode == 2, (args, bad.stderr)
        assert message in bad.stderr, (args, bad.stderr)


def _valid(line: str) -> bool:
    try:
        parse_event(line)
    except EventError:
        return False
    return True


def _key(line: str) -> bytes:
    rec = json.loads(line)
    return (rec.get("lead_id") or rec["rep_id"]).encode()

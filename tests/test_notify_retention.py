"""The delivery ledger's retention (notifier/ledger.py) on a real broker: over a long run
(5 months of decisions) the keys held in memory stay bounded by the retention horizon and
one batch, the forgotten ones are tombstoned so a restarted notifier does not read them
back, and a restart in the middle (the first notifier cancelled mid-batch) still sends
each message under one delivery key only."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from notifier.service import Notifier
from routing.notifications import Directory, plan
from routing.policy.loader import load_policy
from tests.kafka_harness import create_topic, poll_until, unique_name
from tests.notify_receivers import HttpReceiver, Seen
from tests.test_notify_e2e import POLICY, produce, settings_for

pytestmark = pytest.mark.kafka

DECISIONS = 4000
SPAN = timedelta(days=150)
RETENTION_S = 2 * 86400.0
BATCH = 500  # run_batches' max_records: what one poll (one commit) can hold


def breaches() -> list[dict[str, object]]:
    """Urgent breaches of rep-04, one every 54 minutes."""
    base = datetime.fromisoformat("2026-01-05T09:00:00-05:00")
    step = SPAN / DECISIONS
    return [{"event_id": f"L-{i}#1/first_touch/1@breach:sla.breached:L-{i}",
             "type": "sla.breached", "at": (base + i * step).isoformat(), "lead_id": f"L-{i}",
             "sla": "first_touch", "due": (base + i * step).isoformat(), "rep_id": "rep-04"}
            for i in range(DECISIONS)]


async def test_the_ledger_stays_bounded_and_a_restart_sends_nothing_twice(
    kafka_bootstrap: str, tmp_path: Path,
) -> None:
    # The example notify policy with breaches on chat only: one message per decision.
    text = POLICY.read_text()
    old = "sla.breached:    {to: [rep], via: [chat, webhook], urgent: true}"
    assert old in text
    (tmp_path / "policy.yaml").write_text(
        text.replace(old, "sla.breached:    {to: [rep], via: [chat], urgent: true}"))
    (tmp_path / "team.yaml").write_text((POLICY.parent / "team.yaml").read_text())
    loaded = load_policy(tmp_path / "policy.yaml")
    directory = Directory(loaded)
    decisions = breaches()
    expected = {(m.event_id, m.recipient, m.channel) for d in decisions for m in plan(d, directory)}
    assert len(expected) == DECISIONS
    per_day = DECISIONS / SPAN.days
    # Two batches' keys (a restarted notifier keeps what it read back until its first
    # commit, and one batch is kept until its commit), plus the retention horizon's and a
    # day's.
    bound = int(2 * BATCH + per_day * (RETENTION_S / 86400 + 1))
    assert bound < len(expected) / 3

    seen = Seen()
    http = HttpReceiver(seen)
    base = await http.start()
    prefix = unique_name("notify-retention")
    assignments, alerts = f"{prefix}-assignments", f"{prefix}-alerts"
    for topic in (assignments, alerts):
        await create_topic(kafka_bootstrap, topic, 2)
    await produce(kafka_bootstrap, assignments, alerts, decisions)
    settings = settings_for(base, 1, "", prefix, retention_s=RETENTION_S, concurrency=8)
    kafka = {"bootstrap_servers": kafka_bootstrap}
    sizes: list[int] = []

    async def watch(n: Notifier, done: asyncio.Event) -> None:
        while not done.is_set():
            ledger = getattr(n, "ledger", None)
            if ledger is not None:
                sizes.append(len(ledger.records))
            await asyncio.sleep(0.01)

    try:
        first = Notifier(directory, settings, kafka, [assignments, alerts])
        done = asyncio.Event()
        watcher = asyncio.create_task(watch(first, done))
        task = asyncio.create_task(first.run(asyncio.Event()))
        await poll_until(lambda: len(seen.by_item) >= len(expected) // 2 or task.done(), 60,
                         what="half of the messages delivered")
        task.cancel()  # mid-batch: what it sent and had not committed is read again
        with pytest.raises(asyncio.CancelledError):
            await task
        done.set()
        await watcher
        forgotten_first = first.ledger.forgotten
        assert forgotten_first > 0

        second = Notifier(directory, settings, kafka, [assignments, alerts])
        done = asyncio.Event()
        watcher = asyncio.create_task(watch(second, done))
        stop = asyncio.Event()
        task = asyncio.create_task(second.run(stop))
        await poll_until(lambda: getattr(second, "ledger", None) is not None
                         and second.ledger._reader is not None, 30, what="second started")
        await poll_until(lambda: set(seen.by_item) >= expected or task.done(), 60,
                         what="every message delivered")
        # its last commit, then its pruning, after the last delivery
        await poll_until(lambda: second.ledger.forgotten > 0 or task.done(), 30,
                         what="the second notifier forgets old keys")
        stop.set()
        await asyncio.wait_for(task, 30)
        done.set()
        await watcher
    finally:
        await http.stop()

    # Exactly once as the receiver sees it: every message, each under one delivery key
    # (a repeat of that key is the documented crash window, absorbed by the receiver).
    assert set(seen.by_item) == expected
    assert all(len(keys) == 1 for keys in seen.by_item.values())
    print(f"keys held at most: {max(sizes)} (bound {bound}, all: {len(expected)}); "
          f"forgotten: {forgotten_first} + {second.ledger.forgotten}; "
          f"re-sent under the same key after the cancel: {seen.resends()}")
    assert max(sizes) <= bound
    assert len(second.ledger.records) <= bound

"""The notifier service: decisions in, messages out, each delivered once as people see it.

For each decision the core plans the messages (routing.notifications.plan). A message
the ledger already holds is skipped. One due now is delivered (retries with backoff on
5xx, timeouts and connection errors; after `max_tries`, or at once on a refusal, it goes
to the dead-letter topic with the reason); one for later (quiet hours) is written to the
ledger as `held` and delivered with the others waiting for the same person and channel as
one batch when its time comes. The ledger is flushed before the offsets are committed.

The window between a delivery succeeding and its record being acknowledged is covered
by the receiver: every delivery carries its key (`X-Leadflow-Delivery`, the email's
Message-ID), and a crash in that window re-sends with the same key (docs/notifications.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord

from notifier.channels import Channels, Verdict
from notifier.ledger import COMPACTED, Ledger, run_batches
from notifier.parcels import Parcel, of_batch, single
from notifier.settings import NotifySettings
from routing.notifications import Batch, Directory, Message, batches, plan
from streams.admin import ensure_topics

__all__ = ["Notifier"]


class Notifier:
    def __init__(
        self,
        directory: Directory,
        settings: NotifySettings,
        kafka: dict[str, Any],
        topics: list[str],
        say: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.directory = directory
        self.s = settings
        self.kafka = kafka
        self.topics = topics
        self.say = say
        self.held: dict[str, Message] = {}
        self.batched: dict[str, str] = {}  # held message key -> the batch it was put in
        self.event_now = float("-inf")
        self.counts = {"sent": 0, "held": 0, "deadlettered": 0, "skipped": 0, "retries": 0}
        self._sem = asyncio.Semaphore(settings.concurrency)

    def now(self) -> float:
        return self.event_now if self.s.clock == "event" else time.time()

    def _decided_at(self, m: Message) -> float:
        """The instant against which a message is due now or held. On the event clock, the
        decision's own time: a message is held exactly when it was decided outside its
        recipient's hours, whatever the consumer read before it (after a restart it reads
        from the last commit, so a high-water mark of event time would differ, and one
        message could go out once alone and again in a batch). On the wall clock, now."""
        return m.at if self.s.clock == "event" else time.time()

    async def run(self, stop: asyncio.Event) -> None:
        await ensure_topics(self.kafka, {self.s.topic_deadletter: 1}, config=COMPACTED)
        # acks=all; not idempotent: a repeated ledger or dead-letter record is harmless (same
        # key), and aiokafka's idempotent producer failed with OutOfOrderSequenceNumber
        # under SIGKILL + restart in the fault test.
        producer = AIOKafkaProducer(**self.kafka, acks="all")
        await producer.start()
        self.producer = producer
        self.ledger = Ledger(self.kafka, self.s.topic_deliveries, producer,
                             retention_s=self.s.retention_s)
        try:
            await self.ledger.start()
            for key, value in self.ledger.records.items():
                if value.get("state") == "held":
                    self.held[key] = Message(**value["message"])
                    if value.get("batch"):
                        self.batched[key] = value["batch"]
            self.say(f"notify: ledger has {len(self.ledger.records)} deliveries, "
                     f"{len(self.held)} waiting")
            async with aiohttp.ClientSession() as session:
                self.channels = Channels(self.s, session)
                await run_batches(self.kafka, self.topics, self.s.group, self.ledger,
                                  self.handle, stop, idle=self.release,
                                  session_timeout_s=self.s.session_timeout_s)
        finally:
            await self.ledger.stop()
            await producer.stop()

    async def handle(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        due: list[Parcel] = []
        for rec in records:
            if rec.value is None:
                continue
            try:
                decision = orjson.loads(rec.value)
                msgs = plan(decision, self.directory)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                await self._deadletter_raw(rec, f"not a decision the notifier can read: {exc}")
                continue
            if msgs:
                self.event_now = max(self.event_now, msgs[0].at)
            for m in msgs:
                if self.ledger.get(m.key) is not None:
                    self.counts["skipped"] += 1
                elif m.deliver_at > self._decided_at(m):
                    self.held[m.key] = m
                    self.counts["held"] += 1
                    await self.ledger.write(m.key, {"state": "held", "message": asdict(m)})
                else:
                    due.append(single(m))
        await asyncio.gather(*(self._deliver(p) for p in due))
        await self.release()

    async def release(self) -> None:
        """Deliver, one batch per person and channel, every held message now due."""
        now = self.now()
        ready = [m for m in self.held.values() if m.deliver_at <= now]
        if not ready:
            return
        for m in ready:
            del self.held[m.key]
        # A batch a killed predecessor had formed is sent again as it was (same members,
        # same key); the others are grouped now, and their grouping recorded before sending.
        formed: dict[str, list[Message]] = {}
        fresh = []
        for m in ready:
            key = self.batched.pop(m.key, None)
            if key is None:
                fresh.append(m)
            else:
                formed.setdefault(key, []).append(m)
        todo = [Batch(k, ms[0].recipient, ms[0].channel, ms[0].deliver_at, tuple(ms))
                for k, ms in sorted(formed.items())]
        for b in batches(fresh):
            for m in b.messages:
                await self.ledger.write(
                    m.key, {"state": "held", "message": asdict(m), "batch": b.key})
            todo.append(b)
        await self.ledger.flush()
        await asyncio.gather(*(self._deliver(of_batch(b)) for b in todo))

    async def _deliver(self, p: Parcel) -> None:
        async with self._sem:
            verdict = Verdict("retry", "")
            tries = 0
            while tries < self.s.max_tries:
                tries += 1
                verdict = await self.channels.deliver(p)
                if verdict.outcome != "retry" or tries == self.s.max_tries:
                    break
                self.counts["retries"] += 1
                await asyncio.sleep(min(self.s.backoff_s * 2 ** (tries - 1), self.s.backoff_max_s))
        if verdict.outcome == "sent":
            self.counts["sent"] += 1
            state = {"state": "sent", "via": p.key}
        else:
            reason = verdict.reason if verdict.outcome == "refused" else (
                f"gave up after {tries} tries: {verdict.reason}")
            self.counts["deadlettered"] += 1
            body = {"key": p.key, "recipient": p.recipient, "channel": p.channel,
                    "address": p.address, "event_ids": list(p.event_ids),
                    "members": list(p.members), "reason": reason, "tries": tries}
            # The dead-letter first, acknowledged, then the ledger record: a crash between
            # the two dead-letters the same key again (never loses it); the topic is keyed
            # and compacted, so it keeps one record per delivery key.
            await self.producer.send_and_wait(
                self.s.topic_deadletter, orjson.dumps(body), key=p.key.encode())
            state = {"state": "deadlettered", "via": p.key, "reason": reason}
        for key, at in zip(p.members, p.ats, strict=True):
            await self.ledger.write(key, {**state, "at": at})

    async def _deadletter_raw(self, rec: ConsumerRecord[bytes, bytes], reason: str) -> None:
        body = {"source": f"{rec.topic}/{rec.partition}@{rec.offset}", "reason": reason,
                "raw": (rec.value or b"").decode("utf-8", "replace")[:2000]}
        key = f"{rec.topic}/{rec.partition}@{rec.offset}".encode()
        await self.producer.send_and_wait(self.s.topic_deadletter, orjson.dumps(body), key=key)

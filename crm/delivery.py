"""Delivering decisions exactly once as people see it: a consumer of decision topics in its
own group, with a durable record of what it delivered (the plumbing of `leadflow sink`;
any other deliverer of decisions can use it).

    log = DeliveryLog(path)                         # SQLite, one row per event_id
    consumer = DecisionConsumer(stream, group, topics, types, log, deliver, concurrency)
    await consumer.run(stop)                        # until `stop` is set

`deliver(decision, in_doubt)` performs the side effect and returns an `Outcome`
(`delivered`, `skipped` or `dead` with a reason); it retries transient failures itself, for
as long as they last (the consumer waits: order per subject is kept, nothing is dropped).

The protocol, per decision, in the order of its partition:
1. its event_id finished in the log (`delivered`, `skipped`, `dead`): nothing is done again;
2. otherwise the log records `sending` *before* the side effect, then its outcome after it;
   a dead one is produced to the dead-letter topic (and acknowledged) before it is recorded;
3. offsets are committed only after every decision of the batch is finished in the log.

A crash between 2's two writes leaves `sending`: the decision is read again (its offset was
not committed) and `deliver` is called with `in_doubt=True`, to find out from the target
whether the first attempt landed (the CRM sink reads the record's owner) before sending again.
Decisions of one subject (a lead) are delivered one after another, in partition order;
different subjects concurrently, up to `concurrency` at once.

The log is a local file: run one consumer per log (a restarted consumer, with the same file,
resumes). SQLite in WAL mode with `synchronous=NORMAL` survives a killed process; a machine
losing power may lose the last records, so `synchronous=FULL` is `DeliveryLog(durable=True)`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import CommitFailedError

from routing.errors import EventError
from streams.codecs import Decision, parse_decision
from streams.settings import StreamSettings

log = logging.getLogger("leadflow.delivery")
State = Literal["sending", "delivered", "skipped", "dead"]
FINISHED: frozenset[str] = frozenset({"delivered", "skipped", "dead"})


@dataclass(frozen=True)
class Outcome:
    state: Literal["delivered", "skipped", "dead"]
    detail: str = ""


class DeliveryLog:
    """What was delivered, by event_id: `sending` before the side effect, then its outcome."""

    def __init__(self, path: Path, durable: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS delivery (event_id TEXT PRIMARY KEY, subject TEXT, "
            "state TEXT NOT NULL, detail TEXT, attempts INTEGER NOT NULL, at REAL NOT NULL)"
        )

    def state(self, event_id: str) -> State | None:
        row = self.db.execute(
            "SELECT state FROM delivery WHERE event_id = ?", (event_id,)
        ).fetchone()
        return row[0] if row is not None else None

    def begin(self, event_id: str, subject: str) -> None:
        self.db.execute(
            "INSERT INTO delivery VALUES (?, ?, 'sending', '', 1, ?) ON CONFLICT(event_id) "
            "DO UPDATE SET attempts = attempts + 1, at = excluded.at",
            (event_id, subject, time.time()),
        )

    def finish(self, event_id: str, outcome: Outcome) -> None:
        self.db.execute(
            "UPDATE delivery SET state = ?, detail = ?, at = ? WHERE event_id = ?",
            (outcome.state, outcome.detail, time.time(), event_id),
        )

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, COUNT(*) FROM delivery GROUP BY state")
        return {state: n for state, n in rows}

    def close(self) -> None:
        self.db.close()


Deliver = Callable[[Decision, bool], Awaitable[Outcome]]


@dataclass
class _Item:
    decision: Decision
    topic: str
    partition: int
    offset: int
    raw: bytes


def subject_of(decision: Decision) -> str:
    values = decision.as_dict()
    return str(values.get("lead_id") or values.get("pool") or decision.type)


class DecisionConsumer:
    """Reads `topics` in consumer group `group`; hands each decision of `types` to `deliver`
    once (see the module's docstring); dead-letters what cannot be delivered."""

    def __init__(
        self, stream: StreamSettings, group: str, topics: list[str], types: frozenset[str],
        log_: DeliveryLog, deliver: Deliver, concurrency: int = 16,
        session_timeout_s: float = 10.0, stage: str = "sink",
    ) -> None:  # fmt: skip
        self.stream, self.group, self.topics, self.types = stream, group, topics, types
        self.log, self.deliver, self.stage = log_, deliver, stage
        self.gate = asyncio.Semaphore(concurrency)
        self.session_timeout_s = session_timeout_s
        self.done: dict[str, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        kwargs = self.stream.aiokafka_kwargs()
        timeout_ms = int(self.session_timeout_s * 1000)
        consumer = AIOKafkaConsumer(
            *self.topics, **kwargs, group_id=self.group, enable_auto_commit=False,
            auto_offset_reset="earliest", session_timeout_ms=timeout_ms,
            heartbeat_interval_ms=max(1000, timeout_ms // 4),
        )  # fmt: skip
        producer = AIOKafkaProducer(**kwargs, acks="all", enable_idempotence=True)
        try:
            await producer.start()
            await consumer.start()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=2000)
                items: list[_Item] = []
                for tp, records in batch.items():
                    for record in records:
                        raw = record.value or b""
                        item = self._item(raw, tp.topic, tp.partition, record.offset)
                        if isinstance(item, _Item):
                            items.append(item)
                        elif item is not None:
                            await self._dead(producer, raw, tp.topic, tp.partition,
                                             record.offset, "", item)  # fmt: skip
                if items:
                    await self._deliver_all(producer, items)
                if batch:
                    try:
                        await consumer.commit()
                    except CommitFailedError as exc:  # a rebalance: the records say what was done
                        log.warning("offsets not committed (%s); they will be read again", exc)
        finally:
            await consumer.stop()
            await producer.stop()

    def _item(self, raw: bytes, topic: str, partition: int, offset: int) -> _Item | str | None:
        """The decision to deliver; None if it is of another type; why, if it is none."""
        try:
            decision = parse_decision(raw)
        except EventError as exc:
            return f"not a decision: {exc}"
        if decision.type not in self.types:
            return None
        return _Item(decision, topic, partition, offset, raw)

    async def _deliver_all(self, producer: AIOKafkaProducer, items: list[_Item]) -> None:
        chains: dict[str, list[_Item]] = {}
        for item in items:
            chains.setdefault(subject_of(item.decision), []).append(item)
        await asyncio.gather(*(self._chain(producer, s, c) for s, c in chains.items()))

    async def _chain(self, producer: AIOKafkaProducer, subject: str, items: list[_Item]) -> None:
        async with self.gate:
            for item in items:
                event_id = item.decision.event_id
                state = self.log.state(event_id)
                if state in FINISHED:
                    continue
                self.log.begin(event_id, subject)
                outcome = await self.deliver(item.decision, state == "sending")
                if outcome.state == "dead":
                    await self._dead(producer, item.raw, item.topic, item.partition,
                                     item.offset, event_id, outcome.detail)  # fmt: skip
                self.log.finish(event_id, outcome)
                self.done[outcome.state] = self.done.get(outcome.state, 0) + 1

    async def _dead(
        self, producer: AIOKafkaProducer, raw: bytes, topic: str, partition: int, offset: int,
        event_id: str, reason: str,
    ) -> None:  # fmt: skip
        headers = [
            ("leadflow.reason", reason.encode()),
            ("leadflow.topic", topic.encode()),
            ("leadflow.partition", str(partition).encode()),
            ("leadflow.offset", str(offset).encode()),
            ("leadflow.stage", self.stage.encode()),
        ]
        if event_id:
            headers.append(("leadflow.event_id", event_id.encode()))
        log.warning("dead-lettered %s (%s:%d@%d): %s", event_id, topic, partition, offset, reason)
        await producer.send_and_wait(self.stream.topic_deadletter, raw, headers=headers)


__all__ = ["FINISHED", "DecisionConsumer", "DeliveryLog", "Outcome", "subject_of"]

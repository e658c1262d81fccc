"""The lead stage's inputs in event-time order across its partitions (docs/worker.md,
"Ordering").

Kafka orders messages within a partition only. The lead stage holds each partition's
parsed inputs in a buffer and releases the head with the smallest event-time key
(`routing.order`: `at`, then `event_id`) once every other partition it holds either has
an input waiting (the head of each partition's buffer is compared: the smallest goes), or
is known to be caught up. This is Kafka Streams' rule for a task's partitions
(`max.task.idle.ms`, KIP-695), on the consumer's fetched lag (the high watermark its last
fetch reported minus its position):

- lag unknown (not fetched yet) or above 0 (records on the broker not delivered yet): the
  partition holds the head back, however long fetching takes. A backlog (a bulk load, a
  backfill, a catch-up after a restart) is therefore merged the same way whatever the
  fetch batching: only the partitions' own sequences decide.
- lag 0 (caught up to its high watermark): the partition does not hold the head back,
  unless `idle_s` is above 0; then it holds it for up to `idle_s` (counted from when it
  started to), or until it shows a later key.

Each partition's inputs are released in offset order; an input that is behind its own
partition (a late event) is released when it reaches the head, and the core's late-event
rule applies to it. `late` counts the inputs released behind the merged time (the largest
key released before them): late in their partition, or passed at the live edge. Inputs
that are not events (`key` None) decide nothing and go at once.

Nothing here reads a clock or a consumer: `pop` takes the time and the lags.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from routing.order import FIRST, OrderKey


@dataclass(slots=True)
class Pending:
    key: OrderKey | None  # None: not an event (dead-lettered, decides nothing)
    partition: int
    parsed: Any  # the parsed event, or the lead stage's `Invalid`
    msg: Any  # the consumer record


class EventTimeMerge:
    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        self.buffers: dict[int, deque[Pending]] = {}
        self.shown: dict[int, OrderKey] = {}  # the latest key each partition has shown
        self.waiting: dict[int, float] = {}  # since when a caught-up partition holds the head
        self.released = FIRST  # the largest key released so far (the merged time)
        self.late = 0  # inputs released behind `released`

    def add(self, partition: int, items: Iterable[Pending]) -> None:
        buffer = self.buffers.setdefault(partition, deque())
        shown = self.shown.get(partition, FIRST)
        last = None
        for item in items:
            buffer.append(item)
            if item.key is not None and item.key > shown:
                shown = item.key
            last = item
        if last is not None:
            self.shown[partition] = shown
            self.waiting.pop(partition, None)

    def held(self) -> int:
        return sum(len(b) for b in self.buffers.values())

    def drop(self, partitions: Iterable[int]) -> None:
        """Forget what is buffered for `partitions` (they moved: their next owner reads
        them again from the committed offset, which is at most the first one held)."""
        for p in partitions:
            self.buffers.pop(p, None)
            self.shown.pop(p, None)
            self.waiting.pop(p, None)

    def pop(self, now: float, lags: Mapping[int, int | None]) -> Pending | None:
        """The next input in event-time order, or None while it must wait. `lags`: for
        every partition held, its fetched lag (None: not known yet)."""
        best: Pending | None = None
        for buffer in self.buffers.values():
            if not buffer:
                continue
            head = buffer[0]
            if head.key is None:
                return buffer.popleft()
            if best is None or (head.key, head.partition) < (best.key, best.partition):
                best = head
        if best is None:
            return None
        key = best.key
        assert key is not None
        for p, lag in lags.items():
            if p == best.partition or self.buffers.get(p):
                continue
            if lag is None or lag > 0:
                return None  # records are on their way (or not asked for yet): wait
            if self.idle_s <= 0 or self.shown.get(p, FIRST) >= key:
                continue  # caught up: it does not hold the others (Kafka Streams' default)
            since = self.waiting.setdefault(p, now)
            if now - since < self.idle_s:
                return None
        if key < self.released:
            self.late += 1
        else:
            self.released = key
        return self.buffers[best.partition].popleft()

"""The lead stage's inputs in event-time order across its partitions (docs/worker.md,
"Ordering").

Kafka orders messages within a partition only. The lead stage holds each partition's
parsed inputs in a buffer and releases the one with the smallest event-time key
(`routing.order`: `at`, then `event_id`) once every other partition it holds has either
an input waiting (a later one, since this is the smallest), or has shown a later key
already, or has been quiet for `idle_s` while it was the one holding the head back (the
way Kafka Streams synchronises partitions with `max.task.idle.ms`). A partition known to
have more records than it delivered (its fetched high watermark is ahead of the
consumer's position), or not fetched yet, always holds the head back: a backlog is
merged exactly, however long it takes to fetch. Each
partition's inputs are released in offset order; an input that is behind its own
partition (a late event) is released when it reaches the head, and the core's late-event
rule applies to it. Inputs that are not events (`key` None) decide nothing and go at once.

Nothing here reads a clock: `pop` takes the time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
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
        self.waiting: dict[int, float] = {}  # since when a quiet partition holds the head

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

    def pop(
        self, now: float, assigned: Iterable[int], behind: Callable[[int], bool]
    ) -> Pending | None:
        """The next input in event-time order, or None while it must wait."""
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
        for p in assigned:
            if p == best.partition or self.buffers.get(p) or self.shown.get(p, FIRST) >= key:
                continue
            if behind(p):
                return None  # records are on their way (or not asked for yet): wait
            since = self.waiting.setdefault(p, now)
            if now - since < self.idle_s:
                return None
        return self.buffers[best.partition].popleft()

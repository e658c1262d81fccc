"""Event-time order: the one order rule shared by `leadflow replay` of a file and the
worker's lead stage merging its input partitions (docs/worker.md, "Ordering").

Events are ordered by their own time `at`, then by `event_id` (a tiebreak both can see:
the worker does not know a file's line order, and Kafka timestamps have milliseconds
only). A re-sent event (same `event_id`, same `at`) ties with its first copy; a stable
sort keeps the two in their input order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from typing import TypeVar

from routing.errors import EventError
from routing.events import InputEvent, parse_event
from routing.outputs import epoch

OrderKey = tuple[float, str]
L = TypeVar("L", bytes, str)
FIRST: OrderKey = (float("-inf"), "")


def order_key(at_s: float, event_id: str) -> OrderKey:
    """Where an event stands in event-time order: its `at` (epoch seconds), then its id."""
    return (at_s, event_id)


def event_order_key(event: InputEvent) -> OrderKey:
    return order_key(epoch(event.at), event.event_id)


def in_event_time_order(lines: Sequence[L]) -> list[L]:
    """The lines stable-sorted by `order_key`; a blank line or one that is not an event
    keeps its place after the line before it (it decides nothing but a rejection)."""
    return [lines[i] for i in event_time_permutation(lines)]


def event_time_permutation(lines: Iterable[bytes | str]) -> list[int]:
    """The indices of `lines` in event-time order (see `in_event_time_order`)."""
    keyed: list[tuple[OrderKey, int]] = []
    last = FIRST
    for i, line in enumerate(lines):
        if line.strip():
            with suppress(EventError):
                last = event_order_key(parse_event(line))
        keyed.append((last, i))
    keyed.sort()
    return [i for _, i in keyed]

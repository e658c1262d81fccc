"""Ingest's memory of accepted event ids, and its rate limit (token buckets)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


class Seen:
    """The last `size` event ids accepted, oldest forgotten first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        if self.size <= 0:
            return
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)

    def discard(self, event_id: str) -> None:
        self._ids.pop(event_id, None)


class Buckets:
    """A token bucket per client: `rate` events/s sustained, up to `burst` at once."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, client: str, n: int) -> float:
        """Take `n` tokens: 0.0 if granted, else the seconds until they would be."""
        now = self.clock()
        tokens, last = self._state.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if n > tokens:
            self._state[client] = (tokens, now)
            return (n - tokens) / self.rate if n <= self.burst else float("inf")
        self._state[client] = (tokens - n, now)
        return 0.0


__all__ = ["Buckets", "Seen"]

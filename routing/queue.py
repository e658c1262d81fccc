"""A pool's waiting queue, ordered by the policy's `queue_order` (surge may put score first).

Entries are removed lazily: each lead carries a `queue_token`; an entry whose token no
longer matches is stale and skipped.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any, Final

from mypy_extensions import mypyc_attr

from routing.lead import Lead

SortKey = tuple[Any, ...]
Entry = tuple[SortKey, int, int, Lead]  # sort key, sequence, token when pushed, lead
#: The lead attributes a queue order reads (beside the lead's tier and mql_at): what the
#: pool side of the engine needs of a lead's fields (routing.sink).
ROUTING_FIELDS: Final = ("score", "fit")
# Compiled (mypyc), a module's attribute is a lookup at each use, a Final name a C static.
heappush: Final = heapq.heappush
heappop: Final = heapq.heappop
_KEYS: Final[dict[str, Callable[[Lead], Any]]] = {
    "tier": lambda lead: lead.tier_index,
    "score_desc": lambda lead: -(lead.fields.get("score") or 0),
    "score_asc": lambda lead: lead.fields.get("score") or 0,
    "fit_desc": lambda lead: -(lead.fields.get("fit") or 0),
    "mql_at": lambda lead: lead.mql_at,
    "mql_at_desc": lambda lead: -(lead.mql_at or 0.0),
}


@mypyc_attr(serializable=True)
class OrderKey:
    """The sort key of a queue order. A class holding names, not a closure: compiled
    (mypyc), a closure cannot be pickled, and the worker's snapshots pickle the queues."""

    def __init__(self, order: Sequence[str]) -> None:
        self.order = tuple(order)
        for name in self.order:
            if name not in _KEYS:
                raise KeyError(name)

    def __call__(self, lead: Lead) -> SortKey:
        return tuple(_KEYS[name](lead) for name in self.order)


def order_key(order: Sequence[str]) -> Callable[[Lead], SortKey]:
    return OrderKey(order)


@mypyc_attr(serializable=True)
class PoolQueue:
    """Leads waiting for a rep of one pool, best first."""

    __slots__ = ("_heap", "_key", "_seq", "depth", "leads")

    def __init__(self, key: Callable[[Lead], SortKey]) -> None:
        self._key = key
        self._heap: list[Entry] = []
        self._seq = 0
        self.leads: dict[str, Lead] = {}
        self.depth = 0  # waiting leads with no owner (pending reassignments keep theirs)

    def push(self, lead: Lead) -> None:
        self._seq += 1
        lead.queue_token = self._seq
        self.leads[lead.id] = lead
        if lead.owner is None:
            self.depth += 1
        heappush(self._heap, (self._key(lead), self._seq, self._seq, lead))

    def discard(self, lead: Lead) -> None:
        if self.leads.pop(lead.id, None) is not None:
            if lead.owner is None:
                self.depth -= 1
            lead.queue_token = 0

    def waiting(self) -> Walk:
        """Live entries, best first, lazily (`Walk`)."""
        return Walk(self._heap)

    def reorder(self, key: Callable[[Lead], SortKey]) -> None:
        self._key = key
        self._heap = [
            (key(entry[3]), entry[1], entry[2], entry[3])
            for entry in self._heap
            if entry[3].queue_token == entry[2]
        ]
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self.leads)



class Walk:
    """The live entries of a queue, best first, lazily: `next()` gives a lead (None at the
    end); the caller may place (discard) the lead it was given, or stop early; `close()`
    puts back the entries it passed over, and must be called (in a `finally`).

    A class with plain methods, not a generator: compiled (mypyc), a generator is resumed
    through Python's iterator protocol and closed by a Python method call that throws
    GeneratorExit into it (~5k instructions), a native method is a direct call."""

    __slots__ = ("entry", "heap", "passed")

    def __init__(self, heap: list[Entry]) -> None:
        self.heap = heap
        self.passed: list[Entry] = []
        self.entry: Entry | None = None  # the one last given

    def next(self) -> Lead | None:
        heap = self.heap
        given = self.entry
        if given is not None:
            self.entry = None
            # Compare sequence numbers, not identity: compiled (mypyc), a tuple is a value.
            if heap and heap[0][1] == given[1] and given[3].queue_token == given[2]:
                self.passed.append(heappop(heap))  # still waiting: look further
        while heap:
            entry = heap[0]
            lead = entry[3]
            if lead.queue_token != entry[2]:
                heappop(heap)
                continue
            self.entry = entry
            return lead
        return None

    def close(self) -> None:
        heap = self.heap
        for entry in self.passed:
            heappush(heap, entry)
        self.passed = []

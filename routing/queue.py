"""A pool's waiting queue, ordered by the policy's `queue_order` (surge may put score first).

Entries are removed lazily: each lead carries a `queue_token`; an entry whose token no
longer matches is stale and skipped.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Generator, Sequence
from typing import Any, Final

from mypy_extensions import mypyc_attr

from routing.lead import Lead

SortKey = tuple[Any, ...]
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
        self._heap: list[tuple[SortKey, int, int, Lead]] = []
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

    def waiting(self) -> Generator[Lead, None, None]:
        """Live entries, best first, lazily: the caller may place (discard) the lead it was
        given, or stop early; entries it passed over are put back when it stops."""
        heap = self._heap
        passed: list[tuple[SortKey, int, int, Lead]] = []
        try:
            while heap:
                entry = heap[0]
                lead = entry[3]
                if lead.queue_token != entry[2]:
                    heappop(heap)
                    continue
                yield lead
                # Compare sequence numbers, not identity: compiled (mypyc), a tuple is a value.
                if heap and heap[0][1] == entry[1] and lead.queue_token == entry[2]:
                    passed.append(heappop(heap))  # still waiting: look further
        finally:
            for entry in passed:
                heappush(heap, entry)

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

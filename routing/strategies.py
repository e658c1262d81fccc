"""Assignment strategies: the order in which a pool offers its reps a lead.

Each strategy keeps its reps in preference order; the router walks that order and
takes the first rep who can take the lead. Ties are broken by roster order, never by
set or dict order, so the same input always gives the same choice.
"""

from __future__ import annotations

import bisect
from typing import Any, Final

from mypy_extensions import mypyc_attr

from routing.reps import ACCEPTING, RepState


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Strategy:
    """What the router asks of a strategy. A base class, not a Protocol: compiled (mypyc),
    a method of a native class is a call through its vtable, a Protocol's a Python call."""

    name = ""

    def add(self, rep: RepState) -> None:
        raise NotImplementedError

    def remove(self, rep: RepState) -> None:
        raise NotImplementedError

    def candidates(self) -> list[RepState]:
        """The pool's reps in preference order (the caller does not change the list)."""
        raise NotImplementedError

    def picked(self, rep: RepState) -> None:
        """The rep was given a lead of this pool."""
        raise NotImplementedError

    def load_changed(self, rep: RepState) -> None:
        """The rep's load or status changed (a lead of another pool, a release)."""
        raise NotImplementedError

    def rank(self, rep: RepState) -> tuple[float, ...]:
        """The rep's place in the order, as a sort key."""
        raise NotImplementedError


# A least-loaded key packs (away, open leads, last assignment, roster order) into one int,
# each part in _BITS bits: ints compare in one step where the tuple compared part by part.
_BITS: Final = 40
_LIMIT: Final = 1 << _BITS
# Compiled (mypyc), a name imported from a module is a dict lookup at each use, a Final
# one a C static.
bisect_left: Final = bisect.bisect_left
bisect_right: Final = bisect.bisect_right


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class LeastLoaded(Strategy):
    """Fewest open leads first; then the longest since their last assignment; then roster.
    Reps who are not available (away, offline, PTO) are kept at the back."""

    name = "least_loaded"

    def __init__(self) -> None:
        self._sorted: list[int] = []  # keys, kept sorted (bisect)
        self._order: list[RepState] = []  # the reps, in the order of their keys
        self._keys: dict[str, int] = {}

    @staticmethod
    def _key(rep: RepState) -> int:
        """The order of (rep.status != available, len(rep.open), rep.last_assigned,
        rep.order), as one int."""
        last, order = rep.last_assigned, rep.order
        if not (0 <= last < _LIMIT and 0 <= order < _LIMIT):
            raise OverflowError(f"rep {rep.id}: sequence {last} or order {order} out of range")
        away = 0 if rep.status == ACCEPTING else 1
        return (((away << _BITS | len(rep.open)) << _BITS | last) << _BITS) | order

    def add(self, rep: RepState) -> None:
        key = self._key(rep)
        self._keys[rep.id] = key
        _insert(self._sorted, self._order, key, rep)

    def remove(self, rep: RepState) -> None:
        key = self._keys.pop(rep.id, None)
        if key is not None:
            _remove(self._sorted, self._order, key)

    def candidates(self) -> list[RepState]:
        return self._order

    def load_changed(self, rep: RepState) -> None:
        old = self._keys.get(rep.id)
        if old is None:
            return
        new = self._key(rep)
        if new != old:
            _remove(self._sorted, self._order, old)
            _insert(self._sorted, self._order, new, rep)
            self._keys[rep.id] = new

    def picked(self, rep: RepState) -> None:
        self.load_changed(rep)

    def rank(self, rep: RepState) -> tuple[float, ...]:
        return (self._keys[rep.id],)


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class RoundRobin(Strategy):
    """Each rep in roster order, one lead at a time, starting after the last one served."""

    name = "round_robin"

    def __init__(self) -> None:
        self._reps: list[RepState] = []
        self._next = 0

    def add(self, rep: RepState) -> None:
        self._reps.append(rep)
        self._reps.sort(key=lambda r: r.order)

    def remove(self, rep: RepState) -> None:
        index = self._reps.index(rep)
        self._reps.pop(index)
        if index < self._next:
            self._next -= 1

    def candidates(self) -> list[RepState]:
        reps = self._reps
        start = self._next % len(reps) if reps else 0
        return reps[start:] + reps[:start]

    def picked(self, rep: RepState) -> None:
        self._next = self._reps.index(rep) + 1

    def rank(self, rep: RepState) -> tuple[float, ...]:
        n = len(self._reps)
        return ((self._reps.index(rep) - self._next) % n,)

    def load_changed(self, rep: RepState) -> None:
        return None


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class WeightedRoundRobin(Strategy):
    """Leads in proportion to weight, by stride scheduling with start-time fairness.

    Each rep has a virtual finish time `pass`; the smallest goes first and advances by
    1/weight. A rep who was away (PTO, offline, off shift, at capacity) does not bank
    credit: when served, its pass starts no earlier than the pool's virtual time, so a
    rep back from PTO gets its share from then on instead of a burst to catch up.
    """

    name = "weighted_round_robin"

    def __init__(self) -> None:
        self._sorted: list[tuple[float, int]] = []  # (pass, roster order), kept sorted
        self._order: list[RepState] = []  # the reps, in that order
        self._pass: dict[str, float] = {}
        self._vtime = 0.0

    def add(self, rep: RepState) -> None:
        start = self._pass.get(rep.id, self._vtime)
        self._pass[rep.id] = start
        _insert(self._sorted, self._order, (start, rep.order), rep)

    def remove(self, rep: RepState) -> None:
        start = self._pass.pop(rep.id, None)
        if start is not None:
            _remove(self._sorted, self._order, (start, rep.order))

    def candidates(self) -> list[RepState]:
        return self._order

    def picked(self, rep: RepState) -> None:
        old = self._pass[rep.id]
        start = max(old, self._vtime)
        self._vtime = start
        new = start + 1.0 / rep.weight
        _remove(self._sorted, self._order, (old, rep.order))
        _insert(self._sorted, self._order, (new, rep.order), rep)
        self._pass[rep.id] = new

    def rank(self, rep: RepState) -> tuple[float, ...]:
        return (self._pass[rep.id], rep.order)

    def load_changed(self, rep: RepState) -> None:
        return None


def _insert(keys: list[Any], reps: list[RepState], key: Any, rep: RepState) -> None:
    """Put KEY in the sorted KEYS, and REP at the same place in REPS."""
    index = bisect_right(keys, key)
    keys.insert(index, key)
    reps.insert(index, rep)


def _remove(keys: list[Any], reps: list[RepState], key: Any) -> None:
    index = bisect_left(keys, key)
    if index < len(keys) and keys[index] == key:
        del keys[index]
        del reps[index]


STRATEGIES: Final[dict[str, type[Strategy]]] = {
    "least_loaded": LeastLoaded,
    "round_robin": RoundRobin,
    "weighted_round_robin": WeightedRoundRobin,
}


def make_strategy(name: str) -> Strategy:
    return STRATEGIES[name]()

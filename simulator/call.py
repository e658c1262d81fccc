"""A pre-triggered SimPy event, for the driver to push straight onto SimPy's schedule.

Kept apart from `simulator.driver` and interpreted: it subclasses SimPy's `Event`, which a
mypyc native class cannot.
"""

from __future__ import annotations

from collections.abc import Callable

from simpy.events import Event


class Call(Event):
    """A SimPy event that is already triggered and only runs FN: what `env.step` needs
    (`callbacks`, `_ok`), without `Event.__init__`'s bookkeeping."""

    __slots__ = ()

    def __init__(self, fn: Callable[[Event], None], then: Callable[[Event], None]) -> None:
        self.callbacks = [fn, then]
        self._ok = True


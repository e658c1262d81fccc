"""What the driver puts on SimPy's schedule: a pre-triggered event that only runs its two
callbacks.

Compiled (a native class): a SimPy `Event` carries an instance dict, and building one
(`__new__`, `__init__`, two attributes) costs about as much as the rest of a push. `Call`
has what `Environment.step` reads of an event and nothing else (`callbacks`, `_ok`), so
SimPy steps it like its own; the driver's loop reads `callbacks` off the struct.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: A callback: called with the event (SimPy's convention), its result ignored.
Callback = Callable[[Any], None]


class Call:
    """Triggered and ok: stepping it runs FN, then THEN."""

    __slots__ = ("_ok", "callbacks")

    def __init__(self, fn: Callback, then: Callback) -> None:
        self.callbacks: list[Callback] | None = [fn, then]
        self._ok = True

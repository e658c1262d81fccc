"""`Tally`: a `collections.Counter` whose item assignment is the dict's own.

`Counter` defines `__delitem__` in Python, so CPython routes every `counter[key] = n`
(and so every `counter[key] += 1`) through a Python-level slot that looks `__setitem__`
up by name and calls it (about 1,000 machine instructions compiled, against about 250
for a dict). Naming the dict's own `__setitem__` and `__delitem__` here gives the type
the dict's C slot back. A missing key still counts 0 (`Counter.__missing__`); deleting a
missing key raises `KeyError`, as for a dict. Not compiled (mypyc cannot subclass it).
"""

from __future__ import annotations

from collections import Counter
from typing import TypeVar

K = TypeVar("K")


class Tally(Counter[K]):
    __slots__ = ()
    __setitem__ = dict.__setitem__
    __delitem__ = dict.__delitem__  # type: ignore[assignment]  # (KeyError when missing)

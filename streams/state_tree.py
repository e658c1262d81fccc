"""A stage's state as a tree of plain values by field name, and back (docs/state-format.md).

The state of a stage (the pool stage's `Engine`, the lead stage's `DeskHost`) is a graph of
objects: leads, clocks, reps, queues, counters. Some of it comes from the policy and team
(the calendar, compiled conditions, windows, formats): rebuilt from the policy by the
reader, never written. The rest is state, written as:

- plain values (None, bool, int, float, str, bytes, tuple, list, dict, set, frozenset and
  `datetime`'s date, time, datetime, timedelta, timezone), as they are;
- a **node** per state object: its kind (a stable name of `streams.state_kinds.KINDS`,
  not a Python path) and its fields by name;
- a **value** for a few value types (`state_kinds.VALUES`): kind and data (a counter's
  items, a calendar's time zone, hours and holidays, a zone's key);
- a **ref** for an object made from the policy: its path (attribute names and keys) in a
  stage freshly built from the policy (`template`), where the reader finds it.

The tree is stored with pickle's protocol 5, whose only names are the four constructors
below (`_new` + `_fill` for nodes, `_value`, `_ref`) and `datetime`'s types: a reader
(`loads`) refuses any other name. Shared objects and cycles (the engine is its desk's
sink) stay shared. The reading and writing run in C but for one Python call per object.

`loads(..., tree=True)` gives the tree itself (`Node`, `Value`, `Ref`) for migrations
(streams.state_format), and `dumps_tree` writes it back.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import pickle
import types
from collections import Counter, deque
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from routing.calendar import BusinessCalendar
from routing.tally import Tally
from streams.state_kinds import (
    _KIND_OF,
    _PLAIN,
    _VALUE_OF,
    KINDS,
    POLICY_MADE,
    VALUES,
    StateFormatError,
    _calendar_data,
    _native,
    fields,
    register,
)

__all__ = ["KINDS", "POLICY_MADE", "VALUES", "StateFormatError", "fields", "register"]

Path = tuple[Any, ...]  # attribute names (str) and keys ((key,): a 1-tuple)


def _children(obj: Any) -> Iterator[tuple[Any, Any]]:
    t = type(obj)
    if t is dict:
        for key, value in obj.items():
            if type(key) in (str, int, float):
                yield (key,), value
    elif t in (list, tuple):
        for i, value in enumerate(obj):
            yield (i,), value
    elif isinstance(obj, BaseModel):
        yield from vars(obj).items()
    elif not isinstance(obj, _LEAVES) and t not in _VALUE_OF:
        yield from fields(obj).items()


_LEAVES = (
    type,
    set,
    frozenset,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    functools.partial,
)
_STATE_VALUES = (Tally, Counter)  # values that are state, never taken from the template
_ATOMS = (type(None), bool, int, float, str, bytes)


def derived_paths(template: Any) -> list[tuple[Path, Any]]:
    """Every object of a freshly built stage that is made from the policy (not a state
    kind, not a plain value), at its shortest path, in a deterministic order."""
    seen = {id(template)}
    queue: deque[tuple[Path, Any]] = deque([((), template)])
    out: list[tuple[Path, Any]] = []
    while queue:
        path, obj = queue.popleft()
        for step, child in _children(obj):
            if isinstance(child, _ATOMS) or id(child) in seen or isinstance(child, type):
                continue
            seen.add(id(child))
            where = (*path, step)
            t = type(child)
            if t in _PLAIN or isinstance(child, _STATE_VALUES):
                continue
            if t not in _KIND_OF and t not in (dict, list, tuple, set, frozenset):
                if not isinstance(child, (*POLICY_MADE, *_LEAVES)):
                    raise StateFormatError(
                        f"a fresh stage holds a {t.__module__}.{t.__qualname__} at {where}: "
                        "add its class to state_tree.KINDS (state) or POLICY_MADE (made "
                        "from the policy), docs/state-format.md"
                    )
                out.append((where, child))
            queue.append((where, child))
    return out


def resolve(root: Any, path: Path) -> Any:
    obj = root
    for step in path:
        obj = obj[step[0]] if isinstance(step, tuple) else getattr(obj, step)
    return obj


def _same(live: Any, made: Any) -> bool:
    if type(live) is not type(made):
        return False
    if isinstance(live, BusinessCalendar):  # a rep's hours may change (rep.upserted)
        return bool(_calendar_data(live) == _calendar_data(made))
    return True


def derived_in(live: Any, template: Any) -> dict[int, Path]:
    """id -> path of the objects of `live` that a stage built from the policy has too."""
    out: dict[int, Path] = {}
    for path, made in derived_paths(template):
        try:
            obj = resolve(live, path)
        except (AttributeError, KeyError, IndexError, TypeError):
            continue
        if id(obj) not in out and _same(obj, made):
            out[id(obj)] = path
    return out


# --- the constructors named in the stream ------------------------------------------------
def _new(kind: str) -> Any:
    cls: Any = KINDS[kind]
    return cls.__new__(cls)


def _fill(obj: Any, values: dict[str, Any]) -> None:  # `set_fields`, without a call more
    native = _native(type(obj))
    if native is not None:
        native[1](obj, values)
        return
    for name, value in values.items():
        object.__setattr__(obj, name, value)


def _value(kind: str, data: Any) -> Any:
    return VALUES[kind][2](data)


def _ref(path: Path) -> Any:  # only a name: `loads` resolves it in its template
    raise StateFormatError("a ref is resolved by the reader")


_TOKENS = {f.__name__: f for f in (_new, _fill, _value, _ref)}


class _Writer(pickle.Pickler):
    def __init__(self, fh: io.BytesIO, derived: dict[int, Path]) -> None:
        super().__init__(fh, protocol=5)
        self.derived = derived

    def reducer_override(self, obj: Any) -> Any:
        t = type(obj)
        path = self.derived.get(id(obj))
        if path is not None:
            return _ref, (path,)
        kind = _KIND_OF.get(t)
        if kind is not None:
            return _new, (kind,), fields(obj), None, None, _fill
        value = _VALUE_OF.get(t)
        if value is not None:
            return _value, (value[0], value[1](obj))
        if t in _PLAIN or (isinstance(obj, type) and obj in _PLAIN):
            return NotImplemented
        if any(obj is token for token in _TOKENS.values()):
            return NotImplemented
        raise StateFormatError(
            f"cannot write the state: a {t.__module__}.{t.__qualname__} is neither a kind "
            "of the state format nor made from the policy"
        )


def dumps(state: Any, template: Any) -> bytes:
    """`state` as a tree; what it shares with `template` (a stage built from the same
    policy and team) as refs."""
    fh = io.BytesIO()
    _Writer(fh, derived_in(state, template)).dump(state)
    return fh.getvalue()


# --- the tree, for migrations ------------------------------------------------------------
class Node:
    """A state object in the tree: its kind and its fields by name."""

    __slots__ = ("fields", "kind")

    def __init__(self, kind: str, values: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.fields: dict[str, Any] = {} if values is None else values

    def __repr__(self) -> str:
        return f"Node({self.kind!r}, {sorted(self.fields)})"


class Value:
    __slots__ = ("data", "kind")

    def __init__(self, kind: str, data: Any) -> None:
        self.kind, self.data = kind, data


class Ref:
    __slots__ = ("path",)

    def __init__(self, path: Path) -> None:
        self.path = path


def _node_fill(node: Node, values: dict[str, Any]) -> None:
    node.fields = values


class _Reader(pickle.Unpickler):
    def __init__(self, data: bytes, names: dict[str, Any]) -> None:
        super().__init__(io.BytesIO(data))
        self.names = names

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name in self.names:
            return self.names[name]
        if module == "datetime" and name in {c.__name__ for c in _PLAIN}:
            return getattr(dt, name)
        raise StateFormatError(f"not a leadflow state: it names {module}.{name}")


def loads(data: bytes, template: Any) -> Any:
    """The state a tree holds, built on `template`'s objects made from the policy."""
    names = {**_TOKENS, "_ref": lambda path: resolve(template, path)}
    return _Reader(data, names).load()


def loads_tree(data: bytes) -> Any:
    """The tree itself: `Node`, `Value`, `Ref` and plain values."""
    names = {"_new": Node, "_fill": _node_fill, "_value": Value, "_ref": Ref}
    return _Reader(data, names).load()


class _TreeWriter(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        t = type(obj)
        if t is Node:
            return _new, (obj.kind,), obj.fields, None, None, _fill
        if t is Value:
            return _value, (obj.kind, obj.data)
        if t is Ref:
            return _ref, (obj.path,)
        return NotImplemented


def dumps_tree(tree: Any) -> bytes:
    fh = io.BytesIO()
    _TreeWriter(fh, protocol=5).dump(tree)
    return fh.getvalue()


def nodes(tree: Any, kind: str | None = None) -> Iterator[Node]:
    """Every node of a tree (of `kind`), each once, parents before children."""
    seen: set[int] = set()
    stack = [tree]
    while stack:
        obj = stack.pop()
        t = type(obj)
        if t is Node:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if kind is None or obj.kind == kind:
                yield obj
            stack.extend(obj.fields.values())
        elif t in (list, tuple, set, frozenset):
            stack.extend(obj)
        elif t is dict:
            stack.extend(obj.values())

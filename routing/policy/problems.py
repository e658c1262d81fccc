"""Reading YAML and turning validation failures into precise problems.

Every problem names the file, the line (where the YAML has one), the key path as written
(`tiers[1].first_touch.within`), the value found and what was expected. Used by
:mod:`routing.policy.loader`; not a public API.
"""

from __future__ import annotations

import difflib
import re
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from routing.errors import MISSING, PolicyError, PolicyProblem

M = TypeVar("M", bound=BaseModel)
Loc = tuple[Any, ...]


# ---------------------------------------------------------------------------- YAML


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(
            [PolicyProblem(str(path), "", str(path), f"a readable file ({exc.strerror})")]
        ) from None
    except UnicodeDecodeError as exc:
        raise PolicyError([_encoding_problem(path, exc)]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise PolicyError([_syntax_problem(path, text, exc)]) from None
    if root is None:
        raise PolicyError(
            [PolicyProblem(str(path), "", None, "a YAML mapping, but the file is empty")]
        )
    problems = _duplicate_keys(root, (), str(path))
    if problems:
        raise PolicyError(problems)
    try:
        raw = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise PolicyError([_scalar_problem(path, root, exc)]) from None
    return raw, root


def _encoding_problem(path: Path, exc: UnicodeDecodeError) -> PolicyProblem:
    """Bytes that are not UTF-8 (a Latin-1 file, a binary file): say where."""
    data = exc.object
    line = data.count(b"\n", 0, exc.start) + 1
    if b"\x00" in data[:1024]:
        return PolicyProblem(str(path), "", "binary data", "a YAML text file", line)
    bad = data[exc.start : exc.start + 4]
    return PolicyProblem(str(path), "", bad, "UTF-8 text (save the file as UTF-8)", line)


def _syntax_problem(path: Path, text: str, exc: yaml.YAMLError) -> PolicyProblem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None:
        problem = f"{problem}, {context} at line {context_mark.line + 1}"
    lines = text.splitlines()
    got = lines[line - 1].strip() if line is not None and 0 < line <= len(lines) else MISSING
    return PolicyProblem(str(path), "", got, f"valid YAML ({problem})", line)


def _scalar_problem(path: Path, root: yaml.Node, exc: Exception) -> PolicyProblem:
    """A scalar YAML could parse but not build (e.g. the date 2026-13-01): find it."""
    constructor = yaml.SafeLoader("")
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop(0)
        if isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node)
            except Exception as err:  # reported with its location
                return PolicyProblem(
                    str(path),
                    path_text(loc),
                    node.value,
                    f"a valid {node.tag.rsplit(':', 1)[-1]} ({err})",
                    node.start_mark.line + 1,
                )
        elif isinstance(node, yaml.SequenceNode):
            stack[:0] = [(child, (*loc, i)) for i, child in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            stack[:0] = [(v, (*loc, k.value)) for k, v in node.value]
    return PolicyProblem(str(path), "", MISSING, f"valid YAML ({exc})")


def _duplicate_keys(node: yaml.Node, loc: Loc, file: str) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                if key.value in first_line:
                    problems.append(
                        PolicyProblem(
                            file,
                            path_text((*loc, key.value)),
                            key.value,
                            f"each key once (it is also at line {first_line[key.value]})",
                            line,
                        )
                    )
                first_line.setdefault(key.value, line)
            problems += _duplicate_keys(value, (*loc, key.value), file)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            problems += _duplicate_keys(child, (*loc, i), file)
    return problems


def wrap_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """A mapping node {key: node}, so that key paths of a bare list find their lines."""
    if node is None:
        return None
    key_node = yaml.ScalarNode("tag:yaml.org,2002:str", key, node.start_mark, node.start_mark)
    return yaml.MappingNode(
        "tag:yaml.org,2002:map", [(key_node, node)], node.start_mark, node.end_mark
    )


def line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """The 1-based line of the deepest node of `loc` found in the composed YAML."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    nxt = value
                    line = key.start_mark.line + 1
                    break
            if nxt is None:
                return line
            node = nxt
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


# ------------------------------------------------------------------- validation


def validate(
    model: type[M], raw: Any, file: str, root: yaml.Node | None = None, head: str | None = None
) -> M:
    """Validate RAW; on failure raise every problem. HEAD replaces the first key of each
    location (`reps` -> `team` for an inline list of reps; "" drops it)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(_problems(exc, model, raw, file, root, head)) from None


class _Abbrev:
    """A long value (a whole section) printed short in a problem."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        text = repr(self.value)
        return text if len(text) <= 100 else text[:96] + " ..."


def _problems(
    exc: ValidationError,
    model: type[BaseModel],
    raw: Any,
    file: str,
    root: yaml.Node | None,
    head: str | None,
) -> list[PolicyProblem]:
    found: list[tuple[Loc, bool, Any, str]] = []  # (loc, from a union branch, value, expected)
    for err in exc.errors(include_url=False):
        loc, branch = _clean_loc(err["loc"], raw)
        kind = err["type"]
        value: Any = err.get("input")
        if kind == "missing":
            value, expected = MISSING, "this key is required"
        elif kind == "extra_forbidden":
            value, expected = loc[-1], _unknown_key(model, loc)
        else:
            expected = _expectation(err["msg"])
            if kind in ("value_error", "assertion_error") and isinstance(value, dict | list):
                loc, value = _refine(loc, value, expected)  # a check over a whole section
            if isinstance(value, str | int | float):
                expected = expected.removesuffix(f", got {value!r}")  # printed anyway
        found.append((loc, branch, value, expected))
    # A union branch that failed deeper down says more than the others' type mismatches.
    deeper = {loc[:n] for loc, _, _, _ in found for n in range(len(loc))}
    # The branches that failed at the same place are one problem: "expected A or B"; a
    # branch that got past the type check ("a range needs `min`") beats bare type mismatches.
    typed = {loc for loc, branch, _, text in found if branch and not _mismatch(text)}
    merged: dict[tuple[Loc, int], tuple[Any, list[str]]] = {}
    for index, (loc, branch, value, expected) in enumerate(found):
        if branch and (loc in deeper or (loc in typed and _mismatch(expected))):
            continue
        _, texts = merged.setdefault((loc, -1 if branch else index), (value, []))
        if expected not in texts:
            texts.append(expected)
    problems = []
    for (loc, _), (value, texts) in merged.items():
        shown = loc
        if head is not None and loc and loc[0] == "reps":
            shown = (head, *loc[1:]) if head else loc[1:]
        expected = texts[0] + "".join(" or " + t.removeprefix("expected ") for t in texts[1:])
        if isinstance(value, dict | list):
            value = _Abbrev(value)
        line = line_of(root, shown if head else loc)  # head "": ROOT is wrapped, keeps `reps`
        problems.append(PolicyProblem(file, path_text(shown), value, expected, line))
    return problems


def _mismatch(expected: str) -> bool:
    """Pydantic's plain type mismatch, e.g. 'expected a valid integer'."""
    return expected.startswith("expected a valid ")


def _clean_loc(loc: Loc, raw: Any) -> tuple[Loc, bool]:
    """Drop pydantic's union-branch labels (`str`, `list[...]`, `Range`) from a location;
    also say whether there was one."""
    out: list[Any] = []
    node = raw
    branch = False
    for part in loc:
        child = _child(node, part)
        if child is not MISSING:
            out.append(part)
            node = child
        elif isinstance(node, dict) and isinstance(part, str) and not _is_branch_label(part):
            out.append(part)  # a missing or unknown key
            node = None
        else:
            branch = branch or isinstance(part, str)
    return tuple(out), branch


def _child(node: Any, part: Any) -> Any:
    """NODE[PART] if it is there (a key of a mapping, an index of a list), else MISSING."""
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return MISSING


def _is_branch_label(part: str) -> bool:
    return (
        part in {"str", "int", "float", "bool", "date", "list", "dict"}
        or "[" in part
        or part[:1].isupper()
        or part.startswith(("function-", "literal["))
    )


def path_text(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _expectation(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if msg.startswith("Input should be "):
        msg = "expected " + msg.removeprefix("Input should be ")
        if msg.startswith(("expected less than", "expected greater than")):
            msg = "expected a number " + msg.removeprefix("expected ")
    return msg[:1].lower() + msg[1:]


def _unknown_key(model: type[BaseModel], loc: Loc) -> str:
    """Expectation for an unknown key: the keys allowed there, and the likely one."""
    models: list[type[BaseModel]] = [model]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        nxt: list[type[BaseModel]] = []
        for m in models:
            for name, field in m.model_fields.items():
                if part in (name, field.alias):
                    nxt += _models_in(field.annotation)
        models = nxt or models  # no such field: PART is a key of a mapping (`mql: {fit: ...}`)
    known = sorted({f.alias or n for m in models for n, f in m.model_fields.items()})
    if not known:
        return "no such key here (unknown key; check its spelling)"
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"a known key ({hint}keys here: {', '.join(known)})"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


_QUOTED = re.compile(r"'([^']+)'")
_TICKED = re.compile(r"`([A-Za-z_][\w.]*)`")
_REPEATED = re.compile(r"repeated: ([^;,)]+)")


def _refine(loc: Loc, value: Any, message: str) -> tuple[Loc, Any]:
    """A check over a whole section names what it found wrong; point at it in VALUE."""
    leaves = list(_leaves(value, ()))
    repeated = _REPEATED.search(message)
    if repeated:
        hits = [p for p, v, is_key in leaves if v == repeated.group(1).strip() and not is_key]
        by_key: dict[Any, list[Loc]] = {}
        for p in hits:
            by_key.setdefault(p[-1] if p else None, []).append(p)
        for paths in by_key.values():
            if len(paths) > 1:
                return (*loc, *paths[1]), repeated.group(1).strip()
    for key in _TICKED.findall(message):
        sub = _get(value, tuple(key.split(".")))
        if sub is not MISSING:
            return (*loc, *key.split(".")), sub
    for token in reversed(_QUOTED.findall(message)):
        for p, v, _ in leaves:
            if v == token:
                for key in _TICKED.findall(message):  # e.g. the `when` of the tier named
                    sub = _get(value, (*p[:-1], *key.split(".")))
                    if sub is not MISSING:
                        return (*loc, *p[:-1], *key.split(".")), sub
                return (*loc, *p), v
    return loc, value


def _leaves(node: Any, loc: Loc) -> typing.Iterator[tuple[Loc, Any, bool]]:
    """(path, scalar, is a key) for every key and scalar under NODE, in file order."""
    if isinstance(node, dict):
        for key, sub in node.items():
            yield (*loc, key), key, True
            yield from _leaves(sub, (*loc, key))
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _leaves(sub, (*loc, i))
    else:
        yield loc, node, False


def _get(node: Any, loc: Loc) -> Any:
    for part in loc:
        node = _child(node, part)
        if node is MISSING:
            break
    return node


__all__ = ["Loc", "line_of", "path_text", "read_yaml", "validate", "wrap_node"]

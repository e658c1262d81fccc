"""Applying a mapping (crm.mapping) to a source's records: which rules match, and the event
each emits, or why it is skipped or refused. Pure: no I/O, no clock."""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, get_args

from crm.mapping import Condition, Crm, Field_, Mapping, Rule, Test
from routing.policy.team import Team


@dataclass(frozen=True)
class Outcome:
    """What one rule (or no rule) made of one record: an event to validate and produce, or
    a reason it was skipped (`ignored`: by design, e.g. a value the map skips) or refused."""

    rule: str | None
    event: dict[str, Any] | None = None
    ignored: str | None = None
    refused: str | None = None


class _Refused(Exception):
    pass


class _Skipped(Exception):
    pass


_MISSING: Any = object()
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def owners_of(team: Team | None) -> dict[tuple[str, str], str]:
    """(crm, owner id) -> rep id, from team.yaml's `crm_owner`."""
    found: dict[tuple[str, str], str] = {}
    for rep in team.reps if team is not None else []:
        if rep.crm_owner is not None:
            for crm in get_args(Crm):
                owner = getattr(rep.crm_owner, crm)
                if owner is not None:
                    found[(crm, owner)] = rep.id
    return found


def records(mapping: Mapping, body: Any) -> list[Any]:
    """The records of a request body: a list is its items; an object, the list at the
    mapping's `records` path if it has one, else the object itself."""
    if isinstance(body, list):
        return body
    if mapping.records is not None:
        found = _get(body, mapping.records, None, 0)
        if isinstance(found, list):
            return found
        if found is not _MISSING:
            return [found]
    return [body]


def apply(mapping: Mapping, record: Any, owners: MappingABC[tuple[str, str], str]) -> list[Outcome]:
    """Every rule that matches `record`, applied (one outcome per event, or per refusal)."""
    if not isinstance(record, dict):
        return [Outcome(None, refused=f"a record must be a JSON object, got {_short(record)}")]
    out: list[Outcome] = []
    for rule in mapping.rules:
        if not all(_test(_get(record, p, None, 0), c) for p, c in rule.when.items()):
            continue
        items: list[Any] = [None]
        if rule.for_each is not None:
            found = _get(record, rule.for_each, None, 0)
            items = found if isinstance(found, list) else []
            if not items:
                out.append(Outcome(rule.name, refused=f"`{rule.for_each}`: expected a list"))
                continue
        for index, item in enumerate(items):
            out.append(_emit(rule, record, item, index, owners))
    if not out:
        return [Outcome(None, ignored="no rule of the mapping matches this record")]
    return out


def _emit(
    rule: Rule, record: dict[str, Any], item: Any, index: int,
    owners: MappingABC[tuple[str, str], str],
) -> Outcome:  # fmt: skip
    event: dict[str, Any] = {}
    try:
        for name, spec in (("event_id", rule.event_id), ("at", rule.at), *rule.fields.items()):
            value = _value(name, spec, record, item, index, owners)
            if value is not _MISSING:
                event[name] = value
    except _Skipped as why:
        return Outcome(rule.name, ignored=str(why))
    except _Refused as why:
        return Outcome(rule.name, refused=f"rule {rule.name!r}: {why}")
    event["type"] = rule.emit
    ordered: dict[str, Any] = {k: event[k] for k in ("event_id", "type", "at") if k in event}
    ordered.update((k, v) for k, v in event.items() if k not in ordered)
    return Outcome(rule.name, event=ordered)


def _value(
    name: str, spec: str | Field_, record: Any, item: Any, index: int,
    owners: MappingABC[tuple[str, str], str],
) -> Any:  # fmt: skip
    if isinstance(spec, str):
        return _render(spec, record, item, index)
    if spec.value is not None:
        value: Any = spec.value
    elif spec.template is not None:
        value = _render(spec.template, record, item, index)
    else:
        assert spec.path is not None
        value = _get(record, spec.path, item, index)
        if value is None:
            value = _MISSING
    where = f"`{spec.path or spec.template}`"
    if spec.map is not None and value is not _MISSING:
        key = _key(value)
        if key in spec.map:
            value = spec.map[key]
        elif spec.default is not None:
            value = spec.default
        elif spec.unmapped == "skip":
            raise _Skipped(f"{name}: {value!r} from {where} is not in the mapping's map")
        else:
            raise _Refused(
                f"{name}: {value!r} from {where} is not in the map (known: {', '.join(spec.map)})"
            )
    if value is _MISSING:
        return _MISSING  # absent (e.g. not changed by this update): the field is left out
    if spec.as_ is not None:
        value = _convert(value, spec.as_, name, where)
    if spec.rep_from_owner is not None:
        rep = owners.get((spec.rep_from_owner, str(value)))
        if rep is None:
            raise _Refused(
                f"{name}: {spec.rep_from_owner} owner {str(value)!r} is not the crm_owner."
                f"{spec.rep_from_owner} of any rep in the team file"
            )
        value = rep
    return value


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _convert(value: Any, kind: str, name: str, where: str) -> Any:
    try:
        if kind == "string":
            return _key(value)
        if kind in ("number", "integer"):
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError
            return int(number) if kind == "integer" or number.is_integer() else number
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "1", "yes"):
                return True
            if text in ("false", "0", "no"):
                return False
            raise ValueError
        if kind in ("epoch_ms", "epoch_s"):
            if isinstance(value, bool):
                raise ValueError
            seconds = float(value) / (1000.0 if kind == "epoch_ms" else 1.0)
            moment = datetime.fromtimestamp(seconds, UTC)
            return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return str(value)  # rfc3339: the core's parser checks it
    except (ValueError, TypeError, OverflowError, OSError):
        expected = {"epoch_ms": "milliseconds since 1970", "epoch_s": "seconds since 1970"}
        raise _Refused(
            f"{name}: {_short(value)} from {where} is not {expected.get(kind, 'a ' + kind)}"
        ) from None


def _render(template: str, record: Any, item: Any, index: int) -> Any:
    holes = _PLACEHOLDER.findall(template)
    if not holes:
        return template
    values = [_get(record, hole, item, index) for hole in holes]
    if all(v is _MISSING or v is None for v in values):
        return _MISSING
    if template == "{" + holes[0] + "}":  # a single placeholder keeps the value's type
        return values[0]
    parts = iter("" if v is _MISSING or v is None else _key(v) for v in values)
    return _PLACEHOLDER.sub(lambda _: next(parts), template).strip()


def _get(record: Any, path: str, item: Any, index: int) -> Any:
    node = record
    for part in path.split("."):
        if part == "$item":
            node = item
        elif part == "$index":
            node = index
        elif isinstance(node, dict):
            node = node.get(part, _MISSING)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    return node


def _test(value: Any, condition: Condition) -> bool:
    if isinstance(condition, Test):
        if condition.present is not None and (value is not _MISSING) != condition.present:
            return False
        if condition.contains is not None:
            return isinstance(value, list) and condition.contains in value
        return True
    if value is _MISSING:
        return False
    if isinstance(condition, list):
        return value in condition
    return bool(value == condition)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:76] + " ..."


__all__ = ["Outcome", "apply", "owners_of", "records"]

"""Mapping files: which field of a source's JSON becomes which field of a leadflow event.

A mapping (YAML, `examples/crm/*.yaml`, schema: `leadflow ingest --schema`) is a list of
rules. Each rule says when it applies to a record (`when`: field tests), which event it
emits (`emit`: an input type of the core), and where each field of that event comes from:

    rules:
      - name: score
        when: {subscriptionType: contact.propertyChange, propertyName: hubspotscore}
        emit: lead.upserted
        event_id: "hubspot:{subscriptionId}:{eventId}"   # a template of the record's fields
        at: {path: occurredAt, as: epoch_ms}
        fields:
          lead_id: "hs-{objectId}"
          score: {path: propertyValue, as: number}

A field is a template string (`"hs-{objectId}"`; `{a.b.0}` reads nested keys and list
items), or a mapping with one of `path`, `template`, `value`, and optionally `as` (a
conversion), `map` (a value map) with `default` (the value for what the map lacks) or
`unmapped` (`refuse` or `skip` the event when the map lacks the value), and `rep_from_owner`
(a CRM owner id turned into the rep's id through team.yaml's `crm_owner`). A field whose
source is absent or null is left out (an update carries only what changed); the core's
parser refuses the event if a required one is missing. `for_each: path` emits one event
per item of a list (`$item`, `$index` in paths).

The mapping only moves and renames fields: whether the event is valid is the core's parser's
answer (`routing.events.parse_event`), applied by the ingest service to what this returns.
Loading uses the policy loader's YAML reader and problem reports (file, line, key path,
value, expectation).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from routing.events import InputEvent
from routing.policy.problems import read_yaml, validate
from routing.policy.schema import DIALECT
from routing.policy.team import Team

Scalar = str | int | float | bool
Crm = Literal["hubspot", "salesforce"]
Conversion = Literal["string", "number", "integer", "boolean", "epoch_ms", "epoch_s", "rfc3339"]

#: `lead.stage_changed` is an input of the core being added (its fields below); a mapping may
#: emit it already: the core's parser decides whether it is accepted.
STAGE_CHANGED = "lead.stage_changed"
_STAGE_FIELDS = {"lead_id": True, "stage": True, "amount": False, "currency": False}
_COMMON = ("event_id", "type", "at")


def _event_models() -> dict[str, type[BaseModel]]:
    models: dict[str, type[BaseModel]] = {}
    for model in get_args(InputEvent):
        (name,) = get_args(model.model_fields["type"].annotation)
        models[name] = model
    return models


def event_fields(kind: str) -> dict[str, bool]:
    """The fields (beyond event_id, type, at) of input type `kind`: name -> required."""
    model = _event_models().get(kind)
    if model is None:
        return dict(_STAGE_FIELDS) if kind == STAGE_CHANGED else {}
    return {n: f.is_required() for n, f in model.model_fields.items() if n not in _COMMON}


def known_types() -> tuple[str, ...]:
    types = tuple(_event_models())
    return types if STAGE_CHANGED in types else (*types, STAGE_CHANGED)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Field_(_Model):
    """Where one field's value comes from, and how it is turned into leadflow's."""

    path: Annotated[str, Field(min_length=1)] | None = None
    template: Annotated[str, Field(min_length=1)] | None = None
    value: Scalar | None = None
    as_: Conversion | None = Field(default=None, alias="as")
    map: dict[str, Scalar] | None = None
    default: Scalar | None = None
    unmapped: Literal["refuse", "skip"] = "refuse"
    rep_from_owner: Crm | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Field_:
        given = [k for k in ("path", "template", "value") if getattr(self, k) is not None]
        if self.default is not None and self.map is None:
            raise ValueError("`default` is the value for what `map` lacks: give a map")
        if len(given) != 1:
            raise ValueError(
                "give exactly one of path, template or value"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self


Spec = str | Field_


class Test(_Model):
    """A test of one field beyond equality: `contains` (a list holds the value), `present`."""

    contains: Scalar | None = None
    present: bool | None = None


Condition = Scalar | list[Scalar] | Test


class Rule(_Model):
    name: Annotated[str, Field(min_length=1)]
    when: dict[str, Condition] = {}
    for_each: str | None = None
    emit: str
    event_id: Spec
    at: Spec
    fields: dict[str, Spec]

    @model_validator(mode="after")
    def _fields_of_the_event(self) -> Rule:
        types = known_types()
        if self.emit not in types:
            raise ValueError(f"`emit` must be an input type of leadflow ({', '.join(types)})")
        wanted = event_fields(self.emit)
        for name in self.fields:
            if name not in wanted:
                close = difflib.get_close_matches(name, list(wanted), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ValueError(
                    f"`fields.{name}`: a field of {self.emit} ({hint}its fields: "
                    f"{', '.join(wanted)})"
                )
        missing = [n for n, required in wanted.items() if required and n not in self.fields]
        if missing:
            raise ValueError(f"{self.emit} needs `fields` for {', '.join(missing)}")
        return self


class Mapping(_Model):
    """A mapping file: how one source's records become leadflow events."""

    version: Literal[1]
    source: Literal["hubspot", "salesforce", "generic"]
    description: str | None = None
    records: str | None = None
    rules: Annotated[list[Rule], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_names(self) -> Mapping:
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(dupes)}")
        return self


@dataclass(frozen=True)
class LoadedMapping:
    mapping: Mapping
    file: str

    @property
    def name(self) -> str:
        return Path(self.file).name


def load_mapping(path: str | Path) -> LoadedMapping:
    """Read and validate a mapping file; a mistake raises PolicyError naming file, line,
    key path, value and what was expected (as a policy's does)."""
    raw, root = read_yaml(Path(path))
    return LoadedMapping(validate(Mapping, raw, str(path), root), str(path))


def mapping_json_schema() -> dict[str, Any]:
    schema = Mapping.model_json_schema(by_alias=True)
    return {
        "$schema": DIALECT,
        "title": "leadflow source mapping",
        "description": (
            "How a source's JSON records become leadflow input events (docs/integrations.md). "
            f"`emit` is one of: {', '.join(known_types())}; each rule's `fields` are that "
            "event's fields (checked by the loader)."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


# ------------------------------------------------------------------------- applying


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


__all__ = [
    "LoadedMapping", "Mapping", "Outcome", "apply", "event_fields", "known_types",
    "load_mapping", "mapping_json_schema", "owners_of", "records",
]  # fmt: skip

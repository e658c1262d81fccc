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

The mapping only moves and renames fields (`crm.apply` applies it to records): whether an
event is valid is the core's parser's answer (`routing.events.parse_event`), which the
ingest service asks. Loading uses the policy loader's YAML reader and problem reports
(file, line, key path, value, expectation).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from routing.events import InputEvent
from routing.policy.problems import read_yaml, validate
from routing.policy.schema import DIALECT

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


__all__ = [
    "Condition", "Field_", "LoadedMapping", "Mapping", "Rule", "Test", "event_fields",
    "known_types", "load_mapping", "mapping_json_schema",
]  # fmt: skip

"""JSON Schemas of the policy and team files, for editors and CI (pure: no I/O)."""

from __future__ import annotations

from typing import Any

from routing.policy.models import Policy
from routing.policy.team import Team

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of policy.yaml (keys as written in the file, e.g. `for`)."""
    schema = Policy.model_json_schema(by_alias=True)
    return {
        "$schema": DIALECT,
        "title": "leadflow SLA policy",
        "description": (
            "A sales & marketing SLA as code. Checks that need the whole file (unique "
            "names, cross-references, working hours, time zones) are the loader's."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def team_json_schema() -> dict[str, Any]:
    """The JSON Schema of team.yaml: a mapping with `reps` (and `team_leads`), or a bare
    list of reps."""
    schema = Team.model_json_schema(by_alias=True)
    defs: dict[str, Any] = dict(schema.pop("$defs", {}))
    defs["Team"] = schema
    return {
        "$schema": DIALECT,
        "title": "leadflow team roster",
        "description": "Who takes leads, from which pools, at what capacity and hours.",
        "anyOf": [
            {"$ref": "#/$defs/Team"},
            {"type": "array", "items": {"$ref": "#/$defs/Rep"}},
        ],
        "$defs": defs,
    }


__all__ = ["policy_json_schema", "team_json_schema"]

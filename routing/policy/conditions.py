"""Machine-evaluable conditions on a lead: the language of `mql`, tier and pool `when`.

A condition maps lead fields to matchers. All entries must hold (logical AND):

- a scalar (`segment: enterprise`, `demo_requested: true`) means equality;
- a list (`segment: [mid_market, smb]`) means membership;
- a range (`score: {min: 80}`, `fit: {min: 70, max: 100}`) is inclusive on both ends.

A missing field never matches. An empty condition matches every lead. Strings compare
case-insensitively. `routing.lead.Condition` evaluates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

LeadField = Literal[
    "score",
    "fit",
    "engagements",
    "segment",
    "region",
    "country",
    "industry",
    "source",
    "role",
    "demo_requested",
]


class Range(BaseModel):
    """An inclusive numeric range; either end may be left open."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("a range needs `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min}) must not exceed `max` ({self.max})")
        return self


Matcher = Range | bool | int | float | str | list[str | int | float | bool]
Condition = dict[LeadField, Matcher]

def describe_condition(condition: Mapping[Any, Matcher]) -> str:
    """Plain words for a condition, e.g. 'score >= 80 and segment is enterprise'."""
    if not condition:
        return "every lead"
    parts: list[str] = []
    for field, matcher in condition.items():
        name = field.replace("_", " ")
        if isinstance(matcher, Range):
            if matcher.min is not None and matcher.max is not None:
                parts.append(f"{name} between {_num(matcher.min)} and {_num(matcher.max)}")
            elif matcher.min is not None:
                parts.append(f"{name} >= {_num(matcher.min)}")
            else:
                parts.append(f"{name} <= {_num(matcher.max)}")
        elif isinstance(matcher, list):
            parts.append(f"{name} is one of {', '.join(str(v) for v in matcher)}")
        elif isinstance(matcher, bool):
            parts.append(name if matcher else f"not {name}")
        else:
            parts.append(f"{name} is {matcher}")
    return " and ".join(parts)


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)

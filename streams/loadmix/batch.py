"""A batch of generated events of one type, before ids, `at` text and ordering are assigned."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Batch:
    """`bodies[i]` is the JSON text after `"at":"..."` up to and including the closing brace,
    e.g. `"lead_id":"L-000001","activity":"email_open"}`."""

    type: str
    t: np.ndarray  # int64 Unix seconds (event time)
    bodies: list[str]
    tz: str | None = None  # zone of the `at` offset (None: the policy calendar's)
    may_arrive_late: bool = True

    def __post_init__(self) -> None:
        if len(self.bodies) != self.t.shape[0]:
            raise ValueError(f"{self.type}: {len(self.bodies)} bodies for {self.t.shape[0]} times")


def body(fields: dict[str, Any]) -> str:
    """Compact JSON of FIELDS without the opening brace."""
    return json.dumps(fields, separators=(",", ":"))[1:]

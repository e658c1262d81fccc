"""Scenario files the simulator's tests share, written into a test's directory."""

from __future__ import annotations

from pathlib import Path

import yaml

SIM_DATA = Path(__file__).resolve().parent / "data" / "sim"


def unreachable_demo(directory: Path) -> Path:
    """tests/data/sim/small.yaml with a 99% target on demo_request, which no headcount
    reaches: its 1-hour calendar window keeps running at night and at weekends, when no
    rep works. The staffing search covers 2 to 4 reps of commercial."""
    raw = yaml.safe_load((SIM_DATA / "small.yaml").read_text())
    raw["policy"] = str((SIM_DATA / raw["policy"]).resolve())
    raw["team"] = str((SIM_DATA / raw["team"]).resolve())
    raw["report"]["targets"]["first_touch_within_sla"]["demo_request"] = 0.99
    raw["report"]["staffing_search"].update({"min": 2, "max": 4})
    path = directory / "s.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path

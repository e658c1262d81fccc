"""Checks of a simulator run before it starts: the files it reads (so an output can never
be one of them), and arrival sources that fall outside the scenario's horizon."""

from __future__ import annotations

from pathlib import Path

from routing.outputs import TimeFormat
from simulator.scenario import Replay, Scenario, Spike


def input_files(scenario: Scenario) -> list[Path]:
    """Every file the run reads: the scenario, its policy and team, recorded sources."""
    files = [Path(scenario.file), Path(scenario.loaded.policy_file)]
    if scenario.loaded.team_file is not None:
        files.append(Path(scenario.loaded.team_file))
    files += [scenario.base_dir / s.file for s in scenario.spec.arrivals if isinstance(s, Replay)]
    return files


def outside_horizon(scenario: Scenario) -> list[str]:
    """A sentence for each spike that is wholly or partly outside [start, end)."""
    fmt = TimeFormat(scenario.loaded.policy.calendar.build().tz)
    out: list[str] = []
    for i, source in enumerate(scenario.spec.arrivals):
        if not isinstance(source, Spike):
            continue
        begin = source.at.timestamp()
        end = begin + source.over.seconds
        name = f"arrivals[{i}] ({source.name})" if source.name else f"arrivals[{i}]"
        horizon = f"{fmt(scenario.start)} to {fmt(scenario.end)}"
        if end <= scenario.start or begin >= scenario.end:
            out.append(
                f"{name}: the spike at {fmt(begin)} is outside the horizon ({horizon}): "
                f"none of its {source.mqls} MQLs are simulated"
            )
        elif begin < scenario.start or end > scenario.end:
            out.append(
                f"{name}: the spike at {fmt(begin)} over {source.over.text} is partly outside "
                f"the horizon ({horizon}): only the MQLs inside it are simulated"
            )
    return out

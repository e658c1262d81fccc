"""The implausible-time rule (routing.plausible) for the worker's lead stage: on the wall
clock, an event further ahead of the worker's clock than `clock_skew_s` is dead-lettered;
on the event clock, one further ahead of the partition's stream time than the policy's
`inputs.max_ahead`."""

from __future__ import annotations

from collections.abc import Callable

from routing.outputs import TimeFormat
from routing.plausible import implausible
from routing.policy.loader import LoadedPolicy

Rule = Callable[[float, float], "str | None"]  # (stream time, event time) -> reason or None


def ahead_rule(
    loaded: LoadedPolicy, clock: str, wall: Callable[[], float], clock_skew_s: float
) -> Rule:
    fmt = TimeFormat(loaded.policy.calendar.build().tz).text
    max_ahead_s = loaded.policy.inputs.max_ahead.seconds
    if clock == "wall":
        against, setting = "the worker's clock", "worker --clock-skew"
        return lambda _stream, t: implausible(t, wall(), clock_skew_s, fmt, against, setting)
    return lambda stream, t: implausible(t, stream, max_ahead_s, fmt)

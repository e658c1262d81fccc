"""The implausible-time rule (routing.plausible) for the worker's lead stage: on the wall
clock, an event further ahead of its Kafka record's timestamp than `clock_skew_s` is
dead-lettered; on the event clock, one further ahead of the partition's stream time than
the policy's `inputs.max_ahead`.

On the wall clock the reference is the record's timestamp (the producer's send time, or
the broker's append time on a topic with `message.timestamp.type=LogAppendTime`), not the
worker's clock when it reads the record: a restart that rebuilds a lead stage from its
input reads the same records later and judges them exactly as before. Only a record
without a timestamp (-1: none of Kafka's record formats since 0.10) is judged against the
worker's clock.
"""

from __future__ import annotations

from collections.abc import Callable

from routing.outputs import TimeFormat
from routing.plausible import implausible
from routing.policy.loader import LoadedPolicy

# (stream time, the record's timestamp in seconds or None, event time) -> reason or None
Rule = Callable[[float, "float | None", float], "str | None"]


def record_seconds(timestamp_ms: int | None) -> float | None:
    """A Kafka record's timestamp in seconds; None when it has none (-1)."""
    return timestamp_ms / 1000.0 if timestamp_ms is not None and timestamp_ms >= 0 else None


def ahead_rule(
    loaded: LoadedPolicy, clock: str, wall: Callable[[], float], clock_skew_s: float
) -> Rule:
    fmt = TimeFormat(loaded.policy.calendar.build().tz).text
    max_ahead_s = loaded.policy.inputs.max_ahead.seconds
    if clock == "wall":
        setting = "worker --clock-skew"

        def against_record(_stream: float, record_s: float | None, t: float) -> str | None:
            if record_s is None:
                return implausible(t, wall(), clock_skew_s, fmt, "the worker's clock", setting)
            return implausible(t, record_s, clock_skew_s, fmt, "its Kafka timestamp", setting)

        return against_record
    return lambda stream, _record_s, t: implausible(t, stream, max_ahead_s, fmt)

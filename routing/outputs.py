"""Decisions as they leave the core: deterministic ids, RFC 3339 times, one place to emit."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

Output = dict[str, Any]


class TimeFormat:
    """Formats epoch seconds as RFC 3339 with the offset of one zone (the policy's)."""

    __slots__ = ("_cache", "tz")

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self._cache: dict[float, str] = {}

    def __call__(self, t: float) -> str:
        text = self._cache.get(t)
        if text is None:
            if len(self._cache) > 65536:
                self._cache.clear()
            moment = datetime.fromtimestamp(round(t, 3), self.tz)
            text = moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
            self._cache[t] = text
        return text


class Emitter:
    """Collects the outputs of one step. Every output gets `event_id`, `type`, `at` first.

    The id is derived from its cause (an input event id or a timer's name), its type and
    its subject, so a replay of the same input gives the same ids, byte for byte.
    """

    __slots__ = ("fmt", "out")

    def __init__(self, fmt: TimeFormat) -> None:
        self.fmt = fmt
        self.out: list[Output] = []

    def emit(self, kind: str, at: float, cause: str, subject: str, **fields: Any) -> Output:
        record: Output = {"event_id": f"{cause}:{kind}:{subject}", "type": kind, "at": self.fmt(at)}
        record.update(fields)
        if "rep_id" in fields and fields["rep_id"] is None:
            del record["rep_id"]  # `rep_id` only where the lead is assigned
        self.out.append(record)
        return record

    def take(self) -> list[Output]:
        out, self.out = self.out, []
        return out

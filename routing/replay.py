"""Offline replay: drive the engine from recorded lines, in file order, in event time.

Each line is one input event. Timers fire as event time passes, and at the end up to
the last event's time (or `until`). A line that is not a valid event becomes an
`event.rejected` output naming its line number; the rest of the file is still applied.
The same input gives byte-identical output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import orjson

from routing.engine import Engine
from routing.errors import EventError
from routing.events import InputEvent, parse_event, raw_text
from routing.outputs import Output, epoch


def replay(
    engine: Engine,
    lines: Iterable[str | bytes],
    until: float | None = None,
    seen: Callable[[int, InputEvent], None] | None = None,
) -> Iterator[Output]:
    """Apply every line; yield the decisions in the order they were made. `seen(line
    number, event)`, if given, is told of each valid event just before it is applied."""
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            engine.stats["blank"] += 1
            continue
        source = f"line {number}"
        try:
            event = parse_event(text)
        except EventError as exc:
            yield from engine.reject(raw_text(text), source, str(exc))
            continue
        t = None
        if until is not None:
            t = epoch(event.at)
            if t > until:
                engine.stats["after_until"] += 1
                continue
        if seen is not None:
            seen(number, event)
        yield from engine.apply(event, source, text, t)
    end = until if until is not None else engine.now
    if end != float("-inf"):
        yield from engine.advance(end)


def dumps(output: Output) -> str:
    """Compact JSON, UTF-8 kept as is (orjson: the same text as json.dumps with
    separators=(",", ":") and ensure_ascii=False, about ten times faster)."""
    return orjson.dumps(output).decode()


def replay_lines(
    engine: Engine, lines: Iterable[str | bytes], until: float | None = None
) -> Iterator[str]:
    """`replay`, serialised: one compact JSON object per decision (no newline)."""
    for output in replay(engine, lines, until):
        yield dumps(output)

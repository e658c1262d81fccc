"""What the offline commands (`replay`, `scorecard`, `explain`) share: their arguments,
the checks made before any work, the events file read line by line, and the account of
every line."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from leadflow.files import UsageError, check_input, event_lines
from routing.policy.loader import LoadedPolicy
from routing.policy.versioned import files_of, load_versions, split_spec

EXAMPLE_EVENT = (
    '{"event_id":"e1","type":"lead.upserted","at":"2026-01-06T10:00:00-05:00",'
    '"lead_id":"L-1","score":86}'
)


def add_input_args(p: argparse.ArgumentParser, until: str) -> None:
    """EVENTS, --policy, --team, --until, --progress."""
    p.add_argument(
        "events",
        metavar="EVENTS",
        help="recorded events: JSON Lines, one event object per line (.gz read as gzip)",
    )
    p.add_argument(
        "--policy",
        required=True,
        action="append",
        metavar="POLICY",
        help="the policy YAML file; repeat as --policy P2@TIME for a later version in force "
        "from TIME (RFC 3339 with offset): inputs from TIME on are decided by it, leads "
        "already MQL keep their windows (docs/worker.md, 'Changing the terms live')",
    )
    p.add_argument(
        "--team", metavar="TEAM", help="team YAML file (overrides the policy's own `team`)"
    )
    p.add_argument("--until", metavar="TIME", help=until)
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="report progress on stderr (default: when stderr is a terminal)",
    )


def parse_until(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--until: expected an RFC 3339 time like 2026-01-07T10:00:00-05:00, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise UsageError(f"--until: {text!r} needs a UTC offset, e.g. {text}-05:00")
    return moment.timestamp()


@dataclass
class Prepared:
    """An offline command's inputs, checked: nothing has been read from EVENTS yet."""

    loaded: LoadedPolicy
    events: Path
    until: float | None
    inputs: list[str]  # every file read, for the output checks


def prepare(args: argparse.Namespace) -> Prepared:
    """Check every argument and load the policy, before any work."""
    until = parse_until(args.until)
    events = check_input(args.events, "events")
    for spec in args.policy:
        check_input(split_spec(spec)[0], "policy")
    if args.team is not None:
        check_input(args.team, "team")
    loaded = load_versions(args.policy, args.team)
    inputs = [str(events), *files_of(loaded)]
    return Prepared(loaded, events, until, inputs)


@dataclass
class LineLog:
    """The events file's lines as read: how many, and the first that is not blank (to say
    what the file looks like when no line is an event)."""

    path: Path
    count: int = 0
    first: bytes = b""
    nul: bool = False
    kinds: Counter[str] = field(default_factory=Counter)

    def read(self) -> Iterator[bytes]:
        for line in event_lines(self.path):
            self.count += 1
            if not self.first and line.strip():
                self.first = line.strip()[:200]
                self.nul = b"\x00" in line
            yield line


def progress(lines: Iterable[bytes], show: bool | None, every: int = 100_000) -> Iterator[bytes]:
    """Pass the lines through; every `every` lines say how far and how fast on stderr."""
    if not (sys.stderr.isatty() if show is None else show):
        yield from lines
        return
    start = last = time.perf_counter()
    count = 0
    for count, line in enumerate(lines, start=1):
        if count % every == 0:
            now = time.perf_counter()
            rate = every / (now - last) if now > last else 0.0
            print(f"  ... {count:,} lines, {rate:,.0f} lines/s", file=sys.stderr, flush=True)
            last = now
        yield line
    elapsed = time.perf_counter() - start
    print(f"  ... {count:,} lines in {elapsed:.1f} s", file=sys.stderr, flush=True)


CATEGORIES = (
    ("applied", "applied"),
    ("duplicate", "duplicate (ignored)"),
    ("refused", "refused"),
    ("rejected", "malformed"),
    ("blank", "blank"),
    ("after_until", "after --until"),
)


def accounting(stats: Counter[str], lines: int) -> str:
    """Every line of the file in one category: "27 lines: 24 applied, 1 duplicate ..."."""
    parts = [f"{stats[key]} {label}" for key, label in CATEGORIES if stats[key]]
    counted = sum(stats[key] for key, _ in CATEGORIES)
    text = f"{lines} line{'s' if lines != 1 else ''}: " + (", ".join(parts) or "none")
    if counted != lines:  # never expected: say it rather than hide it
        text += f" (and {lines - counted} not accounted for: please report it)"
    return text


def events_seen(stats: Counter[str]) -> int:
    """Lines that were events (valid JSON events, applied or not)."""
    return stats["applied"] + stats["duplicate"] + stats["refused"] + stats["after_until"]


def no_events(log: LineLog, stats: Counter[str]) -> UsageError:
    """The error for a file in which no line is an event, with a hint at what it is."""
    what = f"{log.path}: no line is an event ({accounting(stats, log.count)})"
    first = log.first
    if log.count == 0:
        hint = "the file is empty"
    elif not first:
        hint = "every line is blank"
    elif log.nul:
        hint = "it looks like a binary file, not text"
    elif first.startswith(b"["):
        hint = (
            "it looks like one JSON array; write one object per line instead, e.g. "
            f"`jq -c '.[]' {log.path} > events.jsonl`"
        )
    elif first.startswith(b"{") and not first.endswith(b"}"):
        hint = (
            "it looks like pretty-printed JSON; write each event on one line, e.g. "
            f"`jq -c . {log.path} > events.jsonl`"
        )
    elif first.startswith((b"#", b"version:", b"---")) or b": " in first[:80]:
        hint = "it looks like YAML (a policy?); the events file is the last argument"
    elif first.startswith((b"event_id", b"type,", b"lead_id")) or first.count(b",") >= 3:
        hint = "it looks like CSV; leadflow reads JSON Lines"
    else:
        hint = "it does not look like JSON Lines"
    return UsageError(f"{what}; {hint}. Expected one JSON event per line, like {EXAMPLE_EVENT}")

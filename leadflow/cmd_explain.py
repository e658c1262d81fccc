"""`leadflow explain LEAD_ID --policy P EVENTS`: one lead's story, in event time."""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadflow.files import UsageError
from leadflow.helptext import command
from leadflow.offline import LineLog, add_input_args, events_seen, no_events, prepare, progress
from routing.collector import no_collections
from routing.engine import Engine
from routing.events import InputEvent
from routing.outputs import epoch
from routing.replay import replay


def register(sub: Any) -> None:
    p = command(
        sub,
        "explain",
        help="one lead's story: its inputs and every decision about it, with why",
        description="Replay recorded events (as `leadflow replay` does) and tell the story of "
        "one lead in event time: each input about it (with its line in the file; a late "
        "input is marked with the time the stream was at when it arrived), and every "
        "decision about it with its why: tier and pool, who it was assigned or reassigned "
        "to, due times, at-risk warnings, breaches, escalations and who was notified. It "
        "ends with where the lead stands.",
        examples="""\
leadflow explain L-1003 --policy examples/policy.yaml examples/events.sample.jsonl
leadflow explain L-1003 --policy examples/policy.yaml \\
    --until 2026-01-07T09:30:00-05:00 examples/events.sample.jsonl""",
    )
    p.add_argument("lead_id", metavar="LEAD_ID", help="the lead's `lead_id`, e.g. L-1003")
    add_input_args(p, "RFC 3339 time with offset: the story up to it")
    p.set_defaults(run=run)


@dataclass
class Entry:
    at: float
    seq: int
    lines: list[str]


INPUT_FIELDS = (
    "score", "fit", "segment", "source", "role", "region", "country", "industry",
    "demo_requested", "activity", "rep_id", "channel", "outcome", "reason", "defer_until",
)  # fmt: skip


def _input_text(event: InputEvent) -> str:
    values = event.model_dump(mode="json", exclude_none=True)
    parts = []
    for key in INPUT_FIELDS:
        if key in values:
            value = values[key]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            parts.append(key if value is True else f"{key} {value}")
    return f"{event.type}" + (f": {', '.join(parts)}" if parts else "")


def _time(text: object) -> str:
    return str(text).replace("T", " ")[:16]


DECISION_FIELDS = ("tier", "pool", "sla", "level", "missing", "reason", "signals", "action")


def _decision_lines(out: dict[str, Any]) -> list[str]:
    kind = out["type"]
    head = kind
    if kind == "lead.reassigned":
        head += f": {out.get('from_rep_id')} -> {out.get('rep_id')}"
    elif out.get("rep_id") and kind in ("lead.assigned", "lead.queued"):
        head += f": {out['rep_id']}"
    elif out.get("rep_id"):
        head += f" (owner {out['rep_id']})"
    details = []
    for key in DECISION_FIELDS:
        value = out.get(key)
        if value is None or value == []:
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        details.append(f"{key} {value}")
    for key, label in (("first_touch_due", "first touch due"), ("due", "due")):
        if out.get(key):
            details.append(f"{label} {_time(out[key])}")
    lines = [head + (f" ({'; '.join(details)})" if details else "")]
    if out.get("notify"):
        lines.append(f"notified: {', '.join(str(n) for n in out['notify'])}")
    if out.get("why"):
        lines.append(f"why: {out['why']}")
    return lines


class Story:
    """The lead's inputs and decisions as they are replayed."""

    def __init__(self, lead_id: str, engine: Engine) -> None:
        self.lead_id = lead_id
        self.engine = engine
        self.entries: list[Entry] = []
        self.seq = 0
        self.inputs = 0

    def _add(self, at: float, lines: list[str]) -> None:
        self.seq += 1
        self.entries.append(Entry(at, self.seq, lines))

    def seen(self, number: int, event: InputEvent) -> None:
        if getattr(event, "lead_id", None) != self.lead_id:
            return
        self.inputs += 1
        t = epoch(event.at)
        now = self.engine.now
        late = ""
        if now != float("-inf") and t < now:
            late = f"  [late: read when the stream was at {_time(self.engine.fmt(now))}]"
        self._add(t, [f"input (line {number}) {_input_text(event)}{late}"])

    def decided(self, outputs: Iterable[dict[str, Any]]) -> None:
        for out in outputs:
            if out.get("lead_id") == self.lead_id:
                self._add(datetime.fromisoformat(out["at"]).timestamp(), _decision_lines(out))

    def render(self) -> str:
        fmt = self.engine.fmt
        rows = []
        for entry in sorted(self.entries, key=lambda e: (e.at, e.seq)):
            stamp = _time(fmt(entry.at))
            rows.append(f"{stamp}  {entry.lines[0]}")
            rows += [f"{'':16}    {line}" for line in entry.lines[1:]]
        return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    prep = prepare(args)
    engine = Engine(prep.loaded)
    story = Story(args.lead_id, engine)
    log = LineLog(prep.events)
    with no_collections():
        outputs = replay(engine, progress(log.read(), args.progress), prep.until, story.seen)
        story.decided(outputs)
    if not events_seen(engine.stats):
        raise no_events(log, engine.stats)
    if not story.inputs:
        known = sorted(engine.leads)
        close = difflib.get_close_matches(args.lead_id, known, n=3)
        hint = (
            f"; did you mean {', '.join(close)}?"
            if close
            else (
                f"; leads in it: {', '.join(known[:10])}{' ...' if len(known) > 10 else ''}"
                if known
                else "; it has no lead events"
            )
        )
        raise UsageError(f"{prep.events}: no input names lead {args.lead_id!r}{hint}")
    policy = prep.loaded.policy
    print(
        f"lead {args.lead_id} under {policy.agreement.name!r} ({prep.loaded.policy_file}), "
        f"from {prep.events}; times in {policy.calendar.timezone}"
    )
    print()
    print(story.render())
    print()
    print(_standing(engine, args.lead_id))
    return 0


def _standing(engine: Engine, lead_id: str) -> str:
    lead = engine.leads.get(lead_id)
    if lead is None:
        return "now: not a lead the desk keeps (its inputs were refused)"
    parts = [f"now ({engine.fmt(engine.now)}): {lead.state}"]
    if lead.tier:
        parts.append(f"tier {lead.tier}")
    if lead.owner is not None:
        parts.append(f"owned by {lead.owner}")
    if lead.owners:
        parts.append(f"owners so far {' -> '.join(lead.owners)}")
    if lead.reassign_pending:
        parts.append("awaiting reassignment")
    parts.append(f"{lead.touches} touch(es)")
    return ", ".join(parts)

"""`leadflow replay`: apply recorded events in event time and write every decision."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime
from typing import IO, Any

from leadflow.files import atomic_output, check_output, check_stdout_is_not
from leadflow.helptext import command
from leadflow.offline import (
    LineLog,
    accounting,
    add_input_args,
    events_seen,
    no_events,
    prepare,
    progress,
)
from routing.collector import no_collections
from routing.engine import Engine
from routing.lead import MQL
from routing.policy.loader import LoadedPolicy
from routing.replay import dumps, replay


def register(sub: Any) -> None:
    p = command(
        sub,
        "replay",
        help="apply recorded events in event time; print every decision",
        description="Apply a recorded stream of events to a policy, in file order and at the "
        "events' own times, as the live worker would have. Timers (at-risk warnings, breaches, "
        "escalations, reassignments) fire as event time passes, up to the last event or "
        "--until. Every decision is written as one JSON object per line, in the order made; "
        "or with --format text as one readable line each, sorted in event time, the decisions "
        "of late inputs marked. A summary on stderr accounts for every line of the file. A "
        "line that is not a valid event becomes one `event.rejected` naming its line, and the "
        "rest is still applied. The same input always gives byte-identical output.",
        examples="""\
leadflow replay --policy examples/policy.yaml examples/events.sample.jsonl > decisions.jsonl
leadflow replay --policy examples/policy.yaml --format text examples/events.sample.jsonl
leadflow replay --policy policy.yaml --until 2026-01-07T10:00:00-05:00 \\
    --out decisions.jsonl events.jsonl.gz""",
    )
    add_input_args(p, "RFC 3339 time with offset: ignore events after it; timers fire up to it")
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write the decisions to FILE (replaced only when the replay succeeds; "
        "default: stdout)",
    )
    p.add_argument(
        "--format",
        choices=["jsonl", "text"],
        default="jsonl",
        help="jsonl: one JSON decision per line, as made (default); text: one readable line "
        "each, in event time, late inputs marked",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    prep = prepare(args)
    out = check_output(args.out, "--out", prep.inputs) if args.out is not None else None
    if out is None:
        check_stdout_is_not(prep.inputs)
    engine = Engine(prep.loaded)
    log = LineLog(prep.events)
    kinds: Counter[str] = Counter()

    def write(sink: IO[str]) -> None:
        text = Late() if args.format == "text" else None
        with no_collections():
            lines = progress(log.read(), args.progress)
            for output in replay(engine, lines, prep.until):
                kinds[output["type"]] += 1
                if text is None:
                    sink.write(dumps(output))
                    sink.write("\n")
                else:
                    text.add(output)
        if text is not None:
            sink.writelines(line + "\n" for line in text.in_event_time())
        if not events_seen(engine.stats):  # before --out is replaced
            print("\n" + summary(engine, prep.loaded, kinds, log.count), file=sys.stderr)
            raise no_events(log, engine.stats)

    if out is not None:
        with atomic_output(out) as sink:
            write(sink)
    else:
        write(sys.stdout)
        sys.stdout.flush()
    print("\n" + summary(engine, prep.loaded, kinds, log.count), file=sys.stderr)
    return 0


_DETAILS = (
    "rep_id",
    "from_rep_id",
    "pool",
    "tier",
    "sla",
    "level",
    "due",
    "first_touch_due",
    "missing",
    "reason",
    "notify",
    "action",
    "signals",
    "commitment",
    "source",
)


def short_time(value: object) -> str:
    return str(value).replace("T", " ")[:16]


def readable(output: dict[str, Any]) -> str:
    """One decision as a line a person can scan: time, type, subject, the fields that matter."""
    at = short_time(output["at"])
    subject = output.get("lead_id") or output.get("pool") or ""
    parts = [f"{at}  {output['type']:<18} {subject!s:<8}"]
    for key in _DETAILS:
        value = output.get(key)
        if value is None or (key == "pool" and subject == value):
            continue
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
        elif key in ("due", "first_touch_due"):
            value = short_time(value)
        parts.append(f"{key}={value}")
    if "why" in output and output["type"] in ("lead.queued", "sla.escalated"):
        parts.append(f"— {output['why']}")
    return " ".join(parts)


class Late:
    """`readable` lines in event time: held, then sorted by their instant (stable, so
    decisions at the same instant keep the order they were made in). A decision earlier
    than one made before it (a late input's, or the timers it started) is marked with the
    time the stream was at."""

    def __init__(self) -> None:
        self.high: datetime | None = None
        self.high_text = ""
        self.rows: list[tuple[datetime, int, str]] = []

    def add(self, output: dict[str, Any]) -> None:
        line = readable(output)
        at = datetime.fromisoformat(str(output["at"]))
        if self.high is not None and at < self.high:
            line = f"{line}  [late: the stream was at {short_time(self.high_text)}]"
        else:
            self.high, self.high_text = at, str(output["at"])
        self.rows.append((at, len(self.rows), line))

    def in_event_time(self) -> list[str]:
        return [line for _, _, line in sorted(self.rows)]


def summary(
    engine: Engine, loaded: LoadedPolicy, kinds: Counter[str], lines: int | None = None
) -> str:
    """What a replay did, in a few readable lines; LINES: the file's lines, each accounted
    for in one category."""
    s = engine.stats
    leads = engine.leads.values()
    mqls = sum(1 for lead in leads if lead.cycle > 0)
    open_ = [lead for lead in leads if lead.state == MQL]
    owned = sum(1 for lead in open_ if lead.owner is not None)
    waiting = sum(p.queue.depth for p in engine.router.pools.values())
    pending = sum(1 for lead in open_ if lead.reassign_pending)
    if lines is None:
        lines = s["applied"] + s["refused"] + s["duplicate"] + s["rejected"] + s["blank"]
        lines += s["after_until"]
    out = [
        f"leadflow replay — {loaded.policy.agreement.name}",
        f"  inputs     {accounting(s, lines)}",
        f"  leads      {len(engine.leads)} seen, {mqls} became MQL, "
        f"{kinds['lead.disqualified']} disqualified, {kinds['handoff.incomplete']} incomplete",
        f"  routing    {kinds['lead.assigned']} assigned, {kinds['lead.reassigned']} reassigned, "
        f"{kinds['lead.queued']} queued; now {len(open_)} open ({owned} owned, {waiting} waiting"
        f"{f', {pending} awaiting reassignment' if pending else ''})",
        f"  SLAs       {kinds['sla.met']} met, {kinds['sla.breached']} breached, "
        f"{kinds['sla.at_risk']} at-risk warnings, {kinds['sla.escalated']} escalations",
        f"  signals    {kinds['intent.spike']} intent spikes, {kinds['surge.entered']} surges, "
        f"{kinds['period.breached']} weekly commitments missed",
    ]
    if engine.day_starts is not None or kinds["summary.weekly"]:  # notifications: digests
        out.append(f"  told       {kinds['digest.due']} daily digests, "
                   f"{kinds['summary.weekly']} weekly summaries")
    if s["implausible"]:
        limit = loaded.policy.inputs.max_ahead.text
        out.append(
            f"  time       {s['implausible']} of the refused inputs were implausibly far ahead "
            f"of the stream's time (more than {limit}: policy `inputs.max_ahead`); if the "
            "stream really has a gap that long, raise it"
        )
    if engine.now != float("-inf"):
        out.append(f"  event time up to {engine.fmt(engine.now)}")
    out.append(f"  decisions  {sum(kinds.values())} written")
    return "\n".join(out)

"""The `leadflow` command line: validate, schema, replay, scorecard."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TextIO

from leadflow import cmd_info, cmd_kafka, cmd_loadgen, cmd_worker
from leadflow.cmd_sim import add_sim_commands
from routing.collector import no_collections
from routing.engine import Engine
from routing.errors import LeadflowError
from routing.lead import MQL
from routing.policy.loader import LoadedPolicy, load_policy
from routing.replay import dumps, replay


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except LeadflowError as exc:
        print(f"leadflow: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadflow", description="A sales & marketing SLA that enforces itself."
    )
    parser.add_argument("--version", action="version", version=cmd_info.version_line())
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a policy and say what it agrees in plain words")
    p.add_argument("policy")
    p.add_argument("--team", help="team file (overrides the policy's `team`)")
    p.set_defaults(run=_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of policy files (for editors)")
    p.add_argument("--team", action="store_true", help="the team file's schema instead")
    p.set_defaults(run=_schema)

    p = sub.add_parser("replay", help="apply recorded events in event time; print decisions")
    p.add_argument("events", help="events file, one JSON object per line")
    p.add_argument("--policy", required=True)
    p.add_argument("--team")
    p.add_argument("--until", help="RFC 3339 time: stop there (timers fire up to it)")
    p.add_argument("--out", help="write decisions here instead of stdout")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="report progress on stderr (default: when stderr is a terminal)",
    )
    p.add_argument(
        "--format",
        choices=["jsonl", "text"],
        default="jsonl",
        help="jsonl: one JSON decision per line (default); text: one readable line each",
    )
    p.set_defaults(run=_replay)

    p = sub.add_parser("scorecard", help="the scorecard (commitments, funnel, trends) of a stream")
    p.add_argument("events")
    p.add_argument("--policy", required=True)
    p.add_argument("--team")
    p.add_argument("--until", help="RFC 3339 time: evaluate up to it")
    p.add_argument(
        "--format",
        choices=["text", "json", "csv", "markdown"],
        default="text",
        help="text (default), json, csv (one row per commitment and period) or markdown",
    )
    p.add_argument(
        "--json", dest="format", action="store_const", const="json", help="= --format json"
    )
    p.add_argument("--periods", type=_positive, help="only the last N periods of each kind")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    p.set_defaults(run=_scorecard)
    cmd_worker.register(sub)
    cmd_kafka.register(sub)
    cmd_loadgen.register(sub)
    cmd_info.register(sub)
    add_sim_commands(sub)
    return parser


def _validate(args: argparse.Namespace) -> int:
    from routing.policy.describe import describe

    loaded = load_policy(args.policy, args.team)
    print(describe(loaded))
    print(f"\nOK: {args.policy} is a valid policy.", file=sys.stderr)
    return 0


def _schema(args: argparse.Namespace) -> int:
    from routing.policy.schema import policy_json_schema, team_json_schema

    schema = team_json_schema() if args.team else policy_json_schema()
    print(json.dumps(schema, indent=2, sort_keys=True))
    return 0


def _until(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise LeadflowError(f"--until: expected an RFC 3339 time, got {text!r}") from None
    if moment.tzinfo is None:
        raise LeadflowError(f"--until: {text!r} needs a UTC offset, e.g. -05:00")
    return moment.timestamp()


def _open_events(path: str) -> TextIO:
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        raise LeadflowError(f"{path}: cannot read events ({exc.strerror})") from None


def _progress(
    lines: Iterable[str], args: argparse.Namespace, every: int = 100_000
) -> Iterator[str]:
    """Pass the lines through; every `every` lines say how far and how fast on stderr."""
    show = sys.stderr.isatty() if args.progress is None else args.progress
    if not show:
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


def _replay(args: argparse.Namespace) -> int:
    loaded = load_policy(args.policy, args.team)
    engine = Engine(loaded)
    kinds: Counter[str] = Counter()
    sink = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    try:
        with _open_events(args.events) as lines:
            render = dumps if args.format == "jsonl" else readable
            with no_collections():
                for output in replay(engine, _progress(lines, args), _until(args.until)):
                    kinds[output["type"]] += 1
                    sink.write(render(output))
                    sink.write("\n")
    finally:
        if sink is not sys.stdout:
            sink.close()
    sys.stdout.flush()
    print("\n" + summary(engine, loaded, kinds), file=sys.stderr)
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


def readable(output: dict[str, object]) -> str:
    """One decision as a line a person can scan: time, type, subject, the fields that matter."""
    at = str(output["at"]).replace("T", " ")[:16]
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
            value = str(value).replace("T", " ")[:16]
        parts.append(f"{key}={value}")
    if "why" in output and output["type"] in ("lead.queued", "sla.escalated"):
        parts.append(f"— {output['why']}")
    return " ".join(parts)


def summary(engine: Engine, loaded: LoadedPolicy, kinds: Counter[str]) -> str:
    """What a replay did, in a few readable lines."""
    s = engine.stats
    leads = engine.leads.values()
    mqls = sum(1 for lead in leads if lead.cycle > 0)
    open_ = [lead for lead in leads if lead.state == MQL]
    owned = sum(1 for lead in open_ if lead.owner is not None)
    waiting = sum(p.queue.depth for p in engine.router.pools.values())
    pending = sum(1 for lead in open_ if lead.reassign_pending)
    inputs = s["applied"] + s["refused"] + s["duplicate"] + s["rejected"]
    lines = [
        f"leadflow replay — {loaded.policy.agreement.name}",
        f"  inputs     {inputs}: {s['applied']} applied, {s['duplicate']} duplicate(s) ignored, "
        f"{s['refused']} refused, {s['rejected']} malformed",
        f"  leads      {len(engine.leads)} seen, {mqls} became MQL, "
        f"{kinds['lead.disqualified']} disqualified, {kinds['handoff.incomplete']} incomplete",
        f"  routing    {kinds['lead.assigned']} assigned, {kinds['lead.reassigned']} reassigned, "
        f"{kinds['lead.queued']} queued; now {len(open_)} open ({owned} owned, {waiting} waiting"
        f"{f', {pending} awaiting reassignment' if pending else ''})",
    ]
    lines.append(
        f"  SLAs       {kinds['sla.met']} met, {kinds['sla.breached']} breached, "
        f"{kinds['sla.at_risk']} at-risk warnings, {kinds['sla.escalated']} escalations"
    )
    lines.append(
        f"  signals    {kinds['intent.spike']} intent spikes, {kinds['surge.entered']} surges, "
        f"{kinds['period.breached']} weekly commitments missed"
    )
    if engine.now != float("-inf"):
        lines.append(f"  event time up to {engine.fmt(engine.now)}")
    lines.append(f"  decisions  {sum(kinds.values())} written")
    return "\n".join(lines)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of periods >= 1, got {text!r}")
    return int(text)


def _scorecard(args: argparse.Namespace) -> int:
    from routing.scorecard import render_scorecard
    from routing.scorecard_formats import to_csv, to_markdown

    loaded = load_policy(args.policy, args.team)
    engine = Engine(loaded)
    with _open_events(args.events) as lines, no_collections():
        for _ in replay(engine, _progress(lines, args), _until(args.until)):
            pass
    card = engine.commitments
    if args.format == "json":
        print(json.dumps(card.to_json(engine.now, args.periods), indent=2))
    elif args.format == "csv":
        sys.stdout.write(to_csv(card.scorecard(engine.now), args.periods))
    elif args.format == "markdown":
        sys.stdout.write(to_markdown(card.scorecard(engine.now), args.periods))
    else:
        print(render_scorecard(card.scorecard(engine.now), args.periods))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

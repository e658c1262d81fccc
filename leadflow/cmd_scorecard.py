"""`leadflow scorecard`: the weekly scorecard of a recorded stream."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from leadflow.files import check_output, check_stdout_is_not, write_text
from leadflow.helptext import command
from leadflow.offline import LineLog, add_input_args, events_seen, no_events, prepare, progress
from routing.collector import no_collections
from routing.engine import Engine
from routing.replay import replay


def register(sub: Any) -> None:
    p = command(
        sub,
        "scorecard",
        help="the weekly scorecard of a recorded stream (both sides' commitments)",
        description="Replay recorded events (as `leadflow replay` does, without printing the "
        "decisions) and print the weekly review both teams hold: for each commitment of "
        "marketing and of sales, its target, the actual figure with its denominator, met or "
        "missed, consecutive misses and the action the escalation ladder takes; then the "
        "median and p95 speed to first touch per tier, the funnel by MQL cohort (SAL, SQL, "
        "opportunity, won), trends over the last periods, and the rejection reasons. Weekly, "
        "monthly or quarterly, as the policy's commitments say.",
        examples="""\
leadflow scorecard --policy examples/policy.yaml examples/events.sample.jsonl
leadflow scorecard --policy examples/policy.yaml --json examples/events.sample.jsonl > card.json
leadflow scorecard --policy examples/policy.yaml --format csv --periods 12 events.jsonl > card.csv
leadflow scorecard --policy examples/policy.yaml --html week.html examples/events.sample.jsonl""",
    )
    add_input_args(p, "RFC 3339 time with offset: evaluate up to it (later events ignored)")
    p.add_argument(
        "--format",
        choices=["text", "json", "csv", "markdown"],
        default="text",
        help="text (default), json, csv (one row per commitment and period, for a spreadsheet) "
        "or markdown (tables for a wiki)",
    )
    p.add_argument(
        "--json", dest="format", action="store_const", const="json", help="= --format json"
    )
    p.add_argument(
        "--periods", type=_positive, metavar="N", help="only the last N periods of each kind"
    )
    p.add_argument(
        "--html",
        metavar="FILE",
        help="also write the dashboard page of the replayed stream (one self-contained file; "
        "'-' writes it to standard output instead of the scorecard)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from routing.scorecard import render_scorecard
    from routing.scorecard_formats import to_csv, to_markdown

    prep = prepare(args)
    html = args.html
    if html is not None and html != "-":
        check_output(html, "--html", prep.inputs)
    elif html == "-":
        check_stdout_is_not(prep.inputs)
    engine = Engine(prep.loaded)
    log = LineLog(prep.events)
    with no_collections():
        for _ in replay(engine, progress(log.read(), args.progress), prep.until):
            pass
    if not events_seen(engine.stats):
        raise no_events(log, engine.stats)
    if html is not None:
        from dashboard.page import render_page

        page = render_page(engine.commitments.to_json(engine.now))
        if html == "-":
            sys.stdout.write(page)
            return 0
        write_text(html, page)
        print(f"wrote {html}", file=sys.stderr)
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


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of periods >= 1, got {text!r}")
    return int(text)

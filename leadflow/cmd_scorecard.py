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
        "median and p95 speed to first touch per tier and the rejection reasons.",
        examples="""\
leadflow scorecard --policy examples/policy.yaml examples/events.sample.jsonl
leadflow scorecard --policy examples/policy.yaml --json examples/events.sample.jsonl > card.json
leadflow scorecard --policy examples/policy.yaml --html week.html examples/events.sample.jsonl""",
    )
    add_input_args(p, "RFC 3339 time with offset: evaluate up to it (later events ignored)")
    p.add_argument("--json", action="store_true", help="print the scorecard as JSON")
    p.add_argument(
        "--html",
        metavar="FILE",
        help="also write the dashboard page of the replayed stream (one self-contained file; "
        "'-' writes it to standard output instead of the scorecard)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from routing.scorecard import render_scorecard

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
    if args.json:
        print(json.dumps(engine.commitments.to_json(engine.now), indent=2))
    else:
        print(render_scorecard(engine.commitments.scorecard(engine.now)))
    return 0

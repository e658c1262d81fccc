"""`leadflow backtest`: two policies replayed on the same history, side by side."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from leadflow.helptext import command
from leadflow.review import ReviewError
from leadflow.review.output import add_output_flags, check_outputs, write_doc


def register(sub: Any) -> None:
    p = command(
        sub,
        "backtest",
        help="replay CURRENT and PROPOSED policies on one history; compare",
        description="Replay one recorded history twice, under the current policy and under a "
        "proposed one, and compare them side by side: the shares met per target (with their "
        "denominators), the misses, and the leads whose routing changes.",
        examples="""
leadflow backtest events.jsonl --policy policy.yaml --policy proposed.yaml  # side by side
leadflow backtest events.jsonl --policy policy.yaml --policy proposed.yaml --out bt.md
""",
    )
    p.add_argument("history", help="events file (.jsonl)")
    p.add_argument("--policy", action="append", required=True, metavar="POLICY",
                   help="give twice: --policy CURRENT --policy PROPOSED")
    p.add_argument("--team", help="team file for both (overrides the policies' `team`)")
    add_output_flags(p)
    p.set_defaults(run=_backtest)


def _backtest(args: argparse.Namespace) -> int:
    from leadflow.review.backtest import compare
    from leadflow.review.backtest_doc import backtest_doc
    from leadflow.review.history import load, run

    if len(args.policy) != 2:
        raise ReviewError(f"--policy: give exactly two (CURRENT, PROPOSED), got {len(args.policy)}")
    check_outputs([args.out], [args.history, *args.policy, args.team or ""])
    runs = []
    for path in args.policy:
        loaded = load(path, args.team)
        print(f"replaying {args.history} under {path} ...", file=sys.stderr)
        runs.append(run(loaded, args.history))
    bt = compare(runs[0], runs[1])
    write_doc(backtest_doc(bt), args, [args.history, *args.policy, args.team or ""])
    return 0

"""`leadflow review`: the quarterly review pack of a recorded history."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from leadflow.helptext import command
from leadflow.review import ReviewError
from leadflow.review.output import add_capacity_flags, add_output_flags, check_outputs, write_doc


def register(sub: Any) -> None:
    p = command(
        sub,
        "review",
        help="the quarterly review pack: baselines, misses, proposed targets, capacity",
        description="Replay a recorded history under its policy and write the quarterly review "
        "pack: the baselines per week, the misses and why, the targets the data supports (a "
        "share met by --margin every week is flagged for tightening) and, with the simulator's "
        "staffing search, the headcount each pool needs. --json keeps the pack's data; "
        "--render prints a saved pack again without replaying.",
        examples="""
leadflow review events.jsonl --policy policy.yaml --out review.html  # the pack, as a page
leadflow review events.jsonl --policy policy.yaml --no-capacity     # quick: no simulation
leadflow review --render pack.json --format markdown                # a saved pack again
""",
    )
    p.add_argument("history", nargs="?", help="events file (.jsonl), the input the worker saw")
    p.add_argument("--policy", help="the policy the history was recorded under")
    p.add_argument("--render", metavar="PACK.json",
                   help="render a pack saved with --json again (no replay, no simulation)")
    p.add_argument("--team", help="team file (overrides the policy's `team`)")
    p.add_argument("--months", type=int, default=3, help="months reviewed (default 3)")
    p.add_argument("--until", help="the period ends before this date (YYYY-MM-DD); default: "
                   "the last review due in the history, else its last week")
    p.add_argument("--margin", type=float, default=0.05,
                   help="a share met by this much every week is flagged for tightening (0.05)")
    p.add_argument("--capacity", action=argparse.BooleanOptionalAction, default=True,
                   help="run the simulator's staffing search (default: yes)")
    add_capacity_flags(p)
    p.add_argument("--scenario-out", metavar="FILE",
                   help="keep the capacity scenario built from the history (for `leadflow staff`)")
    p.add_argument("--json", metavar="FILE", help="also write the pack's data as JSON")
    add_output_flags(p)
    p.set_defaults(run=_review)


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReviewError(f"--until: expected a date YYYY-MM-DD, got {text!r}") from None


def _render(args: argparse.Namespace) -> int:
    from leadflow.review.pack_doc import pack_doc

    try:
        pack = json.loads(Path(args.render).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReviewError(f"--render {args.render}: cannot read a pack ({exc})") from None
    if not isinstance(pack, dict) or "commitments" not in pack or "period" not in pack:
        raise ReviewError(f"--render {args.render}: not a pack written by `leadflow review --json`")
    fmt = args.format or ("html" if args.out and args.out.endswith((".html", ".htm")) else None)
    write_doc(pack_doc(pack, plots=fmt == "html"), args, [args.render])
    return 0


def _review(args: argparse.Namespace) -> int:
    from leadflow.review.capacity import capacity
    from leadflow.review.history import load, run
    from leadflow.review.pack import build_pack
    from leadflow.review.pack_doc import pack_doc

    if args.render:
        return _render(args)
    if not args.history or not args.policy:
        raise ReviewError("give the history and --policy (or --render PACK.json)")
    if not 0 <= args.margin < 1:
        raise ReviewError(f"--margin: expected a share in [0, 1), got {args.margin}")
    if not 0 < args.capacity_target <= 1:
        raise ReviewError(
            f"--capacity-target: expected a share in (0, 1], got {args.capacity_target}")
    if args.capacity_weeks < 1 or args.replications < 1:
        raise ReviewError("--capacity-weeks and --replications: expected at least 1")
    inputs = [args.history, args.policy, args.team or ""]
    check_outputs([args.out, args.json, args.scenario_out], inputs)
    until = _date(args.until)
    loaded = load(args.policy, args.team)
    print(f"replaying {args.history} under {args.policy} ...", file=sys.stderr)
    history = run(loaded, args.history)
    pack = build_pack(history, args.months, until, args.margin)
    if args.capacity:
        print("capacity: the simulator's staffing search (short runs) ...", file=sys.stderr)
        pack["capacity"] = capacity(
            history, pack, target=args.capacity_target, weeks=args.capacity_weeks,
            replications=args.replications, pools=args.capacity_pool,
            say=lambda line: print(line, file=sys.stderr),
            keep=Path(args.scenario_out) if args.scenario_out else None,
        )
    if args.json:
        from leadflow.files import write_text

        write_text(args.json, json.dumps(pack, indent=2) + "\n")
    fmt = args.format or ("html" if args.out and args.out.endswith((".html", ".htm")) else None)
    write_doc(pack_doc(pack, plots=fmt == "html"), args, inputs)
    return 0

"""`leadflow policy diff A B`: what changes between two policies, in plain words."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("policy", help="work with policy files: `policy diff A B`")
    inner = p.add_subparsers(required=True, metavar="ACTION")
    d = inner.add_parser("diff", help="what changes from policy A to B, key by key, in plain words")
    d.add_argument("a", metavar="A")
    d.add_argument("b", metavar="B")
    d.add_argument("--team", help="team file for both (overrides the policies' `team`)")
    d.set_defaults(run=_diff)


def _diff(args: argparse.Namespace) -> int:
    from leadflow.review.history import load
    from leadflow.review.policy_diff import diff_text

    text, changed = diff_text(load(args.a, args.team), load(args.b, args.team))
    print(text, end="")
    return 1 if changed else 0

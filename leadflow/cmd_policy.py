"""`leadflow policy diff A B`: what changes between two policies, in plain words."""

from __future__ import annotations

import argparse
from typing import Any

from leadflow.helptext import command


def register(sub: Any) -> None:
    p = command(
        sub,
        "policy",
        help="work with policy files: `policy diff A B`",
        description="Work with policy files. `policy diff A B` says what changes from policy A "
        "to policy B, key by key, in plain words (targets, windows, pools, rules).",
        examples="""
leadflow policy diff policy.yaml proposed.yaml  # what the proposal changes
""",
    )
    inner = p.add_subparsers(required=True, metavar="ACTION", help="diff: compare two policies")
    d = command(
        inner,
        "diff",
        help="what changes from policy A to B, key by key, in plain words",
        description="Say what changes from policy A to policy B, key by key, in plain words: "
        "targets and windows tightened or loosened, pools and rules added or removed. Both "
        "files are validated first.",
        examples="""
leadflow policy diff policy.yaml proposed.yaml                  # what the proposal changes
leadflow policy diff policy.yaml proposed.yaml --team team.yaml # with another team file
""",
    )
    d.add_argument("a", metavar="A", help="the current policy file")
    d.add_argument("b", metavar="B", help="the proposed policy file")
    d.add_argument("--team", help="team file for both (overrides the policies' `team`)")
    d.set_defaults(run=_diff)


def _diff(args: argparse.Namespace) -> int:
    from leadflow.review.history import load
    from leadflow.review.policy_diff import diff_text

    a, b = load(args.a, args.team), load(args.b, args.team)
    text, changed = diff_text(a, b)
    print(text, end="")
    if changed:
        print(live_verdict(a, b, args.a, args.b))
    return 1 if changed else 0


def live_verdict(a: Any, b: Any, a_name: str, b_name: str) -> str:
    """Whether B can take over from A live, as a later version (routing.versions)."""
    from routing.errors import PolicyError
    from routing.versions import check_compatible

    how = f"`--policy {a_name} --policy {b_name}@TIME` (worker, replay)"
    try:
        check_compatible(a, b)
    except PolicyError as exc:
        reasons = "\n".join(f"  - {p.path}: now {p.value!r}" for p in exc.problems)
        return (
            f"\nAs a live version ({how}): refused; these keys are shared by every lead and "
            f"must stay as they are (start another engine, or replay the history under B):\n"
            f"{reasons}"
        )
    return (
        f"\nAs a live version ({how}): accepted. Inputs from TIME on are decided by B; "
        "leads already MQL keep A's windows (docs/worker.md, 'Changing the terms live')."
    )

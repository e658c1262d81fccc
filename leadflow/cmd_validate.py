"""`leadflow validate` and `leadflow schema`: check a policy; its JSON Schema."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from leadflow.files import check_input
from leadflow.helptext import command
from routing.policy.loader import load_policy


def register(sub: Any) -> None:
    p = command(
        sub,
        "validate",
        help="check a policy and say what it agrees, in plain words",
        description="Load a policy (and its team) and print what the agreement says: tiers "
        "and their windows, both sides' commitments, pools and capacity, surge rules and the "
        "escalation ladder. A mistake fails with the file, line, key, the value found and "
        "what was expected (exit 2). A policy that is valid but probably not what you mean "
        "(a tier no lead can reach, a pool with no reps, no team, a surge relax that "
        "tightens a window, a follow-up cadence longer than the disposition window) gets a "
        "warning on stderr; the exit status stays 0.",
        examples="""\
leadflow validate examples/policy.yaml
leadflow validate examples/policy.yaml --team other-team.yaml""",
    )
    p.add_argument("policy", metavar="POLICY", help="the policy YAML file")
    p.add_argument(
        "--team", metavar="TEAM", help="team YAML file (overrides the policy's own `team`)"
    )
    p.set_defaults(run=run)


def register_schema(sub: Any) -> None:
    p = command(
        sub,
        "schema",
        help="print the JSON Schema of policy (or team) files, for editors",
        description="Print the JSON Schema of a policy file (or, with --team, of a team "
        "file). Point your editor's YAML language server at it for completion and checks "
        "as you type.",
        examples="""\
leadflow schema > policy.schema.json
leadflow schema --team > team.schema.json""",
    )
    p.add_argument("--team", action="store_true", help="the team file's schema instead")
    p.set_defaults(run=run_schema)


def run(args: argparse.Namespace) -> int:
    from routing.policy.advice import policy_warnings
    from routing.policy.describe import describe

    check_input(args.policy, "policy")
    if args.team is not None:
        check_input(args.team, "team")
    loaded = load_policy(args.policy, args.team)
    print(describe(loaded))
    sys.stdout.flush()
    for warning in policy_warnings(loaded):
        print(f"warning: {args.policy}: {warning}", file=sys.stderr)
    print(f"\nOK: {args.policy} is a valid policy.", file=sys.stderr)
    return 0


def run_schema(args: argparse.Namespace) -> int:
    from routing.policy.schema import policy_json_schema, team_json_schema

    schema = team_json_schema() if args.team else policy_json_schema()
    print(json.dumps(schema, indent=2, sort_keys=True))
    return 0

"""`leadflow init [DIR]`: a commented starter policy, team and scenario."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from leadflow.files import UsageError, check_output, write_text
from leadflow.helptext import command
from leadflow.starter import FILES


def register(sub: Any) -> None:
    p = command(
        sub,
        "init",
        help="write a commented starter policy, team and scenario to edit",
        description="Write policy.yaml, team.yaml and scenario.yaml into DIR (created if "
        "missing): a small, commented agreement with two tiers, one pool and three reps, "
        "that validates as it is. Edit them into your own. Nothing is overwritten: if any of "
        "the three files exists, init stops before writing any.",
        examples="""\
leadflow init my-sla
leadflow validate my-sla/policy.yaml""",
    )
    p.add_argument(
        "dir", nargs="?", default=".", metavar="DIR",
        help="folder to write the files in (default: the current folder)",
    )  # fmt: skip
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file; expected a folder for the starter files")
    existing = [folder / name for name in FILES if (folder / name).exists()]
    if existing:
        raise UsageError(
            f"{', '.join(str(p) for p in existing)}: already there; init never overwrites. "
            "Choose another folder (`leadflow init DIR`) or move the files away"
        )
    targets = [check_output(str(folder / name), "init") for name in FILES]
    for target, text in zip(targets, FILES.values(), strict=True):
        write_text(target, text)
    d = "" if str(folder) == "." else f"{folder}/"
    print(f"wrote {d}policy.yaml, {d}team.yaml and {d}scenario.yaml. Next:")
    print(f"  leadflow validate {d}policy.yaml              # what the agreement says")
    print(f"  leadflow simulate {d}scenario.yaml            # will it hold? (a minute)")
    print(f"  leadflow replay --policy {d}policy.yaml EVENTS.jsonl   # your recorded events")
    return 0

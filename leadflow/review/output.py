"""Writing a tool's document: the format from --format or the --out file's suffix; never
over an input file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from leadflow.review import ReviewError
from leadflow.review.doc import Doc, render

SUFFIX = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}


def add_capacity_flags(p: argparse.ArgumentParser) -> None:
    """The staffing search's options, the same for `review` and `plan`."""
    p.add_argument("--capacity-target", type=float, default=0.9, metavar="SHARE",
                   help="first touch within window for this share of leads (default 0.9)")
    p.add_argument("--capacity-weeks", type=int, default=2, help="simulated weeks (default 2)")
    p.add_argument("--replications", type=int, default=2, help="per headcount (default 2)")
    p.add_argument("--capacity-pool", action="append", metavar="POOL",
                   help="search only this pool (repeatable; default every pool)")


def add_output_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "markdown", "html"],
                   help="text (default), markdown or html (default: from --out's suffix)")
    p.add_argument("--out", metavar="FILE", help="write here instead of stdout")


def check_outputs(outputs: list[str | None], inputs: list[str]) -> None:
    """Refuse, before any work, an output path that is one of the inputs."""
    from leadflow.files import check_output

    given = {Path(i).resolve() for i in inputs if i}
    for out in outputs:
        if out and Path(out).resolve() in given:
            raise ReviewError(f"{out}: that is an input file; refusing to overwrite it")
        if out:  # a folder, or a place nothing can be written: refused before any work
            check_output(out, "output", [i for i in inputs if i])


def write_doc(doc: Doc, args: argparse.Namespace, inputs: list[str]) -> None:
    check_outputs([args.out], inputs)
    fmt = args.format or (SUFFIX.get(Path(args.out).suffix.lower(), "text") if args.out else "text")
    text = render(doc, fmt)
    if not args.out:
        sys.stdout.write(text)
        return
    from leadflow.files import write_text

    write_text(args.out, text)  # atomic: a failure half-way leaves the old file as it was
    print(f"wrote {args.out}", file=sys.stderr)

#!/usr/bin/env python
"""Regenerate the golden replays in tests/golden/ and say what changed.

    python scripts/regen_golden.py          # rewrite the goldens, print the changes
    python scripts/regen_golden.py --check  # change nothing; exit 1 if a golden is stale

It also rewrites tests/golden/explain.L-1003.txt (`leadflow explain L-1003` on the
sample). For each golden it prints the counts of decisions per output type, before and after,
and the first lines of the diff. The generated golden's inputs (the overloaded policy
and the ~3000-event stream, from tests/streams.py with a fixed seed) are re-recorded
too; it says whether they changed. Review the diff before committing: a golden pins
behaviour, so a change in it is a change in what the router decides.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.test_cli_init_explain import EXPLAIN_GOLDEN, explain_text  # noqa: E402
from tests.test_golden import (  # noqa: E402 (needs the repo root on sys.path)
    GENERATED,
    GOLDENS,
    MAX_GOLDEN_BYTES,
    Golden,
    counts,
    decisions,
    first_differences,
    generated_inputs,
    recorded,
    summarise,
)


def _write(path: Path, text: str, check: bool) -> bool:
    """Write `text` to `path` unless it is already there; True if it changed."""
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == text:
        return False
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return True


def _table(before: Counter[str], after: Counter[str]) -> str:
    rows = [f"    {'type':<20} {'before':>7} {'after':>7}"]
    for kind in sorted(before | after):
        mark = "" if before[kind] == after[kind] else "   <- changed"
        rows.append(f"    {kind:<20} {before[kind]:>7} {after[kind]:>7}{mark}")
    rows.append(f"    {'total':<20} {sum(before.values()):>7} {sum(after.values()):>7}")
    return "\n".join(rows)


def regen(golden: Golden, check: bool) -> bool:
    """Bring one golden up to date; True if it changed (or would, with --check)."""
    changed = False
    if golden is GENERATED:
        policy, events = generated_inputs()
        for path, text in ((golden.policy, policy), (golden.events, events)):
            if _write(path, text, check):
                changed = True
                print(f"  input {path.relative_to(ROOT)}: changed")
            else:
                print(f"  input {path.relative_to(ROOT)}: unchanged")
        if check and changed:
            print("  (decisions not compared: the recorded inputs are stale)")
            return True
    stored = recorded(golden)
    actual = decisions(golden)
    if isinstance(stored, dict):
        before: Counter[str] = Counter(stored["counts"])
        same = stored["sha256"] == summarise(actual)["sha256"]
        old_head: list[str] = stored["head"]
    else:
        before = counts(stored or "")
        same = stored == actual
        old_head = (stored or "").splitlines()
    after = counts(actual)
    print(f"  decisions: {'unchanged' if same else 'CHANGED'}")
    print(_table(before, after))
    if not same:
        changed = True
        print(first_differences(old_head, actual.splitlines(), golden.name))
    if check or same:
        return changed
    size = len(actual.encode("utf-8"))
    if size <= MAX_GOLDEN_BYTES:
        _write(golden.decisions, actual, check=False)
        golden.summary.unlink(missing_ok=True)
        print(f"  wrote {golden.decisions.relative_to(ROOT)} ({size} bytes)")
    else:
        text = json.dumps(summarise(actual), indent=1, ensure_ascii=False) + "\n"
        _write(golden.summary, text, check=False)
        golden.decisions.unlink(missing_ok=True)
        print(
            f"  decisions are {size} bytes (> {MAX_GOLDEN_BYTES}): wrote the summary "
            f"{golden.summary.relative_to(ROOT)} instead"
        )
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a golden is stale"
    )
    args = parser.parse_args(argv)
    stale = []
    for golden in GOLDENS:
        print(f"{golden.name}:")
        if regen(golden, args.check):
            stale.append(golden.name)
    print("explain (leadflow explain L-1003 on the sample):")
    story = explain_text()
    if _write(EXPLAIN_GOLDEN, story, args.check):
        stale.append("explain")
        print(f"  CHANGED: {EXPLAIN_GOLDEN.relative_to(ROOT)}")
    else:
        print("  unchanged")
    if args.check and stale:
        print(f"stale: {', '.join(stale)} (run python scripts/regen_golden.py)")
        return 1
    print("changed: " + (", ".join(stale) if stale else "nothing"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Screenshot an HTML page of the offline tools (`leadflow review`, `leadflow backtest`)
in real headless Chromium and check it, with scripts/screenshot_report.py's browser steps.

    leadflow review H.jsonl --policy P.yaml --out /tmp/review.html
    python scripts/screenshot_review.py /tmp/review.html --png docs/img/review.png

Loads the page with the probe script (every image decoded? how tall is the page?), takes a
full-page screenshot, and checks the PNG: not blank, every plot's region has ink in
several colours, no table wider than the page (cut off). Exits 1 with the problems when a
check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshot_report import check, ensure_chromium, probe, screenshot


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("page", type=Path, help="the HTML page")
    ap.add_argument("--png", type=Path, required=True, help="where the screenshot goes")
    ap.add_argument("--max-height", type=int, default=6000)
    ap.add_argument("--no-install", action="store_true", help="never apt-get chromium")
    args = ap.parse_args()
    binary = ensure_chromium(install=not args.no_install)
    measured = probe(binary, args.page)
    height = min(int(measured["height"]) + 20, args.max_height)
    screenshot(binary, args.page, args.png, height)
    problems, regions = check(args.png, measured)
    problems += [f"a table is wider than the page (cut off): {name!r}"
                 for name in measured.get("clipped_tables", [])]
    print(json.dumps({"png": str(args.png), "height": height, "plots": regions}, indent=1))
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

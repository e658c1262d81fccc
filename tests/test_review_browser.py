"""The review pack and the backtest page in real headless Chromium: the pack's figure
decodes and shows ink in several colours; both pages render their sections. Needs Debian's
Chromium at /usr/bin/chromium; skipped without it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadflow.cli import main
from tests.review_fixtures import make_quarter

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "screenshot_review.py"

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(),
    reason="needs Debian Chromium at /usr/bin/chromium (apt-get install -y chromium)",
)


def _shoot(page: Path, png: Path) -> dict:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(page), "--png", str(png), "--no-install"],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_review_pack_in_chromium(tmp_path: Path) -> None:
    q = make_quarter(tmp_path, leads=1500, reps=30)
    page = tmp_path / "review.html"
    assert main(["review", str(q.stream), "--policy", str(q.policy), "--no-capacity",
                 "--out", str(page)]) == 0
    shot = _shoot(page, tmp_path / "review.png")
    (plot,) = shot["plots"]
    assert plot["key"] == "trends" and plot["ink"] > 0.02 and plot["colours"] >= 4
    assert shot["height"] > 1500  # every section laid out, not a blank page
    assert (tmp_path / "review.png").stat().st_size > 50_000


def test_backtest_page_in_chromium(tmp_path: Path) -> None:
    """Every table of the side-by-side page fits the page (values with their n wrap)."""
    q = make_quarter(tmp_path, leads=1500, reps=30)
    proposed = tmp_path / "proposed.yaml"
    text = q.policy.read_text()
    old = "first_touch: {within: 4h, clock: business}"
    assert text.count(old) == 1
    proposed.write_text(text.replace(old, "first_touch: {within: 2h, clock: business}"))
    page = tmp_path / "backtest.html"
    assert main(["backtest", str(q.stream), "--policy", str(q.policy), "--policy",
                 str(proposed), "--out", str(page)]) == 0
    shot = _shoot(page, tmp_path / "backtest.png")  # exits 1 on a table cut off
    assert shot["plots"] == [] and shot["height"] > 1000

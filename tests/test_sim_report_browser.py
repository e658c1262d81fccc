"""The HTML report in a real headless browser: every plot decodes and shows in a screenshot.

Runs scripts/screenshot_report.py (the same check that makes docs/img/report.png) on a
short scenario. Needs Debian's Chromium at /usr/bin/chromium; skipped without it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from simulator.report.html import FIGURES
from tests.test_sim_report import write_scenario

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "screenshot_report.py"

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(),
    reason="needs Debian Chromium at /usr/bin/chromium: run `apt-get update && apt-get "
    "install -y chromium` (or `python scripts/screenshot_report.py` as root) to enable",
)


def check(tmp: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    summary = tmp / "summary.json"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--no-install",
            "--html",
            str(tmp / "report.html"),
            "--png",
            str(tmp / "report.png"),
            "--summary",
            str(summary),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert summary.exists(), done.stderr
    return done, json.loads(summary.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser")
    scenario = write_scenario(tmp, weeks=2, replications=2)
    done, summary = check(tmp, "--scenario", str(scenario))
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp, summary


def test_every_plot_decodes_in_the_browser(rendered: tuple[Path, dict[str, Any]]) -> None:
    _, summary = rendered

    images = summary["images"]

    assert [i["key"] for i in images] == list(FIGURES)
    for image in images:
        assert image["complete"] and image["natural_width"] > 100, image["key"]
        assert image["w"] > 300 and image["h"] > 200, image["key"]
        assert image["alt"]
    assert summary["problems"] == []


def test_the_screenshot_shows_every_plot_in_colour(rendered: tuple[Path, dict[str, Any]]) -> None:
    tmp, summary = rendered

    png = Image.open(tmp / "report.png")

    assert png.size == (1400, summary["height"])
    assert len(summary["plots"]) == len(FIGURES)
    for plot in summary["plots"]:
        assert plot["data"] > 0.003 and plot["colours"] >= 4, plot


def test_a_plot_that_does_not_decode_fails_the_check(
    rendered: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    tmp, _ = rendered
    page = (tmp / "report.html").read_text(encoding="utf-8")
    broken = re.sub(
        r"data:image/svg\+xml;base64,[^\"]+", "data:image/svg+xml;base64,AAAA", page, count=1
    )
    (tmp_path / "report.html").write_text(broken, encoding="utf-8")

    done, summary = check(tmp_path, "--no-simulate")

    assert done.returncode == 1
    assert f"plot {next(iter(FIGURES))!r} did not decode in the browser" in summary["problems"]


@pytest.mark.parametrize(
    ("command", "scenarios", "plots"),
    [
        ("staff", ["small.yaml"], ["headcount"]),
        (
            "compare",
            ["small.yaml", "small-no-surge.yaml"],
            ["compare_compliance", "compare_speed", "compare_queues"],
        ),
    ],
)
def test_the_staff_and_compare_pages_show_their_plots(
    tmp_path: Path, command: str, scenarios: list[str], plots: list[str]
) -> None:
    data = ROOT / "tests" / "data" / "sim"
    args = ["--command", command, "--replications", "1"]
    for name in scenarios:
        args += ["--scenario", str(data / name)]

    done, summary = check(tmp_path, *args)

    assert done.returncode == 0, done.stdout + done.stderr
    assert [i["key"] for i in summary["images"]] == plots
    for plot in summary["plots"]:
        assert plot["data"] > 0.003 and plot["colours"] >= 4, plot

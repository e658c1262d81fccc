"""`leadflow scorecard --html` on the demo's generated stream, opened in real headless
Chromium: one self-contained file (nothing fetched, no external URL), every chart drawn
with its colours and its text alternative, the numbers those of `--json`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import CHROMIUM, Chromium

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"needs Debian's Chromium at {CHROMIUM}"
)

# Per chart: is there a canvas, how big, how many of its pixels are in colour (the data,
# since axes and text are grey), and its text alternative.
PROBE = """(() => [...document.querySelectorAll('.plot[data-chart]')].map(el => {
  const c = el.querySelector('canvas');
  let coloured = 0;
  if (c) {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) {
      const hi = Math.max(d[i], d[i + 1], d[i + 2]), lo = Math.min(d[i], d[i + 1], d[i + 2]);
      if (d[i + 3] > 0 && hi - lo > 60) coloured++;
    }
  }
  const r = el.getBoundingClientRect();
  return {id: el.dataset.chart, canvas: !!c, w: c ? c.width : 0, h: c ? c.height : 0,
          coloured: coloured, shown: r.width > 0 && r.height > 0,
          alt: (document.getElementById('alt-' + el.dataset.chart) || {}).textContent || '',
          label: el.getAttribute('aria-labelledby')};
}))()"""


def leadflow(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=REPO,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("dashfile")
    stream = tmp / "week.jsonl"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.generate", "--leads", "300", "--reps", "12",
         "--weeks", "1", "--seed", "3", "--out", str(stream)],
        check=True, cwd=REPO, capture_output=True,
    )  # fmt: skip
    out = tmp / "out.html"
    done = leadflow(
        "scorecard", "--policy", str(tmp / "policy.yaml"), str(stream), "--no-progress",
        "--html", str(out), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout)


def test_the_file_is_self_contained(demo_page: tuple[Path, dict[str, Any]]) -> None:
    out, _ = demo_page
    page = out.read_text(encoding="utf-8")

    urls = re.findall(r"https?://[^\s\"'<>)]*", page)
    # The one URL: uPlot's licence banner, a comment (the browser test shows nothing loads).
    assert urls == ["https://github.com/leeoniya/uPlot"]
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", page)
    assert "@import" not in page and "url(" not in page


async def test_every_chart_is_drawn_in_the_browser(
    demo_page: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, scorecard = demo_page
    async with Chromium(tmp_path / "profile") as browser:
        page = await browser.page()
        await page.goto(out.as_uri())
        await page.until("document.querySelectorAll('.plot canvas').length > 0", 10, "charts")
        charts = await page.js(PROBE)
        fetched = await page.js("performance.getEntriesByType('resource').length")
        rows = await page.js(
            "[...document.querySelectorAll('tr[data-commitment]')].map(tr => "
            "[tr.dataset.commitment, JSON.parse(tr.dataset.actual), JSON.parse(tr.dataset.status)])"
        )
        await page.screenshot(tmp_path / "file.png", 1400)

    current = scorecard["weeks"][-1]
    assert rows == [[r["commitment"], r["actual"], r["status"]] for r in current["rows"]]
    assert fetched == 0  # nothing came from anywhere: the file is the whole page
    # One chart per trend the JSON gives, each drawn once: every commitment's (a name some
    # card has a row for) among the commitments' trends, every funnel rate's among the
    # funnel's.
    slug = lambda name: re.sub(r"[^0-9a-z]+", "-", name.lower()).strip("-")  # noqa: E731
    committed = {r["commitment"] for w in scorecard["weeks"] for r in w["rows"]}
    trends = scorecard["trends"]
    assert committed >= {r["commitment"] for r in current["rows"]} and committed < set(trends)
    ids = [c["id"] for c in charts]
    assert sorted(i for i in ids if i.startswith("trend-")) == sorted(
        f"trend-{slug(name)}" for name in trends if name in committed
    )
    assert sorted(i for i in ids if i.startswith("funnel-")) == sorted(
        f"funnel-{slug(name)}" for name in trends if name not in committed
    )
    assert "funnel-mql-to-opportunity" in ids  # the funnel's highlighted rate
    assert any(i.startswith("speed-") for i in ids) and "rejections" in ids
    # A rate with nothing to measure in any period is
    # charted empty and says so; every other chart has its lines and points drawn.
    empty = {
        f"{'trend' if name in committed else 'funnel'}-{slug(name)}"
        for name, points in trends.items()
        if all(p["actual"] is None for p in points)
    }
    assert empty < set(ids)
    # A rate measured in a single period is one point, no line: fewer pixels, still drawn.
    single = {
        f"{'trend' if name in committed else 'funnel'}-{slug(name)}"
        for name, points in trends.items()
        if sum(p["actual"] is not None for p in points) == 1
    }
    for chart in charts:
        assert chart["canvas"] and chart["shown"], chart
        assert chart["w"] > 250 and chart["h"] > 150, chart
        assert len(chart["alt"]) > 40, chart
        if chart["id"] in empty:
            assert chart["alt"].endswith("nothing measured yet."), chart
        else:
            # lines and points drawn in the palette
            assert chart["coloured"] > (20 if chart["id"] in single else 100), chart
    assert (tmp_path / "file.png").stat().st_size > 50_000


def test_html_refuses_to_overwrite_an_input(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text((REPO / "examples" / "events.sample.jsonl").read_text())
    before = events.read_bytes()

    done = leadflow(
        "scorecard", "--policy", str(REPO / "examples" / "policy.yaml"), str(events),
        "--html", str(events), "--no-progress",
    )  # fmt: skip

    assert done.returncode == 2
    assert "is an input of this command" in done.stderr and "Traceback" not in done.stderr
    assert events.read_bytes() == before

"""The staffing search and the comparison as HTML pages (`leadflow staff --html`,
`leadflow compare --html`), rendered from real runs of the CLI.

Each page must hold its plots as SVG images that decode, show the same numbers as the
JSON the same command wrote, mark the chosen headcount, say why a target no headcount
reaches is out of reach, and still render when fields are missing.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from leadflow.cli import main
from simulator.report import fmt, render_compare_html, render_staff_html
from tests.sim_cases import unreachable_demo

DATA = Path(__file__).resolve().parent / "data" / "sim"


class Page(HTMLParser):
    """The page's plots (key -> decoded SVG root) and tables (rows of cell texts)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.plots: dict[str, ET.Element] = {}
        self.alts: dict[str, str] = {}
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            src, key = a.get("src") or "", a.get("data-plot") or ""
            prefix = "data:image/svg+xml;base64,"
            assert src.startswith(prefix), src[:40]
            self.plots[key] = ET.fromstring(base64.b64decode(src[len(prefix) :]))
            self.alts[key] = a.get("alt") or ""
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def is_svg(root: ET.Element) -> bool:
    return root.tag.endswith("svg") and len(list(root.iter())) > 50


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    tmp = tmp_path_factory.mktemp("staff")
    out_json, out_html = tmp / "found.json", tmp / "found.html"
    code = main(["staff", str(unreachable_demo(tmp)), "--replications", "2", "--no-progress",
                 "--json", str(out_json), "--html", str(out_html)])
    assert code == 0  # the reachable targets are met by some headcount
    return json.loads(out_json.read_text()), out_html.read_text(encoding="utf-8")


def test_the_staff_page_plots_headcount_against_compliance(
    staffed: tuple[dict[str, Any], str],
) -> None:
    found, text = staffed
    page = Page(text)
    assert list(page.plots) == ["headcount"] and is_svg(page.plots["headcount"])
    alt = page.alts["headcount"]
    for tier, target in found["targets"].items():
        assert f"(target {fmt.target(target)})" in alt and tier in alt
    assert f"Marked: {found['reachable_headcount']} reps, meets every reachable target" in alt


def test_the_staff_table_has_the_json_numbers(staffed: tuple[dict[str, Any], str]) -> None:
    found, text = staffed
    rows = {r[0]: r for r in Page(text).rows if r and r[0].isdigit()}
    assert sorted(rows) == [str(r["headcount"]) for r in found["rows"]]
    header = next(r for r in Page(text).rows if r and r[0] == "reps")
    for row in found["rows"]:
        cells = rows[str(row["headcount"])]
        for tier, got in row["tiers"].items():
            lo, hi = got["first_touch_within_sla_ci95"]
            low, high = fmt.ci_pct((lo, hi))
            want = f"{fmt.pct(got['first_touch_within_sla'])} ({low} to {high})"
            assert cells[header.index(f"{tier} within SLA (95% CI)")] == want
        assert cells[header.index("utilisation")] == fmt.pct(row["utilization"])
        assert cells[header.index("meets every target")].startswith(
            "yes" if row["meets_targets"] else "no")
        assert cells[header.index("meets every reachable target")].startswith(
            "yes" if row["meets_reachable"] else "no")


def test_the_staff_page_says_why_a_target_is_out_of_reach(
    staffed: tuple[dict[str, Any], str],
) -> None:
    found, text = staffed
    assert found["headcount"] is None and list(found["unreachable"]) == ["demo_request"]
    why = found["unreachable_why"]["demo_request"]
    assert "1h of calendar time" in why and "mon-fri 09:00-17:00" in why
    plain = re.sub(r"<[^>]+>", "", text)
    assert "demo_request (target 99%" in plain
    assert "cannot be reached by staffing commercial" in plain
    assert why in plain.replace("&#x27;", "'")
    reach = found["reachable_headcount"]
    assert f"{reach} reps meet every reachable one" in plain


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    tmp = tmp_path_factory.mktemp("compare")
    out_json, out_html = tmp / "both.json", tmp / "both.html"
    code = main(["compare", str(DATA / "small.yaml"), str(DATA / "small-no-surge.yaml"),
                 "--replications", "2", "--no-progress",
                 "--json", str(out_json), "--html", str(out_html)])
    assert code == 0
    return json.loads(out_json.read_text()), out_html.read_text(encoding="utf-8")


def test_the_compare_page_has_its_three_plots(compared: tuple[dict[str, Any], str]) -> None:
    results, text = compared
    page = Page(text)
    assert set(page.plots) == {"compare_compliance", "compare_speed", "compare_queues"}
    assert all(is_svg(root) for root in page.plots.values())
    for name in results:  # every scenario is in every plot's words
        assert all(name in alt for alt in page.alts.values())
    for pool in results["small"]["series"]["queue"]:
        assert f"{pool}: " in page.alts["compare_queues"]


def test_the_compare_table_has_the_json_numbers(compared: tuple[dict[str, Any], str]) -> None:
    results, text = compared
    rows = {r[0]: r[1:] for r in Page(text).rows if r}
    names = list(results)
    assert rows[""] == names  # the header: one column per scenario
    for tier in results[names[0]]["tiers"]:
        assert rows[f"{tier} within SLA"] == [
            fmt.pct(results[n]["tiers"][tier]["first_touch_within_sla"]) for n in names]
        assert rows[f"{tier} p95"] == [
            fmt.duration(results[n]["tiers"][tier]["first_touch_minutes"]["p95"]) for n in names]
    for pool in results[names[0]]["pools"]:
        assert rows[f"{pool} utilisation"] == [
            fmt.pct(results[n]["pools"][pool]["utilization"]) for n in names]
        assert rows[f"{pool} surge hours"] == [
            fmt.number(results[n]["surge"]["hours"][pool]) for n in names]
    # The surge protocol made a difference that the page shows.
    assert rows["commercial surge hours"][0] != rows["commercial surge hours"][1]


def test_pages_of_empty_data_render_and_say_not_measured() -> None:
    staff = render_staff_html({})
    compare = render_compare_html({"a": {}, "b": {"tiers": "odd"}})
    for text in (staff, compare):
        assert text.startswith("<!DOCTYPE html>") and "not measured" in text
        assert "<img" not in text  # nothing to draw, nothing drawn

"""The simulator counts the daily digests and weekly summaries the core emits
(routing/briefings.py): the same records a replay of the same inputs gives, counted in the
result's `notifications` (per replication, per role, per rep and working day)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from simulator.driver import Replication
from simulator.leadgen import tier_templates
from simulator.report.html import render_html
from simulator.run import simulate
from simulator.scenario import load_scenario
from simulator.text import summary
from tests.chromium import CHROMIUM, Chromium

REPO = Path(__file__).resolve().parents[1]


def scenario_file(tmp_path: Path, policy: str, team: str) -> Path:
    raw = yaml.safe_load((REPO / "examples" / "scenario.yaml").read_text())
    raw.update(policy=str(REPO / "examples" / policy), team=str(REPO / "examples" / team),
               duration="3w", replications=2)
    raw["arrivals"] = [a for a in raw["arrivals"] if a["kind"] == "poisson"]
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_the_simulator_counts_the_digests_the_core_emits(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file(tmp_path, "notify/policy.yaml", "notify/team.yaml"))
    result = simulate(scenario)
    told = result["notifications"]
    assert told["digests"] > 0 and told["digest_items"] >= told["digests"]
    assert told["weekly_summaries"] == 3.0  # from Mon 5 Jan: W02, W03, W04 (at the horizon)
    assert set(told["by_role"]) <= {"rep", "team_lead", "manager"}
    assert told["by_role"]["rep"]["digests"] == sum(r["digests"] for r in told["reps"].values())
    # A rep gets at most one digest per working day.
    assert all(r["per_working_day"] is None or 0 <= r["per_working_day"] <= 1
               for r in told["reps"].values())
    assert "daily digests per replication" in summary(result)
    page = render_html(result)
    assert "Daily digests and weekly summaries" in page
    assert f"<th scope=\"row\">rep-08</th><td>{told['reps']['rep-08']['digests']:.1f}" in page
    # One replication, counted from the core's own records: the digests the engine emitted.
    sim = Replication(scenario, 0, tier_templates(scenario.loaded.policy))
    one = sim.run()
    engine_count = sim.engine.day_starts
    assert engine_count is not None
    assert one["notifications"]["digests"] == engine_count.digests
    assert one["notifications"]["digest_items"] == engine_count.items


def test_a_policy_without_digests_has_no_notifications_key(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file(tmp_path, "policy.yaml", "team.yaml"))
    result = simulate(scenario)
    assert "notifications" not in result
    assert "daily digests" not in summary(result)
    assert "Daily digests" not in render_html(result)


async def test_the_reports_digest_section_shows_in_chromium(tmp_path: Path) -> None:
    """The report's section, in headless Chromium: laid out, one row per rep;
    LEADFLOW_WRITE_DOCS_IMG=1 writes docs/img/report-digests.png."""
    if not Path(CHROMIUM).exists():
        pytest.skip("needs /usr/bin/chromium")
    scenario = load_scenario(scenario_file(tmp_path, "notify/policy.yaml", "notify/team.yaml"))
    result = simulate(scenario)
    html = tmp_path / "report.html"
    html.write_text(render_html(result))
    async with Chromium(tmp_path / "profile") as browser:
        page = await browser.page(width=900)
        await page.goto(html.as_uri())
        rows = await page.js("document.querySelectorAll('#told tbody tr').length")
        assert rows == len(result["notifications"]["by_role"]) + 3 + len(
            result["notifications"]["reps"])
        assert await page.js("document.getElementById('told').offsetHeight") > 200
        await page.js("document.querySelectorAll('body > *').forEach(e => {"
                      " if (!e.contains(document.getElementById('told'))) e.remove(); });"
                      "document.querySelectorAll('section:not(#told)').forEach(e => e.remove())")
        shot = (REPO / "docs" / "img" / "report-digests.png"
                if os.environ.get("LEADFLOW_WRITE_DOCS_IMG") else tmp_path / "shot.png")
        await page.screenshot(shot, 900)
        assert shot.stat().st_size > 10_000

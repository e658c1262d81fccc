"""The simulator's text summary says what its numbers are: means per replication, the
pipeline-lost figure in words, which targets are missed, follow-up and disposition below
the policy's target; a run with no leads, or a spike outside the horizon, says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_corpus import run_cli
from tests.replaying import ROOT

SMALL = ROOT / "tests" / "data" / "sim" / "small.yaml"


def _scenario(tmp_path: Path, old: str, new: str, name: str = "variant.yaml") -> Path:
    text = SMALL.read_text().replace("../../../examples/", str(ROOT / "examples") + "/")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new).replace("duration: 3w", "duration: 1w"))
    return path


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("sim")
    path = _scenario(tmp, "{tier1: 0.90", "{demo_request: 0.99, tier1: 0.90")
    ran = run_cli(["simulate", str(path), "--replications", "2", "--no-progress"])
    assert ran.code == 0, ran.err
    return ran.out


def test_means_over_replications_are_labelled(summary: str) -> None:
    assert "counts are means per replication (over 2)" in summary
    assert "leads/rep" in summary and "breaches/rep" in summary and "surge h/rep" in summary


def test_the_pipeline_lost_figure_is_explained(summary: str) -> None:
    (line,) = [x for x in summary.splitlines() if x.startswith("pipeline lost")]
    assert "the share of the pipeline's value lost because leads waited" in line


def test_missed_targets_are_named(summary: str) -> None:
    (line,) = [x for x in summary.splitlines() if x.startswith("targets met")]
    expected = "targets met (lower end of the 95% CI): NO — missed: demo_request (target 99.0%"
    assert line.startswith(expected)


def test_follow_up_and_disposition_below_target_are_flagged(summary: str) -> None:
    """The reference policy's targets are 100%: a simulated quarter falls short."""
    flagged = [x for x in summary.splitlines() if "BELOW TARGET" in x]
    assert any(x.startswith("dispositioned within window") for x in flagged)
    assert "below the policy's target: " in summary


def test_a_run_without_leads_says_so(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "mqls_per_week: 150", "mqls_per_week: 0")
    path.write_text(path.read_text().replace("mqls: 150", "mqls: 0"))
    ran = run_cli(["simulate", str(path), "--replications", "2", "--no-progress"])
    assert ran.code == 0, ran.err
    assert "no leads were simulated" in ran.out
    assert "targets met (lower end of the 95% CI): yes" not in ran.out


def test_a_spike_outside_the_horizon_is_named(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "at: 2026-01-13T14:00:00-05:00", "at: 2026-03-13T14:00:00-05:00")
    ran = run_cli(["simulate", str(path), "--replications", "1", "--no-progress"])
    assert ran.code == 0, ran.err
    assert "arrivals[1] (webinar): the spike at 2026-03-13" in ran.err
    assert "outside the horizon" in ran.err and "none of its 150 MQLs" in ran.err

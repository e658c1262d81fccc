"""Conformance with the shared reference files (../shared/reference next to the repo).

The reference policy and team must load as they are, and examples/ must say the same;
the reference sample stream, replayed against the reference policy, must give exactly
the decisions pinned in tests/golden/sample.decisions.jsonl (checked by hand against the
policy in tests/test_replay_sample.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import replay_lines

pytestmark = pytest.mark.conformance

REPO = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
EXAMPLES = REPO / "examples"

if not REFERENCE.is_dir():
    pytest.skip(f"no reference files at {REFERENCE}", allow_module_level=True)


def test_reference_policy_and_team_load_as_they_are() -> None:
    loaded = load_policy(REFERENCE / "policy.yaml")
    assert loaded.team_file == str((REFERENCE / "team.yaml").resolve())
    assert [t.name for t in loaded.policy.tiers] == ["demo_request", "tier1", "tier2", "tier3"]
    assert [p.name for p in loaded.policy.routing.pools] == ["enterprise", "commercial", "bench"]
    assert len(loaded.team.reps) == 10


@pytest.mark.parametrize("name", ["policy.yaml", "team.yaml"])
def test_examples_carry_the_reference_content(name: str) -> None:
    reference = yaml.safe_load((REFERENCE / name).read_text(encoding="utf-8"))
    example = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    assert example == reference, f"examples/{name} differs from the reference {name}"


def test_examples_load_to_the_same_agreement() -> None:
    reference = load_policy(REFERENCE / "policy.yaml")
    example = load_policy(EXAMPLES / "policy.yaml")
    assert example.policy == reference.policy
    assert example.team == reference.team


def test_reference_sample_replays_to_the_pinned_decisions() -> None:
    engine = Engine(load_policy(REFERENCE / "policy.yaml"))
    with open(REFERENCE / "events.sample.jsonl", encoding="utf-8") as lines:
        text = "".join(line + "\n" for line in replay_lines(engine, lines))
    golden = (REPO / "tests" / "golden" / "sample.decisions.jsonl").read_text(encoding="utf-8")
    assert text == golden
    assert engine.stats["duplicate"] == 1 and engine.stats["rejected"] == 1


def test_reference_scenario_names_the_reference_policy_and_team() -> None:
    scenario = yaml.safe_load((REFERENCE / "scenario.yaml").read_text(encoding="utf-8"))
    loaded = load_policy(REFERENCE / scenario["policy"], REFERENCE / scenario["team"])
    pool = scenario["report"]["staffing_search"]["pool"]
    assert pool in {p.name for p in loaded.policy.routing.pools}
    assert set(scenario["report"]["targets"]["first_touch_within_sla"]) == {
        t.name for t in loaded.policy.tiers
    }

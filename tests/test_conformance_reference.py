"""Conformance with the shared reference files (../shared/reference next to the repo).

The reference policy and team must load as they are, and examples/ must say the same.
(Replay conformance against the reference events will be added here.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from routing.policy.loader import load_policy

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

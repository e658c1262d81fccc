"""`leadflow validate` warns (stderr, exit 0) about a valid policy that probably does not
say what its authors mean."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing.policy.advice import policy_warnings
from routing.policy.loader import load_policy
from tests.cli_corpus import run_cli
from tests.replaying import EXAMPLES


def _policy(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    raw = yaml.safe_load((EXAMPLES / "policy.yaml").read_text())
    raw["sales_commits"]["follow_up"]["within"] = "3d"  # the reference's one warning, off
    change(raw)
    shutil.copy(EXAMPLES / "team.yaml", tmp_path / "team.yaml")
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _tier(raw: dict[str, Any], index: int, tier: dict[str, Any]) -> None:
    raw["tiers"].insert(index, tier)


def _no_team(raw: dict[str, Any]) -> None:
    raw.pop("team")


def _empty_pool(raw: dict[str, Any]) -> None:
    raw["routing"]["pools"].insert(2, {"name": "partners", "when": {"region": "emea"}})


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("shadowed tier", lambda r: _tier(r, 2, {"name": "vip", "when": {"score": {"min": 90}},
                                             "first_touch": {"within": "1h"}}),
     "tiers[2] (vip): no lead can reach this tier"),
    ("tier below the MQL bar",
     lambda r: _tier(r, 0, {"name": "cold", "when": {"score": {"max": 40}},
                            "first_touch": {"within": "1h"}}),
     "excludes every MQL"),
    ("tier above 100", lambda r: _tier(r, 0, {"name": "perfect", "when": {"fit": {"min": 101}},
                                              "first_touch": {"within": "1h"}}),
     "fit is 0-100"),
    ("a pool with no reps", _empty_pool, "routing.pools[2] (partners): no rep of the team"),
    ("no team", _no_team, "the policy has no team"),
    ("a relax that tightens", lambda r: r["surge"]["actions"]["relax_first_touch"].update(
        tier3="1d"), "relax_first_touch.tier3: 1d is shorter"),
    ("a cadence longer than the disposition window",
     lambda r: r["sales_commits"]["follow_up"].update(within="10d"),
     "follow_up.within (10d, from the first touch) is longer"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validate_warns_on_stderr_and_exits_0(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], text: str
) -> None:
    path = _policy(tmp_path, change)
    ran = run_cli(["validate", str(path)])
    assert ran.code == 0, ran.err
    warnings = [line for line in ran.err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, warnings
    assert text in warnings[0]
    assert text not in ran.out


def test_a_policy_meaning_what_it_says_has_no_warning(tmp_path: Path) -> None:
    assert policy_warnings(load_policy(_policy(tmp_path, lambda r: None))) == []


def test_the_reference_policy_gets_its_one_warning() -> None:
    """Its follow-up cadence (10 business days from the first touch) is longer than its
    disposition window (3 business days from the MQL)."""
    (warning,) = policy_warnings(load_policy(EXAMPLES / "policy.yaml"))
    assert warning.startswith("sales_commits.follow_up.within (10d")

"""`leadflow policy diff A B`: what changes, key by key, in the words of `validate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.cli import main
from tests.replaying import EXAMPLES


def _copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (EXAMPLES / "policy.yaml").read_text()
    assert text.count(old) == 1
    out = tmp_path / name
    out.write_text(text.replace(old, new).replace("team: team.yaml", f"team: {EXAMPLES}/team.yaml"))
    return out


def test_tier1_window_change_in_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b = _copy(tmp_path, "b.yaml", "first_touch: {within: 4h, clock: business}",
              "first_touch: {within: 2h, clock: business}")
    assert main(["policy", "diff", str(EXAMPLES / "policy.yaml"), str(b)]) == 1
    out = capsys.readouterr().out
    assert "1 key(s) change" in out
    assert "tiers[tier1].first_touch.within: 4h -> 2h" in out
    assert "was: tier1 — score >= 80: first touch within 4 business hours" in out
    assert "now: tier1 — score >= 80: first touch within 2 business hours" in out
    assert "As a live version (`--policy" in out and "@TIME` (worker, replay)): accepted" in out


def test_several_sections_and_no_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = _copy(tmp_path, "b.yaml", "mql_volume: {per: week, min: 120}",
              "mql_volume: {per: week, min: 140}")
    assert main(["policy", "diff", str(EXAMPLES / "policy.yaml"), str(b)]) == 1
    out = capsys.readouterr().out
    assert "marketing_commits.mql_volume.min: 120 -> 140" in out
    assert "now: volume: at least 140 MQLs per week" in out
    assert "): refused; these keys are shared" in out
    assert "  - commitment mql_volume: now 'target 140 per week'" in out
    same = _copy(tmp_path, "same.yaml", "owner: revops", "owner: revops")
    assert main(["policy", "diff", str(EXAMPLES / "policy.yaml"), str(same)]) == 0
    assert "no difference" in capsys.readouterr().out


def test_surge_removed(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["policy", "diff", str(EXAMPLES / "policy.yaml"),
                 str(EXAMPLES / "policy-no-surge.yaml")])
    assert code == 1
    out = capsys.readouterr().out
    assert "surge.actions.overflow_to: bench -> (not set)" in out
    assert "now: no surge protocol" in out


def test_bad_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "diff", "nope.yaml", str(EXAMPLES / "policy.yaml")]) == 2
    assert "nope.yaml: no such policy file" in capsys.readouterr().err

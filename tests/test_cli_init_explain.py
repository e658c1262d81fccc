"""`leadflow init` gives files that validate, even in a fresh clone with nothing else around;
`leadflow explain` tells one lead's story (golden: the sample's L-1003, reassigned)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_corpus import env_without_leadflow, run_cli
from tests.replaying import GOLDEN, ROOT

EXPLAIN_ARGV = [
    "explain", "L-1003", "--policy", "examples/policy.yaml", "examples/events.sample.jsonl",
]  # fmt: skip
EXPLAIN_GOLDEN = GOLDEN / "explain.L-1003.txt"


def explain_text() -> str:
    """The golden's text: `leadflow explain` on the sample, run from the repository root
    (scripts/regen_golden.py writes it)."""
    ran = run_cli(EXPLAIN_ARGV, cwd=ROOT)
    assert ran.code == 0, ran.err
    return ran.out


def test_init_then_validate_then_simulate(tmp_path: Path) -> None:
    ran = run_cli(["init", "my-sla"], cwd=tmp_path)
    assert ran.code == 0, ran.err
    assert sorted(p.name for p in (tmp_path / "my-sla").iterdir()) == [
        "policy.yaml", "scenario.yaml", "team.yaml",
    ]  # fmt: skip
    assert "leadflow validate my-sla/policy.yaml" in ran.out
    assert ran.out.count("  leadflow ") == 3  # the next three commands
    checked = run_cli(["validate", "my-sla/policy.yaml"], cwd=tmp_path)
    assert checked.code == 0, checked.err
    assert "warning" not in checked.err  # the starter is what it means
    assert "Our Sales & Marketing SLA" in checked.out
    ran = run_cli(["simulate", "my-sla/scenario.yaml", "--replications", "1", "--no-progress"],
                  cwd=tmp_path)  # fmt: skip
    assert ran.code == 0, ran.err
    assert "leads/rep" in ran.out


def test_every_comment_names_a_file_that_exists() -> None:
    """The examples' and the starter's comments point at files of the repository."""
    from leadflow.starter import FILES

    texts = [p.read_text() for p in (ROOT / "examples").glob("*.yaml")] + list(FILES.values())
    for text in texts:
        for ref in re.findall(r"\b((?:docs|reference|examples)/[\w./-]+\.\w+)", text):
            assert (ROOT / ref).exists(), ref


def test_init_and_validate_in_a_fresh_clone(tmp_path: Path) -> None:
    """A clone of the committed repository, nothing else: init, then validate."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    done = subprocess.run([git, "clone", "--quiet", str(ROOT), str(clone)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"git clone failed: {done.stderr.decode()[:200]}")
    env = env_without_leadflow()
    env.update(PYTHONPATH=str(clone), LEADFLOW_PURE="1")
    work = tmp_path / "elsewhere"
    work.mkdir()
    for argv in (["init", "sla"], ["validate", "sla/policy.yaml"]):
        ran = subprocess.run(
            [sys.executable, "-m", "leadflow", *argv], cwd=work, env=env, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        assert "Traceback" not in ran.stderr
    assert "is a valid policy" in ran.stderr


def test_explain_l1003_matches_its_golden() -> None:
    """Regenerate with `python scripts/regen_golden.py` when decisions change on purpose."""
    assert explain_text() == EXPLAIN_GOLDEN.read_text(encoding="utf-8")


def test_explain_shows_the_reassignment_chain() -> None:
    story = explain_text()
    moves = re.findall(r"lead\.reassigned: (\S+) -> (\S+)", story)
    assigned = re.findall(r"lead\.assigned: (\S+)", story)
    assert assigned and moves, story
    chain = [assigned[0]] + [to for _, to in moves]
    for (frm, _), before in zip(moves, chain, strict=False):
        assert frm == before  # each reassignment starts from the previous owner
    assert f"owners so far {' -> '.join(chain)}" in story
    assert "why: " in story and "notified: " in story and "due " in story
    assert story.index("input (line") < story.index("lead.assigned")


def test_explain_is_in_event_time() -> None:
    stamps = [line[:16] for line in explain_text().splitlines() if line[:4].isdigit()]
    assert stamps == sorted(stamps)

"""Nothing is lost or damaged: for every way a command used to destroy a file, the file on
disk is byte-identical afterwards (and the command says why it refused)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_corpus import build, digest, env_without_leadflow, run_cli
from tests.replaying import ROOT

OLD = b'{"old":"decisions, kept"}\n'


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = build(tmp_path / "c")
    (root / "existing.jsonl").write_bytes(OLD)
    return root


def _unchanged(corpus: Path, argv: list[str], code: int = 2) -> str:
    before = digest(corpus)
    ran = run_cli(argv, cwd=corpus)
    assert "Traceback" not in ran.err
    assert ran.code == code, ran.err
    after = digest(corpus)
    assert after == before, "a file changed: " + ", ".join(
        sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    )
    return ran.err


def test_out_equal_to_the_events_file_is_refused_and_the_file_kept(corpus: Path) -> None:
    err = _unchanged(corpus, ["replay", "--policy", "policy.yaml", "--out", "events.jsonl",
                              "events.jsonl"])  # fmt: skip
    assert "events.jsonl" in err and "input" in err


def test_out_equal_to_the_events_file_by_another_name_is_refused(corpus: Path) -> None:
    os.symlink(corpus / "events.jsonl", corpus / "link.jsonl")
    _unchanged(corpus, ["replay", "--policy", "policy.yaml", "--out", "./link.jsonl",
                        "events.jsonl"])  # fmt: skip


@pytest.mark.parametrize("name", ["policy.yaml", "team.yaml"])
def test_out_equal_to_the_policy_or_team_is_refused(corpus: Path, name: str) -> None:
    _unchanged(corpus, ["replay", "--policy", "policy.yaml", "--out", name, "events.jsonl"])


def test_a_missing_events_file_leaves_out_as_it_was(corpus: Path) -> None:
    _unchanged(corpus, ["replay", "--policy", "policy.yaml", "--out", "existing.jsonl",
                        "missing.jsonl"])  # fmt: skip


def test_a_bad_until_leaves_out_as_it_was(corpus: Path) -> None:
    _unchanged(corpus, ["replay", "--policy", "policy.yaml", "--out", "existing.jsonl",
                        "--until", "next tuesday", "events.jsonl"])  # fmt: skip


def test_a_bad_policy_leaves_out_as_it_was(corpus: Path) -> None:
    _unchanged(corpus, ["replay", "--policy", "policy-latin1.yaml", "--out", "existing.jsonl",
                        "events.jsonl"])  # fmt: skip


def test_a_file_with_no_event_leaves_out_as_it_was(corpus: Path) -> None:
    _unchanged(corpus, ["replay", "--policy", "policy.yaml", "--out", "existing.jsonl",
                        "array.json"])  # fmt: skip


def test_a_file_cut_short_half_way_leaves_out_as_it_was(corpus: Path) -> None:
    """The replay fails after applying some lines: --out is not half-written."""
    _unchanged(corpus, ["replay", "--policy", "policy.yaml", "--out", "existing.jsonl",
                        "cut.jsonl.gz"])  # fmt: skip
    assert not [p for p in corpus.iterdir() if p.name.endswith(".tmp")]


def test_out_into_a_missing_folder_is_created_and_written(corpus: Path) -> None:
    ran = run_cli(["replay", "--policy", "policy.yaml", "--out", "new/dir/d.jsonl",
                   "events.jsonl"], cwd=corpus)  # fmt: skip
    assert ran.code == 0, ran.err
    # every decision of the sample, byte for byte as pinned (tests/golden)
    golden = ROOT / "tests" / "golden" / "sample.decisions.jsonl"
    assert (corpus / "new/dir/d.jsonl").read_bytes() == golden.read_bytes()


def test_out_replaces_the_old_file_only_when_done(corpus: Path) -> None:
    ran = run_cli(["replay", "--policy", "policy.yaml", "--out", "existing.jsonl",
                   "events.jsonl"], cwd=corpus)  # fmt: skip
    assert ran.code == 0
    assert (corpus / "existing.jsonl").read_bytes() != OLD
    assert not [p for p in corpus.iterdir() if p.name.endswith(".tmp")]


def test_stdout_appended_to_the_events_file_is_refused(corpus: Path) -> None:
    """`leadflow replay ... events.jsonl >> events.jsonl` would read what it writes."""
    before = (corpus / "events.jsonl").read_bytes()
    env = env_without_leadflow()
    env["PYTHONPATH"] = str(ROOT)
    with open(corpus / "events.jsonl", "ab") as sink:
        done = subprocess.run(
            [sys.executable, "-m", "leadflow", "replay", "--policy", "policy.yaml",
             "events.jsonl"],
            cwd=corpus, env=env, stdout=sink, stderr=subprocess.PIPE, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "events.jsonl" in done.stderr
    assert (corpus / "events.jsonl").read_bytes() == before


@pytest.mark.parametrize(
    ("command", "option", "name"),
    [
        ("simulate", "--json", "scenario.yaml"),
        ("simulate", "--html", "policy.yaml"),
        ("simulate", "--json", "team.yaml"),
        ("staff", "--json", "policy.yaml"),
        ("staff", "--html", "scenario.yaml"),
    ],
)
def test_a_simulator_output_equal_to_an_input_is_refused(
    corpus: Path, command: str, option: str, name: str
) -> None:
    _unchanged(corpus, [command, "scenario.yaml", option, name])


def test_compare_output_equal_to_any_scenario_is_refused(corpus: Path) -> None:
    _unchanged(corpus, ["compare", "scenario.yaml", "scenario-no-surge.yaml", "--html",
                        "scenario-no-surge.yaml"])  # fmt: skip


def test_staff_checks_its_outputs_before_the_search(corpus: Path) -> None:
    """The reference staffing search takes about a minute; a bad --json fails at once."""
    start = time.perf_counter()
    _unchanged(corpus, ["staff", "scenario.yaml", "--json", "a-folder"])
    assert time.perf_counter() - start < 10


def test_html_to_stdout_is_the_page_not_a_file_named_dash(corpus: Path) -> None:
    small = ROOT / "tests" / "data" / "sim" / "small.yaml"
    argv = ["simulate", str(small), "--replications", "1", "--html", "-", "--no-progress"]
    ran = run_cli(argv, cwd=corpus)
    assert ran.code == 0, ran.err
    assert ran.out.lstrip().lower().startswith("<!doctype html")
    assert "leadflow simulate" in ran.err  # the text summary went to stderr
    assert not (corpus / "-").exists()


def test_init_never_overwrites(corpus: Path) -> None:
    (corpus / "mine").mkdir()
    (corpus / "mine" / "team.yaml").write_text("reps: []  # mine\n")
    _unchanged(corpus, ["init", "mine"])
    assert not (corpus / "mine" / "policy.yaml").exists()


def test_gzip_events_give_the_same_decisions(corpus: Path) -> None:
    (corpus / "again.gz").write_bytes(gzip.compress((corpus / "events.jsonl").read_bytes()))
    plain = run_cli(["replay", "--policy", "policy.yaml", "events.jsonl"], cwd=corpus)
    packed = run_cli(["replay", "--policy", "policy.yaml", "again.gz"], cwd=corpus)
    assert plain.code == packed.code == 0
    assert plain.out == packed.out


def test_out_to_dev_null_writes_through_it_and_never_replaces_it(corpus: Path) -> None:
    ran = run_cli(["replay", "--policy", "policy.yaml", "--out", os.devnull, "events.jsonl"],
                  cwd=corpus)  # fmt: skip
    assert ran.code == 0, ran.err
    assert not Path(os.devnull).is_file()  # still the device, not a file put in its place

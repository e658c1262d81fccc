"""Every command, given the mistakes people really make: never a traceback, the right exit
status (2 for a usage or input error), and a message that names the file at fault.

The corpus (tests/cli_corpus.py) has broken encodings, compression, binary data, empty and
huge files, files of the wrong kind, and bad flags and combinations. Most cases run
`leadflow.cli.main` in this process (fast); a few run the real `python -m leadflow`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_corpus import build, env_without_leadflow, run_cli
from tests.replaying import EXAMPLES, ROOT

P = "--policy=policy.yaml"
NC = "--no-capacity"  # review without the staffing search (fast)
RATES = ["--deal-size", "100", "--win-rate", "0.2", "--mql-to-opportunity", "0.2"]
B = "--broker=kafka://127.0.0.1:1"  # a closed port: every case below fails before connecting
# The line of the policy where the corpus's Latin-1 copy has its first non-UTF-8 byte.
LATIN1 = "policy-latin1.yaml:" + str(
    1 + (EXAMPLES / "policy.yaml").read_text().splitlines().index("  name: Sales & Marketing SLA")
)

# (id, argv, exit status, texts the message must contain). Paths are relative to the
# corpus folder, the working directory of each run.
# fmt: off
CASES: list[tuple[str, list[str], int, list[str]]] = [
    # --- top level -------------------------------------------------------------------
    ("no-command", [], 2, ["COMMAND"]),
    ("unknown-command", ["replai"], 2, ["invalid choice", "replay"]),
    ("unknown-flag", ["--verbose", "info"], 2, ["unrecognized arguments"]),
    ("version", ["--version"], 0, []),
    # --- replay: events files --------------------------------------------------------
    ("replay-missing-events", ["replay", P, "nowhere.jsonl"], 2, ["nowhere.jsonl", "cannot read"]),
    ("replay-events-folder", ["replay", P, "a-folder"], 2, ["a-folder", "folder"]),
    ("replay-empty", ["replay", P, "empty.jsonl"], 2, ["empty.jsonl", "empty"]),
    ("replay-blank", ["replay", P, "blank.jsonl"], 2, ["blank.jsonl", "3 blank"]),
    ("replay-binary", ["replay", P, "binary.jsonl"], 2, ["binary.jsonl", "binary"]),
    ("replay-utf16", ["replay", P, "utf16.jsonl"], 2, ["utf16.jsonl", "no line is an event"]),
    ("replay-array", ["replay", P, "array.json"], 2, ["array.json", "JSON array", "jq"]),
    ("replay-pretty", ["replay", P, "pretty.jsonl"], 2, ["pretty.jsonl", "pretty-printed"]),
    ("replay-csv", ["replay", P, "events.csv"], 2, ["events.csv", "CSV"]),
    ("replay-yaml-as-events", ["replay", P, "policy.yaml"], 2, ["policy.yaml", "YAML"]),
    ("replay-numbers", ["replay", P, "numbers.jsonl"], 2, ["numbers.jsonl", "3 malformed"]),
    ("replay-strings", ["replay", P, "strings.jsonl"], 2, ["strings.jsonl"]),
    ("replay-nulls", ["replay", P, "nulls.jsonl"], 2, ["nulls.jsonl"]),
    ("replay-cut-gzip", ["replay", P, "cut.jsonl.gz"], 2, ["cut.jsonl.gz", "cut short"]),
    ("replay-garbage-gzip", ["replay", P, "garbage.gz"], 2, ["garbage.gz"]),
    ("replay-latin1-line", ["replay", P, "latin1.jsonl"], 0, ["28 lines", "2 malformed"]),
    ("replay-bom", ["replay", P, "bom.jsonl"], 0, ["24 applied", "1 malformed"]),
    ("replay-gzip", ["replay", P, "events.jsonl.gz"], 0, ["24 applied"]),
    ("replay-gzip-any-name", ["replay", P, "renamed-gzip.jsonl"], 0, ["24 applied"]),
    ("replay-crlf", ["replay", P, "crlf.jsonl"], 0, ["24 applied"]),
    ("replay-no-final-newline", ["replay", P, "no-newline.jsonl"], 0, ["24 applied"]),
    ("replay-huge-line", ["replay", P, "huge-line.jsonl"], 0, ["1 applied", "1 malformed"]),
    ("replay-deep-json", ["replay", P, "deep.jsonl"], 0, ["1 applied", "1 malformed"]),
    ("replay-nan", ["replay", P, "nan.jsonl"], 0, ["1 applied", "1 malformed"]),
    ("replay-year-typo", ["replay", P, "year-typo.jsonl"], 0, ["2 refused"]),
    # --- replay: policy and team -----------------------------------------------------
    ("replay-missing-policy", ["replay", "--policy", "nope.yaml", "events.jsonl"], 2,
     ["nope.yaml"]),
    ("replay-no-policy-flag", ["replay", "events.jsonl"], 2, ["--policy"]),
    ("replay-policy-folder", ["replay", "--policy", "a-folder", "events.jsonl"], 2, ["a-folder"]),
    ("replay-policy-latin1", ["replay", "--policy", "policy-latin1.yaml", "events.jsonl"], 2,
     [LATIN1, "UTF-8"]),
    ("replay-policy-binary", ["replay", "--policy", "policy-binary.yaml", "events.jsonl"], 2,
     ["policy-binary.yaml"]),
    ("replay-policy-empty", ["replay", "--policy", "policy-empty.yaml", "events.jsonl"], 2,
     ["policy-empty.yaml", "empty"]),
    ("replay-policy-list", ["replay", "--policy", "policy-list.yaml", "events.jsonl"], 2,
     ["policy-list.yaml"]),
    ("replay-policy-broken", ["replay", "--policy", "policy-broken.yaml", "events.jsonl"], 2,
     ["policy-broken.yaml:"]),
    ("replay-policy-utf16", ["replay", "--policy", "policy-utf16.yaml", "events.jsonl"], 2,
     ["policy-utf16.yaml"]),
    ("replay-events-as-policy", ["replay", "--policy", "events.jsonl", "events.jsonl"], 2,
     ["events.jsonl"]),
    ("replay-missing-team", ["replay", P, "--team", "nobody.yaml", "events.jsonl"], 2,
     ["nobody.yaml"]),
    # --- replay: flags ---------------------------------------------------------------
    ("replay-bad-until", ["replay", P, "--until", "tomorrow", "events.jsonl"], 2,
     ["--until", "tomorrow"]),
    ("replay-naive-until", ["replay", P, "--until", "2026-01-07T10:00", "events.jsonl"], 2,
     ["--until", "offset"]),
    ("replay-bad-format", ["replay", P, "--format", "csv", "events.jsonl"], 2, ["--format"]),
    ("replay-out-is-input", ["replay", P, "--out", "events.jsonl", "events.jsonl"], 2,
     ["events.jsonl", "input"]),
    ("replay-out-is-policy", ["replay", P, "--out", "policy.yaml", "events.jsonl"], 2,
     ["policy.yaml", "input"]),
    ("replay-out-is-team", ["replay", P, "--out", "team.yaml", "events.jsonl"], 2,
     ["team.yaml", "input"]),
    ("replay-out-folder", ["replay", P, "--out", "a-folder", "events.jsonl"], 2,
     ["a-folder", "folder"]),
    ("replay-out-under-file", ["replay", P, "--out", "a-file/out.jsonl", "events.jsonl"], 2,
     ["a-file", "not a folder"]),
    ("replay-out-empty-name", ["replay", P, "--out", "", "events.jsonl"], 2, ["--out"]),
    ("replay-two-events-files", ["replay", P, "events.jsonl", "bom.jsonl"], 2,
     ["unrecognized arguments"]),
    # --- scorecard -------------------------------------------------------------------
    ("scorecard-binary", ["scorecard", P, "binary.jsonl"], 2, ["binary.jsonl"]),
    ("scorecard-latin1-line", ["scorecard", P, "latin1.jsonl"], 0, []),
    ("scorecard-array", ["scorecard", P, "array.json"], 2, ["array.json", "JSON array"]),
    ("scorecard-missing", ["scorecard", P, "nowhere.jsonl"], 2, ["nowhere.jsonl"]),
    ("scorecard-bad-until", ["scorecard", P, "--until", "x", "events.jsonl"], 2, ["--until"]),
    ("scorecard-gzip", ["scorecard", P, "events.jsonl.gz"], 0, []),
    # --- explain ---------------------------------------------------------------------
    ("explain-unknown-lead", ["explain", "L-9999", P, "events.jsonl"], 2,
     ["events.jsonl", "L-9999"]),
    ("explain-near-lead", ["explain", "L-103", P, "events.jsonl"], 2, ["did you mean", "L-1003"]),
    ("explain-no-lead-arg", ["explain", P, "events.jsonl"], 2, ["EVENTS"]),
    ("explain-empty-events", ["explain", "L-1003", P, "empty.jsonl"], 2, ["empty.jsonl"]),
    ("explain-latin1-line", ["explain", "L-1003", P, "latin1.jsonl"], 0, []),
    # --- validate and schema ---------------------------------------------------------
    ("validate-missing", ["validate", "nope.yaml"], 2, ["nope.yaml"]),
    ("validate-latin1", ["validate", "policy-latin1.yaml"], 2, [LATIN1]),
    ("validate-binary", ["validate", "policy-binary.yaml"], 2, ["policy-binary.yaml"]),
    ("validate-utf16", ["validate", "policy-utf16.yaml"], 2, ["policy-utf16.yaml"]),
    ("validate-events-file", ["validate", "events.jsonl"], 2, ["events.jsonl"]),
    ("validate-folder", ["validate", "a-folder"], 2, ["a-folder", "folder"]),
    ("validate-team-folder", ["validate", "policy.yaml", "--team", "a-folder"], 2, ["a-folder"]),
    ("validate-team-is-events", ["validate", "policy.yaml", "--team", "events.jsonl"], 2,
     ["events.jsonl"]),
    ("schema-bad-flag", ["schema", "--policy"], 2, ["unrecognized"]),
    # --- init ------------------------------------------------------------------------
    ("init-into-file", ["init", "a-file"], 2, ["a-file", "is a file"]),
    ("init-over-existing", ["init", "."], 2, ["policy.yaml", "never overwrites"]),
    ("init-under-file", ["init", "a-file/sub"], 2, ["a-file"]),
    # --- simulator -------------------------------------------------------------------
    ("simulate-negative-seed", ["simulate", "scenario.yaml", "--seed", "-1"], 2, ["--seed", "-1"]),
    ("staff-negative-seed", ["staff", "scenario.yaml", "--seed", "-1"], 2, ["--seed"]),
    ("compare-negative-seed", ["compare", "scenario.yaml", "scenario-no-surge.yaml",
                               "--seed", "-5"], 2, ["--seed"]),
    ("simulate-zero-replications", ["simulate", "scenario.yaml", "--replications", "0"], 2,
     ["--replications"]),
    ("simulate-huge-replications", ["simulate", "scenario.yaml", "--replications", "1000000000"], 2,
     ["--replications"]),
    ("simulate-word-seed", ["simulate", "scenario.yaml", "--seed", "lucky"], 2, ["--seed"]),
    ("simulate-missing", ["simulate", "nope.yaml"], 2, ["nope.yaml"]),
    ("simulate-folder", ["simulate", "a-folder"], 2, ["a-folder"]),
    ("simulate-binary", ["simulate", "policy-binary.yaml"], 2, ["policy-binary.yaml"]),
    ("simulate-latin1", ["simulate", "scenario-latin1.yaml"], 2, ["scenario-latin1.yaml"]),
    ("simulate-events-file", ["simulate", "events.jsonl"], 2, ["events.jsonl"]),
    ("simulate-policy-as-scenario", ["simulate", "policy.yaml"], 2, ["policy.yaml"]),
    ("simulate-json-is-scenario", ["simulate", "scenario.yaml", "--json", "scenario.yaml"], 2,
     ["scenario.yaml", "input"]),
    ("simulate-html-is-policy", ["simulate", "scenario.yaml", "--html", "policy.yaml"], 2,
     ["policy.yaml", "input"]),
    ("simulate-json-folder", ["simulate", "scenario.yaml", "--json", "a-folder"], 2, ["a-folder"]),
    ("simulate-both-stdout", ["simulate", "scenario.yaml", "--json", "-", "--html", "-"], 2,
     ["stdout"]),
    ("simulate-same-outputs", ["simulate", "scenario.yaml", "--json", "o.x", "--html", "o.x"], 2,
     ["o.x"]),
    ("staff-json-is-team", ["staff", "scenario.yaml", "--json", "team.yaml"], 2,
     ["team.yaml", "input"]),
    ("staff-html-under-file", ["staff", "scenario.yaml", "--html", "a-file/x.html"], 2,
     ["a-file"]),
    ("compare-same-names", ["compare", "scenario.yaml", "scenario.yaml"], 2, ["names"]),
    ("compare-no-scenarios", ["compare"], 2, ["SCENARIO"]),
    ("compare-json-is-second", ["compare", "scenario.yaml", "scenario-no-surge.yaml", "--json",
                                "scenario-no-surge.yaml"], 2, ["input"]),
    # --- live commands (checks that fail before any broker is needed) ------------------
    ("worker-no-policy", ["worker"], 2, ["--policy"]),
    ("worker-missing-policy", ["worker", "--policy", "nope.yaml"], 2, ["nope.yaml"]),
    ("worker-bad-clock", ["worker", "--policy", "policy.yaml", "--clock", "sundial"], 2,
     ["--clock"]),
    ("worker-bad-skew", ["worker", P, "--clock-skew", "soon"], 2, ["--clock-skew"]),
    ("loadgen-nothing", ["loadgen"], 2, ["--rate"]),
    ("loadgen-replay-and-rate", ["loadgen", "--replay", "events.jsonl", "--rate", "5"], 2,
     ["--replay"]),
    ("loadgen-zero-rate", ["loadgen", "--rate", "0", "--count", "5", P], 2, ["--rate"]),
    ("loadgen-bad-speed", ["loadgen", "--replay", "events.jsonl", "--speed", "fast"], 2,
     ["--speed"]),
    ("loadgen-missing-replay", ["loadgen", "--replay", "nope.jsonl", "--broker",
                                "kafka://127.0.0.1:1"], 2, ["nope.jsonl"]),
    ("loadgen-replay-folder", ["loadgen", "--replay", "a-folder"], 2, ["a-folder"]),
    ("kafka-no-action", ["kafka"], 2, ["ACTION"]),
    ("kafka-bad-port", ["kafka", "status", "--port", "ninety"], 2, ["--port"]),
    ("info-extra", ["info", "now"], 2, ["unrecognized"]),
    # --- review / backtest / policy diff / plan: change the agreement with data ---------
    ("review-missing-history", ["review", "nowhere.jsonl", P, NC],
     2, ["nowhere.jsonl", "cannot read"]),
    ("review-missing-policy", ["review", "events.jsonl", "--policy=nowhere.yaml", NC],
     2, ["nowhere.yaml"]),
    ("review-list-policy", ["review", "events.jsonl", "--policy=policy-list.yaml", NC],
     2, ["policy-list.yaml:1"]),
    ("review-binary-history", ["review", "binary.jsonl", P, NC],
     2, ["binary.jsonl", "no valid input event"]),
    ("review-empty-history", ["review", "empty.jsonl", P, NC], 2, ["empty.jsonl"]),
    ("review-no-history", ["review"], 2, ["--render"]),
    ("review-out-is-history", ["review", "events.jsonl", P, NC, "--out", "events.jsonl"],
     2, ["events.jsonl", "input"]),
    ("review-json-is-policy", ["review", "events.jsonl", P, NC, "--json", "policy.yaml"],
     2, ["policy.yaml", "input"]),
    ("review-scenario-out-is-history",
     ["review", "events.jsonl", P, NC, "--scenario-out", "events.jsonl"],
     2, ["events.jsonl", "input"]),
    ("review-out-folder", ["review", "events.jsonl", P, NC, "--out", "a-folder"],
     2, ["a-folder", "folder"]),
    ("review-out-under-a-file", ["review", "events.jsonl", P, NC, "--out", "a-file/pack.md"],
     2, ["a-file"]),
    ("review-months-zero", ["review", "events.jsonl", P, NC, "--months", "0"], 2, ["--months"]),
    ("review-bad-until", ["review", "events.jsonl", P, NC, "--until", "2026-13-45"],
     2, ["--until", "2026-13-45"]),
    ("review-render-missing", ["review", "--render", "nowhere.json"], 2, ["nowhere.json"]),
    ("review-render-events", ["review", "--render", "events.jsonl"], 2, ["events.jsonl", "pack"]),
    ("review-render-yaml", ["review", "--render", "policy.yaml"], 2, ["policy.yaml", "pack"]),
    ("backtest-one-policy", ["backtest", "events.jsonl", P], 2, ["--policy", "two"]),
    ("backtest-missing-policy", ["backtest", "events.jsonl", P, "--policy=nowhere.yaml"],
     2, ["nowhere.yaml"]),
    ("backtest-broken-policy", ["backtest", "events.jsonl", P, "--policy=policy-broken.yaml"],
     2, ["policy-broken.yaml:3"]),
    ("backtest-missing-history", ["backtest", "nowhere.jsonl", P, P], 2, ["nowhere.jsonl"]),
    ("backtest-empty-history", ["backtest", "empty.jsonl", P, "--policy=policy-no-surge.yaml"],
     2, ["empty.jsonl"]),
    ("backtest-out-is-history",
     ["backtest", "events.jsonl", P, "--policy=policy-no-surge.yaml", "--out", "events.jsonl"],
     2, ["events.jsonl", "input"]),
    ("backtest-out-is-policy",
     ["backtest", "events.jsonl", P, "--policy=policy-no-surge.yaml", "--out", "policy.yaml"],
     2, ["policy.yaml", "input"]),
    ("backtest-out-folder",
     ["backtest", "events.jsonl", P, "--policy=policy-no-surge.yaml", "--out", "a-folder"],
     2, ["a-folder", "folder"]),
    ("policy-no-action", ["policy"], 2, ["ACTION"]),
    ("policy-diff-events", ["policy", "diff", "policy.yaml", "events.jsonl"],
     2, ["events.jsonl:2", "YAML"]),
    ("policy-diff-team", ["policy", "diff", "team.yaml", "policy.yaml"], 2, ["team.yaml:"]),
    ("policy-diff-missing", ["policy", "diff", "policy.yaml", "nowhere.yaml"], 2, ["nowhere.yaml"]),
    ("policy-diff-list", ["policy", "diff", "policy.yaml", "policy-list.yaml"],
     2, ["policy-list.yaml:1"]),
    ("policy-diff-binary", ["policy", "diff", "policy.yaml", "binary.jsonl"],
     2, ["binary.jsonl", "binary"]),
    ("policy-diff-folder", ["policy", "diff", "policy.yaml", "a-folder"], 2, ["a-folder"]),
    ("plan-revenue-text", ["plan", "--revenue", "abc"], 2, ["--revenue", "abc"]),
    ("plan-revenue-zero", ["plan", "--revenue", "0", *RATES], 2, ["--revenue"]),
    ("plan-revenue-nan", ["plan", "--revenue", "nan", *RATES], 2, ["--revenue", "nan"]),
    ("plan-revenue-inf", ["plan", "--revenue", "inf", *RATES], 2, ["--revenue", "inf"]),
    ("plan-negative-deal", ["plan", "--revenue", "1000", *RATES, "--deal-size", "-1"],
     2, ["--deal-size"]),
    ("plan-win-rate-zero", ["plan", "--revenue", "1000", *RATES, "--win-rate", "0"],
     2, ["--win-rate"]),
    ("plan-rate-above-one", ["plan", "--revenue", "1000", *RATES, "--mql-to-opportunity", "1.5"],
     2, ["--mql-to-opportunity"]),
    ("plan-no-rates", ["plan", "--revenue", "1000"], 2, ["--deal-size"]),
    ("plan-bad-tier-mix", ["plan", "--revenue", "1000", *RATES, "--tier-mix", "a=x"],
     2, ["--tier-mix"]),
    ("plan-history-no-policy", ["plan", "--revenue", "1000", "--history", "events.jsonl"],
     2, ["--policy"]),
    ("plan-missing-history", ["plan", "--revenue", "1000", "--history", "nowhere.jsonl", P],
     2, ["nowhere.jsonl"]),
    ("plan-headcount-no-history", ["plan", "--revenue", "1000", *RATES, "--headcount"],
     2, ["--headcount", "--history"]),
    ("plan-out-is-history",
     ["plan", "--revenue", "1000", "--history", "events.jsonl", P, "--out", "events.jsonl"],
     2, ["events.jsonl", "input"]),
    ("plan-out-folder", ["plan", "--revenue", "1000", *RATES, "--out", "a-folder"],
     2, ["a-folder", "folder"]),
    # --- notify / ingest / sink: refused before any connection (the broker is a closed port)
    ("notify-missing-policy", ["notify", "--policy=nowhere.yaml", B], 2, ["nowhere.yaml"]),
    ("notify-broken-policy", ["notify", "--policy=policy-broken.yaml", B],
     2, ["policy-broken.yaml:3"]),
    ("notify-missing-team", ["notify", P, "--team", "nowhere.yaml", B], 2, ["nowhere.yaml"]),
    ("notify-events-as-team", ["notify", P, "--team", "events.jsonl", B], 2, ["events.jsonl:2"]),
    ("notify-plan-missing", ["notify", P, "--plan", "nowhere.jsonl"], 2, ["nowhere.jsonl"]),
    ("notify-plan-binary", ["notify", P, "--plan", "binary.jsonl"], 2, ["binary.jsonl", "UTF-8"]),
    ("notify-plan-events", ["notify", P, "--plan", "policy.yaml"],
     2, ["policy.yaml", "not a decision"]),
    ("notify-digests-missing", ["notify", P, "--digests", "nowhere.jsonl"], 2, ["nowhere.jsonl"]),
    ("notify-bad-broker", ["notify", P, "--broker", "http://x"],
     2, ["LEADFLOW_BROKER", "kafka://"]),
    ("notify-bad-clock", ["notify", P, "--clock", "moon"], 2, ["--clock"]),
    ("notify-summary-missing", ["notify", P, "--publish-summary", "nowhere.json"],
     2, ["nowhere.json"]),
    ("notify-summary-events", ["notify", P, "--publish-summary", "events.jsonl"],
     2, ["events.jsonl", "scorecard"]),
    ("ingest-hook-missing", ["ingest", "--check", "--hook", "hubspot=nowhere.yaml"],
     2, ["nowhere.yaml"]),
    ("ingest-hook-policy", ["ingest", "--check", "--hook", "hubspot=policy.yaml"],
     2, ["policy.yaml:"]),
    ("ingest-hook-binary", ["ingest", "--check", "--hook", "hubspot=binary.jsonl"],
     2, ["binary.jsonl"]),
    ("ingest-hook-folder", ["ingest", "--check", "--hook", "hubspot=a-folder"], 2, ["a-folder"]),
    ("ingest-hook-no-name", ["ingest", "--check", "--hook", "nonsense"],
     2, ["--hook", "NAME=MAPPING"]),
    ("ingest-team-missing", ["ingest", "--check", "--team", "nowhere.yaml"], 2, ["nowhere.yaml"]),
    ("ingest-team-broken", ["ingest", "--check", "--team", "policy-broken.yaml"],
     2, ["policy-broken.yaml:3"]),
    ("ingest-bad-port", ["ingest", "--port", "99999", B], 2, ["LEADFLOW_INGEST_PORT"]),
    ("ingest-no-token", ["ingest", B], 2, ["LEADFLOW_INGEST_TOKEN"]),
    ("ingest-bad-broker", ["ingest", "--broker", "http://x"], 2, ["LEADFLOW_BROKER"]),
    ("sink-team-missing", ["sink", "--team", "nowhere.yaml", B], 2, ["nowhere.yaml"]),
    ("sink-team-broken", ["sink", "--team", "policy-broken.yaml", B], 2, ["policy-broken.yaml:3"]),
    ("sink-no-team", ["sink", B], 2, ["--team"]),
    ("sink-no-token", ["sink", "--team", "team.yaml", B], 2, ["LEADFLOW_HUBSPOT_TOKEN"]),
]
# fmt: on


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("corpus"))


def test_the_corpus_is_broad() -> None:
    commands = {argv[0] for _, argv, _, _ in CASES if argv and not argv[0].startswith("-")}
    assert len(CASES) >= 60
    assert commands >= {
        "replay", "scorecard", "explain", "validate", "schema", "init", "simulate", "staff",
        "compare", "worker", "loadgen", "kafka", "info", "notify", "ingest", "sink", "review",
        "backtest", "policy", "plan",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "code", "texts"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_no_traceback_and_a_message_naming_the_file(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], code: int, texts: list[str]
) -> None:
    for key in [k for k in os.environ if k.startswith("LEADFLOW_")]:
        if key != "LEADFLOW_PURE":
            monkeypatch.delenv(key)
    ran = run_cli(argv, cwd=corpus)

    assert "Traceback" not in ran.err + ran.out
    assert "internal error" not in ran.err
    assert ran.code == code, ran.err[-2000:]
    for text in texts:
        assert text in ran.err, ran.err[-2000:]
    if code == 2 and argv and argv[0] not in ("kafka",):
        assert ran.err.strip(), "an error says something"


@pytest.mark.parametrize(
    ("argv", "code", "text"),
    [
        (["replay", "--policy", "policy.yaml", "binary.jsonl"], 2, "binary.jsonl"),
        (["replay", "--policy", "policy-latin1.yaml", "events.jsonl"], 2, "policy-latin1.yaml"),
        (["simulate", "scenario.yaml", "--seed", "-1"], 2, "--seed"),
        (["replay", "--policy", "policy.yaml", "latin1.jsonl"], 0, "malformed"),
    ],
)
def test_the_real_command_too(corpus: Path, argv: list[str], code: int, text: str) -> None:
    env = env_without_leadflow()
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "leadflow", *argv], cwd=corpus, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    assert done.returncode == code, done.stderr
    assert text in done.stderr


def test_an_internal_error_says_so_and_where_to_report(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug (here: the replay failing) is exit 1, one message, no
    traceback, and says where to report it."""
    import leadflow.cmd_replay

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(leadflow.cmd_replay, "replay", broken)
    ran = run_cli(["replay", "--policy", "policy.yaml", "events.jsonl"], cwd=corpus)

    assert ran.code == 1
    assert "Traceback" not in ran.err
    assert "internal error: RuntimeError: the engine broke" in ran.err
    assert "report it" in ran.err

"""Golden replays: a recorded stream must give identical decisions, byte for byte.

- sample: examples/events.sample.jsonl under examples/policy.yaml ->
  tests/golden/sample.decisions.jsonl (the same as `leadflow replay --policy
  examples/policy.yaml examples/events.sample.jsonl`).
- generated: a recorded ~3000-event stream from tests/streams.py (seed GENERATED_SEED,
  campaign bursts) under a low-capacity variant of the example policy that surges ->
  tests/golden/generated.decisions.jsonl. Input and policy are recorded next to it, so
  the golden does not move when the generator or the example policy changes, and
  `leadflow replay --policy tests/golden/overloaded.policy.yaml
  tests/golden/generated.events.jsonl` reproduces it. A decisions file over
  MAX_GOLDEN_BYTES would be stored as a summary instead (sha256, counts per type, the
  first lines): generated.decisions.summary.json.

When a change of decisions is intended, run `python scripts/regen_golden.py` and review
what it prints (counts per output type before and after) and the diff.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import replay_lines
from tests.replaying import EXAMPLES, GOLDEN
from tests.streams import generated_stream, overloaded_policy_raw

GENERATED_SEED = 20260112
GENERATED_EVENTS = 3000
MAX_GOLDEN_BYTES = 1_500_000
HEAD_LINES = 200
DIFF_LINES = 60


@dataclass(frozen=True)
class Golden:
    name: str
    policy: Path
    events: Path
    decisions: Path  # the full output, or (if too large) where the summary goes instead

    @property
    def summary(self) -> Path:
        return self.decisions.with_suffix(".summary.json")


SAMPLE = Golden(
    "sample",
    EXAMPLES / "policy.yaml",
    EXAMPLES / "events.sample.jsonl",
    GOLDEN / "sample.decisions.jsonl",
)
GENERATED = Golden(
    "generated",
    GOLDEN / "overloaded.policy.yaml",
    GOLDEN / "generated.events.jsonl",
    GOLDEN / "generated.decisions.jsonl",
)
GOLDENS = (SAMPLE, GENERATED)


# --- producing (also used by scripts/regen_golden.py) --------------------------------------
def generated_inputs() -> tuple[str, str]:
    """The generated golden's policy (YAML text) and events (JSON lines text)."""
    policy = yaml.safe_dump(overloaded_policy_raw(), sort_keys=False, allow_unicode=True)
    header = (
        "# Written by scripts/regen_golden.py: examples/policy.yaml with little capacity\n"
        "# and an easy surge (tests/streams.py overloaded_policy_raw), team inline.\n"
    )
    lines = generated_stream(random.Random(GENERATED_SEED), GENERATED_EVENTS, overloaded=True)
    return header + policy, "".join(line + "\n" for line in lines)


def decisions(golden: Golden) -> str:
    """Replay the golden's recorded events under its policy: the output as a file's text."""
    engine = Engine(load_policy(golden.policy))
    with open(golden.events, encoding="utf-8") as fh:
        return "".join(line + "\n" for line in replay_lines(engine, fh))


def counts(text: str) -> Counter[str]:
    return Counter(json.loads(line)["type"] for line in text.splitlines() if line)


def summarise(text: str) -> dict[str, Any]:
    return {
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "bytes": len(text.encode("utf-8")),
        "lines": text.count("\n"),
        "counts": dict(sorted(counts(text).items())),
        "head": text.splitlines()[:HEAD_LINES],
    }


def recorded(golden: Golden) -> str | dict[str, Any] | None:
    """What is stored: the full text, a summary, or nothing yet."""
    if golden.decisions.exists():
        return golden.decisions.read_text(encoding="utf-8")
    if golden.summary.exists():
        loaded: dict[str, Any] = json.loads(golden.summary.read_text(encoding="utf-8"))
        return loaded
    return None


# --- comparing ------------------------------------------------------------------------------
def first_differences(expected: list[str], actual: list[str], name: str) -> str:
    diff = list(
        difflib.unified_diff(
            expected, actual, f"golden/{name}", f"replay now ({name})", n=1, lineterm=""
        )
    )
    shown = "\n".join(diff[:DIFF_LINES])
    if len(diff) > DIFF_LINES:
        shown += f"\n... {len(diff) - DIFF_LINES} more diff lines"
    return shown


def check(golden: Golden) -> None:
    stored = recorded(golden)
    if stored is None:
        pytest.fail(f"no golden for {golden.name}: run python scripts/regen_golden.py")
    actual = decisions(golden)
    hint = "if the change is intended, run python scripts/regen_golden.py and review it"
    if isinstance(stored, str):
        if actual == stored:
            return
        before, after = counts(stored), counts(actual)
        changed = {
            k: (before[k], after[k]) for k in sorted(before | after) if before[k] != after[k]
        }
        pytest.fail(
            f"{golden.name}: decisions differ from {golden.decisions.name} "
            f"(counts before->after: {changed or 'same'}; {hint})\n"
            + first_differences(stored.splitlines(), actual.splitlines(), golden.name),
            pytrace=False,
        )
    now = summarise(actual)
    if now["sha256"] == stored["sha256"]:
        return
    pytest.fail(
        f"{golden.name}: decisions differ from {golden.summary.name} "
        f"(counts {stored['counts']} -> {now['counts']}; {hint})\n"
        + first_differences(stored["head"], now["head"], golden.name),
        pytrace=False,
    )


# --- the tests ------------------------------------------------------------------------------
def test_sample_replay_matches_golden() -> None:
    check(SAMPLE)


def test_generated_replay_matches_golden() -> None:
    check(GENERATED)


def test_generated_golden_exercises_surges_and_reassignments() -> None:
    stored = recorded(GENERATED)
    assert stored is not None
    kinds = counts(stored) if isinstance(stored, str) else Counter(stored["counts"])
    for kind in (
        "lead.assigned",
        "lead.queued",
        "lead.reassigned",
        "surge.entered",
        "surge.exited",
        "sla.breached",
        "sla.escalated",
        "event.rejected",
        "lead.disqualified",
    ):
        assert kinds[kind] > 0, f"the generated golden has no {kind}"


def test_golden_files_are_kept_small() -> None:
    for golden in GOLDENS:
        if golden.decisions.exists():
            assert golden.decisions.stat().st_size <= MAX_GOLDEN_BYTES, golden.decisions

"""Policy versions in the core (routing.versions): an engine given a later version decides
inputs by the terms in force at their own time, and a lead keeps the terms of its MQL
instant; one version decides exactly as before (the golden replays)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing.engine import Engine
from routing.errors import PolicyError
from routing.policy.versioned import load_versions, split_spec
from routing.replay import replay_lines
from tests.builders import Events, at, later, ny, one, policy, rep, run, tue
from tests.replaying import EXAMPLES, GOLDEN

REPS = [rep("a", "commercial"), rep("b", "commercial")]
SWITCH = tue(12)
#: The new terms: tier1 touched within 2 business hours (was 4), the follow-up cadence
#: 2 touches on 1 channel within 5 business days (was 6 on 2 within 10), and an MQL needs
#: a score of 70 (was 50).
NEW_TERMS: dict[str, Any] = {
    "tiers": [
        {"name": "demo_request", "when": {"demo_requested": True},
         "first_touch": {"within": "1h", "clock": "calendar"}},
        {"name": "tier1", "when": {"score": {"min": 80}},
         "first_touch": {"within": "2h", "clock": "business"}},
        {"name": "tier2", "when": {"score": {"min": 60}},
         "first_touch": {"within": "end_of_business_day"}},
        {"name": "tier3", "first_touch": {"within": "2d", "clock": "business"}},
    ],
    "sales_commits": {"follow_up": {"within": "5d", "touches": 2, "channels": 1}},
    "definitions": {"mql": {"score": {"min": 70}}},
}  # fmt: skip


def versioned(switch: float = SWITCH.timestamp(), new: dict[str, Any] | None = None) -> Engine:
    first = policy(reps=REPS)
    second = policy(NEW_TERMS if new is None else new, reps=REPS)
    return Engine(dataclasses.replace(first, later=((switch, second),)))


def test_a_lead_mql_before_the_switch_keeps_its_windows_after_it() -> None:
    ev = Events()
    out = run(
        versioned(),
        [ev.mql("L-1", tue(10), score=85), ev.touched("L-1", tue(12, 30), "a")],
        until=later(tue(10), days=30),
    )
    assert one(out, "lead.assigned")["first_touch_due"] == ny(tue(14))  # 4 business hours
    # Its follow-up clock starts after the switch, with the old 10 business days (the 19th
    # is a holiday).
    breach = one(out, "sla.breached", lead_id="L-1", sla="follow_up")
    assert breach["due"] == ny(at(2026, 1, 21, 12, 30))


def test_a_lead_mql_after_the_switch_gets_the_new_terms() -> None:
    ev = Events()
    out = run(
        versioned(),
        [ev.mql("L-2", tue(13), score=85), ev.touched("L-2", tue(13, 30), "a")],
        until=later(tue(13), days=30),
    )
    assert one(out, "lead.assigned")["first_touch_due"] == ny(tue(15))  # 2 business hours
    breach = one(out, "sla.breached", lead_id="L-2", sla="follow_up")
    assert breach["due"] == ny(later(tue(13, 30), days=7))  # 5 business days


def test_an_input_is_qualified_by_the_terms_at_its_own_time_even_when_late() -> None:
    ev = Events()
    engine = versioned()
    out = run(engine, [ev.mql("L-3", tue(13), score=60)])  # after: needs 70
    assert not [o for o in out if o.get("lead_id") == "L-3"]
    late = run(engine, [ev.mql("L-4", tue(11), score=60)])  # before, applied late: needs 50
    assert one(late, "lead.assigned", lead_id="L-4")["first_touch_due"] == ny(tue(17))


def test_a_lead_keeps_the_follow_up_cadence_of_its_mql_instant() -> None:
    """Closing a lead as unresponsive needs its follow-up cadence done: 6 touches on 2
    channels for a lead MQL before the switch, 2 on 1 for one MQL after."""
    ev = Events()
    engine = versioned()
    out = run(engine, [ev.mql("OLD", tue(10), score=65), ev.mql("NEW", tue(13), score=75)])
    owner = {o["lead_id"]: o["rep_id"] for o in out if o["type"] == "lead.assigned"}
    run(engine, [
        [ev.touched(lead, tue(14, i), owner[lead], channel="email") for i in (1, 2)]
        for lead in ("OLD", "NEW")
    ])  # fmt: skip
    unresponsive = {"outcome": "rejected", "reason": "unresponsive"}
    refused = run(engine, [ev.disposition("OLD", tue(15), owner["OLD"], **unresponsive)])
    assert "before the follow-up cadence: 2/6 touches on 1/2 channels" in one(
        refused, "event.rejected")["reason"]  # fmt: skip
    closed = run(engine, [ev.disposition("NEW", tue(15), owner["NEW"], **unresponsive)])
    assert not [o for o in closed if o["type"] == "event.rejected"]
    assert one(closed, "sla.met", lead_id="NEW", sla="disposition")


def _golden(events: str, policy_file: Path, versions: list[str]) -> list[str]:
    loaded = load_versions([str(policy_file), *versions])
    lines = (EXAMPLES / events if "/" not in events else Path(events)).read_bytes()
    return list(replay_lines(Engine(loaded), lines.splitlines()))


def test_one_version_and_a_later_identical_one_replay_the_golden_files() -> None:
    """The engine with versions decides byte for byte as today's: with one version, and
    with a second one whose terms are the same (so every lookup goes through the versions)
    taking effect in the middle of the stream."""
    policy_file = GOLDEN / "overloaded.policy.yaml"
    events = str(GOLDEN / "generated.events.jsonl")
    want = (GOLDEN / "generated.decisions.jsonl").read_text().splitlines()
    assert _golden(events, policy_file, []) == want
    middle = "2026-01-14T12:00:00-05:00"
    assert _golden(events, policy_file, [f"{policy_file}@{middle}"]) == want
    sample = (GOLDEN / "sample.decisions.jsonl").read_text().splitlines()
    assert _golden("events.sample.jsonl", EXAMPLES / "policy.yaml", []) == sample


def test_a_version_that_changes_what_leads_share_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load((EXAMPLES / "policy.yaml").read_text())
    raw["routing"]["strategy"] = "round_robin"
    raw["marketing_commits"]["mql_volume"]["min"] = 150
    raw["team"] = str(EXAMPLES / "team.yaml")
    other = tmp_path / "p2.yaml"
    other.write_text(yaml.safe_dump(raw))
    with pytest.raises(PolicyError) as caught:
        load_versions([str(EXAMPLES / "policy.yaml"), f"{other}@2026-04-01T00:00:00-05:00"])
    text = str(caught.value)
    first = EXAMPLES / "policy.yaml"
    assert f"{other}: routing.strategy: the same routing.strategy as in {first}" in text
    assert "got 'round_robin'" in text
    assert "commitment mql_volume" in text and "target 150 per week" in text


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (["P@2026-04-01T00:00:00-05:00"], "the first policy without @TIME"),
        (["{p}", "{p}"], "POLICY@TIME"),
        (["{p}", "{p}@2026-04-01T00:00:00"], "a time with its offset"),
        (["{p}", "{p}@2026-04-31T00:00:00-05:00"], "RFC 3339"),
        (["{p}", "{p}@2026-04-01T00:00:00-05:00", "{p}@2026-03-01T00:00:00-05:00"],
         "a time later than the version before's"),
    ],
)  # fmt: skip
def test_bad_version_arguments_say_what_is_expected(specs: list[str], expected: str) -> None:
    p = str(EXAMPLES / "policy.yaml")
    with pytest.raises(PolicyError, match=expected):
        load_versions([s.format(p=p) for s in specs])


def test_a_path_with_an_at_sign_is_read_whole() -> None:
    assert split_spec("team@work/policy.yaml") == ("team@work/policy.yaml", None)
    assert split_spec("p.yaml@2026-01-01T00:00:00+00:00") == ("p.yaml", 1767225600.0)


def test_replay_cli_takes_versions_and_names_every_file(tmp_path: Path) -> None:
    raw = (EXAMPLES / "policy.yaml").read_text()
    p2 = tmp_path / "p2.yaml"
    p2.write_text(
        raw.replace("first_touch: {within: 4h, clock: business}",
                    "first_touch: {within: 2h, clock: business}")
        .replace("team: team.yaml", f"team: {EXAMPLES / 'team.yaml'}")
    )  # fmt: skip
    cmd = [sys.executable, "-m", "leadflow", "replay", "--policy", str(EXAMPLES / "policy.yaml")]
    sample = str(EXAMPLES / "events.sample.jsonl")
    before = subprocess.run([*cmd, sample], capture_output=True, check=True).stdout
    both = [*cmd, "--policy", f"{p2}@2026-01-06T10:00:00-05:00", sample]
    after = subprocess.run(both, capture_output=True, check=True).stdout
    assert before != after
    # L-1001 became an MQL at 10:02, after the switch: first touch due at 12:02, not 14:02.
    assert b'"lead_id":"L-1001","rep_id":"rep-01","pool":"enterprise","tier":"tier1"' in after
    assert b'"first_touch_due":"2026-01-06T12:02:00-05:00"' in after
    # Writing the output over the second version's file is refused: it is an input.
    kept = p2.read_bytes()
    done = subprocess.run([*both[:-1], "--out", str(p2), sample], capture_output=True)
    assert done.returncode != 0 and p2.read_bytes() == kept
    assert b"Traceback" not in done.stderr

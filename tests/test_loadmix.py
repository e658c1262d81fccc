"""The live mix: the benchmark generator for a policy's team and reasons, chunk by chunk,
valid except for the noise it means, and stamped with the send time."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from routing.errors import EventError
from routing.events import INPUT_TYPES, parse_event
from routing.policy.loader import LoadedPolicy, load_policy
from streams.loadmix.leads import REJECT_REASONS
from streams.loadmix.live import LiveMix, restamp, roster_of, taxonomy_of
from streams.loadmix.stream import DUPLICATE, MALFORMED
from tests.replaying import EXAMPLES


@pytest.fixture(scope="module")
def loaded(example_policy: LoadedPolicy) -> LoadedPolicy:
    return example_policy


@pytest.fixture(scope="module")
def events(loaded: LoadedPolicy) -> list:
    return list(itertools.islice(LiveMix(loaded, seed=5, run_id="t1"), 6000))


def test_taxonomy_and_roster_come_from_the_policy(loaded: LoadedPolicy) -> None:
    taxonomy = taxonomy_of(loaded)
    assert taxonomy.accepted == "accepted"
    assert taxonomy.rejected == REJECT_REASONS
    assert taxonomy.unresponsive == "unresponsive"
    roster = roster_of(loaded.team)
    assert [r.id for r in roster.reps] == [r.id for r in loaded.team.reps]
    la = next(r for r in roster.reps if r.id == "rep-08")
    assert (la.tz, la.shift) == ("America/Los_Angeles", (8, 16))
    assert [r.id for r in roster.by_pool("enterprise")] == ["rep-01", "rep-02", "rep-03"]


def test_same_seed_same_events_and_ids_carry_the_run(loaded: LoadedPolicy) -> None:
    a = LiveMix(loaded, seed=5, run_id="t1").chunk(0)
    b = LiveMix(loaded, seed=5, run_id="t1").chunk(0)
    c = LiveMix(loaded, seed=5, run_id="t2").chunk(0)
    assert a.lines == b.lines
    assert a.kinds == c.kinds
    assert a.lines != c.lines
    assert all(k.startswith("L-t1-0-") for k, kind in zip(a.keys, a.kinds, strict=True)
               if kind.startswith("lead."))  # fmt: skip
    assert LiveMix(loaded, seed=5, run_id="t1").chunk(1).lines != a.lines


def test_the_mix_has_every_input_type_and_the_engagements_that_matter(events: list) -> None:
    kinds = Counter(e.kind for e in events)
    assert set(kinds) >= set(INPUT_TYPES)
    assert kinds["lead.engaged"] > kinds["lead.touched"] > kinds["lead.dispositioned"] > 0
    activities = Counter(
        json.loads(e.line)["activity"] for e in events if e.kind == "lead.engaged"
    )
    assert {"pricing_page_visit", "email_open", "demo_request"} <= set(activities)
    statuses = {json.loads(e.line)["status"] for e in events if e.kind == "rep.status"}
    assert {"available", "offline"} <= statuses
    assert statuses <= {"available", "away", "offline", "pto"}


def test_keys_are_the_lead_or_rep_of_each_event(events: list) -> None:
    for e in events:
        if e.kind == MALFORMED:
            continue
        rec = json.loads(e.line)
        assert e.key == (rec["lead_id"] if e.kind.startswith("lead.") or "lead_id" in rec
                         else rec["rep_id"])  # fmt: skip
        assert e.event_id == rec["event_id"]


def test_everything_is_valid_input_except_the_intended_noise(
    events: list, loaded: LoadedPolicy
) -> None:
    invalid = 0
    reasons: Counter[str] = Counter()
    team = {r.id for r in loaded.team.reps}
    for e in events:
        try:
            event = parse_event(e.line)
        except EventError:
            invalid += 1
            assert e.kind == MALFORMED
            continue
        assert e.kind in (event.type, DUPLICATE)
        if event.type in ("lead.touched", "lead.dispositioned"):
            assert event.rep_id in team
        if event.type == "lead.dispositioned":
            reasons[f"{event.outcome}:{event.reason}"] += 1
    assert invalid == sum(1 for e in events if e.kind == MALFORMED) > 0
    taxonomy = taxonomy_of(loaded)
    allowed = {f"rejected:{r}" for r in (*taxonomy.rejected, "unresponsive")}
    allowed |= {"accepted:accepted", "deferred:None", "rejected:None"}
    assert set(reasons) <= allowed
    assert reasons["deferred:None"] > 0
    assert reasons["rejected:None"] < 0.05 * sum(reasons.values())  # refused on purpose


def test_a_policy_with_other_reasons_gets_those(tmp_path: Path) -> None:
    raw = yaml.safe_load((EXAMPLES / "policy.yaml").read_text())
    raw["sales_commits"]["disposition"]["reasons"]["rejected"] = ["not_now", "no_fit"]
    raw["team"] = str(EXAMPLES / "team.yaml")
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(raw))
    loaded = load_policy(policy)
    events = itertools.islice(LiveMix(loaded, seed=2, run_id="x"), 4000)
    given = {
        json.loads(e.line).get("reason")
        for e in events
        if e.kind == "lead.dispositioned" and '"outcome":"rejected"' in e.line
    }
    assert given - {None} == {"not_now", "no_fit"}


def test_restamp_moves_at_to_now_and_keeps_durations() -> None:
    line = (
        '{"event_id":"e1","type":"lead.dispositioned","at":"2026-01-07T09:00:00-05:00",'
        '"lead_id":"L-1","rep_id":"rep-01","outcome":"deferred",'
        '"defer_until":"2026-01-21T09:00:00-05:00"}'
    )
    now = datetime.fromisoformat("2026-11-22T07:00:00.250+00:00").timestamp()
    rec = json.loads(restamp(line, now))
    assert rec["at"] == "2026-11-22T07:00:00.250+00:00"
    assert rec["defer_until"] == "2026-12-06T07:00:00.250+00:00"
    assert parse_event(json.dumps(rec)).event_id == "e1"
    shifted = json.loads(restamp(line, shift_s=3600.0))
    assert shifted["at"] == "2026-01-07T15:00:00.000+00:00"
    assert shifted["defer_until"] == "2026-01-21T15:00:00.000+00:00"


@pytest.mark.parametrize(
    "bad", ['{"event_id":"x","type":"lead.upserted","at":"not-a-time"}', '{"event_id":"x",', "[1]"]
)
def test_restamp_sends_bad_input_as_it_is(bad: str) -> None:
    assert restamp(bad, 1.0e9) == bad.encode()


def test_event_ids_are_unique_within_a_run_except_duplicates(events: list) -> None:
    ids = Counter(e.event_id for e in events if e.kind != MALFORMED)
    repeated = {i for i, n in ids.items() if n > 1}
    dup_ids = {e.event_id for e in events if e.kind == DUPLICATE}
    assert repeated == dup_ids
    assert all(re.fullmatch(r"ev-t1-\d+-\d+", i or "") for i in ids)

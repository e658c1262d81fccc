"""The example policy and team load into the models with every section as written."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from routing.lead import Condition
from routing.policy.conditions import Range
from routing.policy.loader import LoadedPolicy, load_policy, load_team, policy_from_dict
from routing.policy.schema import policy_json_schema, team_json_schema
from routing.policy.team import Rep, Team

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
POLICY_FILE = EXAMPLES / "policy.yaml"
TEAM_FILE = EXAMPLES / "team.yaml"
POLICY = POLICY_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def loaded() -> LoadedPolicy:
    return load_policy(POLICY_FILE)


def test_paths_are_recorded(loaded: LoadedPolicy) -> None:
    assert loaded.policy_file == str(POLICY_FILE)
    assert loaded.team_file == str(TEAM_FILE.resolve())


def test_agreement(loaded: LoadedPolicy) -> None:
    a = loaded.policy.agreement
    assert loaded.policy.version == 1
    assert a.name == "Sales & Marketing SLA"
    assert a.effective == date(2026, 1, 5)
    assert a.review_every == "quarter"
    assert a.owner == "revops"
    assert a.signed_by == ["vp_marketing", "vp_sales"]


def test_calendar(loaded: LoadedPolicy) -> None:
    c = loaded.policy.calendar
    assert c.timezone == "America/New_York"
    assert list(c.hours) == ["mon", "tue", "wed", "thu", "fri"]
    assert set(c.hours.values()) == {"09:00-17:00"}
    assert len(c.holidays) == 9
    assert date(2026, 11, 27) in c.holidays
    weekly = c.build().weekly_hours
    assert weekly == {day: ((540, 1020),) for day in ("mon", "tue", "wed", "thu", "fri")}


def test_definitions(loaded: LoadedPolicy) -> None:
    d = loaded.policy.definitions
    assert d.required_fields == ["name", "email", "company", "role", "source", "score"]
    assert d.mql == {"score": Range(min=50), "fit": Range(min=70), "engagements": Range(min=1)}
    assert d.disqualify.email_domains == ["competitor.example"]
    assert d.disqualify.roles == ["student"]
    assert d.disqualify.countries == []
    mql = Condition(d.mql)
    assert mql({"score": 50, "fit": 70, "engagements": 1})
    assert not mql({"score": 49, "fit": 99, "engagements": 5})
    assert not mql({"score": 90, "fit": 90})  # a missing field never matches


def test_tiers_in_order_with_their_windows(loaded: LoadedPolicy) -> None:
    tiers = loaded.policy.tiers
    assert [t.name for t in tiers] == ["demo_request", "tier1", "tier2", "tier3"]
    demo, tier1, tier2, tier3 = tiers
    assert demo.when == {"demo_requested": True}
    assert (demo.first_touch.within.text, demo.first_touch.clock) == ("1h", "calendar")
    assert demo.first_touch.within.seconds == 3600
    assert tier1.when == {"score": Range(min=80)}
    assert (tier1.first_touch.within.seconds, tier1.first_touch.clock) == (14400, "business")
    assert tier2.first_touch.within == "end_of_business_day"
    assert tier2.first_touch.clock == "business"  # the default
    assert tier3.when == {}
    assert (tier3.first_touch.within.unit, tier3.first_touch.within.count) == ("d", 2)
    assert all(t.first_touch.target == 1.0 for t in tiers)


def test_marketing_commits(loaded: LoadedPolicy) -> None:
    m = loaded.policy.marketing_commits
    assert m.mql_volume is not None and (m.mql_volume.per, m.mql_volume.min) == ("week", 120)
    assert m.data_completeness is not None and m.data_completeness.min == 0.95
    assert m.handoff is not None
    assert (m.handoff.within.seconds, m.handoff.clock) == (300, "calendar")
    assert m.sal_rate is not None and m.sal_rate.min == 0.5


def test_sales_commits(loaded: LoadedPolicy) -> None:
    s = loaded.policy.sales_commits
    assert s.follow_up is not None
    f = s.follow_up
    assert (f.touches, f.channels, f.within.text, f.clock, f.target) == (
        6,
        2,
        "10d",
        "business",
        1.0,
    )
    assert s.disposition is not None
    d = s.disposition
    assert (d.within.text, d.clock, d.reject_requires_reason) == ("3d", "business", True)
    assert d.reasons.accepted == ["accepted"]
    assert d.reasons.rejected[0] == "wrong_persona"
    assert "unresponsive" in d.reasons.rejected
    assert len(d.reasons.rejected) == 8
    assert d.reasons.deferred == []


def test_alerts_and_escalation(loaded: LoadedPolicy) -> None:
    a = loaded.policy.alerts
    assert a.at_risk == 0.75
    assert a.intent_spike is not None
    assert a.intent_spike.window.seconds == 48 * 3600
    assert a.intent_spike.signals == {"pricing_page_visit": 1, "email_open": 3}
    e = loaded.policy.escalation
    assert [(s.after, s.notify, s.action) for s in e.lead] == [
        (1.0, ["rep", "team_lead"], None),
        (2.0, ["sales_manager"], "reassign"),
    ]
    assert [(s.consecutive, s.action) for s in e.period] == [
        (1, "flag_in_weekly_review"),
        (2, "leadership_review"),
        (3, "systemic_review"),
    ]
    assert e.period[1].notify == ["vp_sales", "vp_marketing"]


def test_routing(loaded: LoadedPolicy) -> None:
    r = loaded.policy.routing
    assert r.strategy == "least_loaded"
    assert r.queue_order == ["tier", "score_desc", "mql_at"]
    assert [(p.name, p.overflow) for p in r.pools] == [
        ("enterprise", "commercial"),
        ("commercial", "bench"),
        ("bench", None),
    ]
    assert r.pools[1].when == {"segment": ["mid_market", "smb"]}
    assert r.pools[2].when == {}
    assert (r.capacity.max_open, r.capacity.max_new_per_day) == (40, 15)
    assert r.reassign_when_rep == ["offline", "pto"]


def test_surge(loaded: LoadedPolicy) -> None:
    s = loaded.policy.surge
    assert s is not None
    assert s.enter.queued_per_available_rep == 3
    assert s.exit.queued_per_available_rep == 1
    assert s.exit.for_ is not None and s.exit.for_.seconds == 1800
    assert s.actions.overflow_to == "bench"
    assert s.actions.prioritize == "score"
    assert {k: v.text for k, v in s.actions.relax_first_touch.items()} == {
        "tier2": "1d",
        "tier3": "4d",
    }
    assert (s.actions.capacity.max_open, s.actions.capacity.max_new_per_day) == (None, 20)


def test_team(loaded: LoadedPolicy) -> None:
    team = loaded.team
    assert [r.id for r in team.reps] == [f"rep-{n:02d}" for n in range(1, 11)]
    reps = {r.id: r for r in team.reps}
    assert reps["rep-03"].weight == 0.5
    assert reps["rep-03"].capacity.max_new_per_day == 8
    assert reps["rep-07"].weight == 2.0
    assert reps["rep-07"].capacity.max_new_per_day == 25
    assert reps["rep-10"].pools == ["bench", "commercial"]
    hours = reps["rep-08"].hours
    assert hours is not None
    assert hours.timezone == "America/Los_Angeles"
    assert hours.days() == {d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")}
    assert all(r.hours is None for r in team.reps if r.id != "rep-08")
    assert {r.team_lead for r in team.reps} == {"tl-east", "tl-west"}
    assert {k: v.sales_manager for k, v in team.team_leads.items()} == {
        "tl-east": "mgr-1",
        "tl-west": "mgr-1",
    }
    assert loaded.policy.team == "team.yaml"


def test_load_team_alone() -> None:
    assert load_team(TEAM_FILE) == load_policy(POLICY_FILE).team


def test_team_argument_overrides_the_policy_team(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("- {id: solo, pools: [bench], weight: 3}\n", encoding="utf-8")
    loaded = load_policy(POLICY_FILE, team=other)
    assert loaded.team_file == str(other)
    assert [(r.id, r.weight) for r in loaded.team.reps] == [("solo", 3.0)]


def test_inline_team_list(tmp_path: Path) -> None:
    inline = (
        "team:\n"
        "  - {id: a, pools: [enterprise]}\n"
        "  - {id: b, pools: [bench, commercial], capacity: {max_open: 5}}\n"
    )
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.replace("team: team.yaml", inline), encoding="utf-8")
    loaded = load_policy(path)
    assert loaded.team_file is None
    assert [r.id for r in loaded.team.reps] == ["a", "b"]
    assert loaded.team.reps[1].capacity.max_open == 5
    assert loaded.team.team_leads == {}


def test_inline_team_mapping(tmp_path: Path) -> None:
    inline = (
        "team:\n"
        "  reps:\n"
        "    - {id: a, pools: [bench], team_lead: tl}\n"
        "  team_leads: {tl: {sales_manager: boss}}\n"
    )
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.replace("team: team.yaml", inline), encoding="utf-8")
    loaded = load_policy(path)
    assert [r.id for r in loaded.team.reps] == ["a"]
    assert loaded.team.team_leads["tl"].sales_manager == "boss"


def test_policy_without_team_has_an_empty_roster(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.replace("team: team.yaml", ""), encoding="utf-8")
    assert load_policy(path).team == Team()


def test_policy_from_dict(loaded: LoadedPolicy) -> None:
    raw = yaml.safe_load(POLICY)
    raw["team"] = [{"id": "x", "pools": ["bench"]}]
    built = policy_from_dict(raw)
    assert built.policy_file == "<policy>"
    assert built.team_file is None
    assert built.team == Team(reps=[Rep(id="x", pools=["bench"])])
    assert built.policy.model_dump(exclude={"team"}) == loaded.policy.model_dump(exclude={"team"})


def test_policy_from_dict_with_a_team(loaded: LoadedPolicy) -> None:
    raw = yaml.safe_load(POLICY)
    built = policy_from_dict(raw, team=loaded.team, name="scenario")
    assert built.team is loaded.team
    assert built.policy_file == "scenario"


def test_dump_round_trips(loaded: LoadedPolicy) -> None:
    """A dumped policy (durations as their text, `for` by its alias) loads back equal."""
    dumped = loaded.policy.model_dump(mode="json", by_alias=True)
    assert dumped["tiers"][1]["first_touch"]["within"] == "4h"
    assert dumped["surge"]["exit"]["for"] == "30m"
    again = policy_from_dict(json.loads(json.dumps(dumped)), team=loaded.team)
    assert again.policy == loaded.policy


def test_json_schemas() -> None:
    schema = policy_json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["title"] == "leadflow SLA policy"
    assert set(yaml.safe_load(POLICY)) <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    assert "for" in schema["$defs"]["SurgeExit"]["properties"]
    within = schema["$defs"]["Window"]["properties"]["within"]
    assert {"const": "end_of_business_day", "type": "string"} in within["anyOf"]
    team = team_json_schema()
    assert team["title"] == "leadflow team roster"
    assert {"$ref": "#/$defs/Team"} in team["anyOf"]
    assert "hours" in team["$defs"]["Rep"]["properties"]
    json.dumps(schema)
    json.dumps(team)


def test_example_validates_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    raw = json.loads(json.dumps(yaml.safe_load(POLICY), default=str))
    jsonschema.validate(raw, policy_json_schema())
    jsonschema.validate(yaml.safe_load(TEAM_FILE.read_text()), team_json_schema())

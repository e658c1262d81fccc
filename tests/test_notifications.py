"""Who is told what and when (routing/notifications.py, routing/digest.py), in event time:
quiet hours, urgent kinds, the daily digest at the start of a rep's day."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from routing.briefings import with_digests
from routing.digest import day_starts, digest
from routing.engine import Engine
from routing.errors import PolicyError
from routing.notifications import Directory, batches, plan
from routing.policy.loader import load_policy
from routing.replay import replay, replay_lines

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "examples" / "notify" / "policy.yaml"
GOLDEN = REPO / "tests" / "golden" / "sample.decisions.jsonl"
SAMPLE = REPO / "examples" / "events.sample.jsonl"


@pytest.fixture(scope="module")
def loaded():  # type: ignore[no-untyped-def]
    return load_policy(POLICY)


def t(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_an_at_risk_warning_at_21_local_waits_for_8_the_next_morning(loaded) -> None:  # type: ignore[no-untyped-def]
    d = Directory(loaded)
    # 21:00 in Los Angeles on Tue 6 Jan 2026, as the engine writes it (policy zone)
    warning = {"event_id": "x:sla.at_risk:L-9", "type": "sla.at_risk",
               "at": "2026-01-07T00:00:00-05:00", "lead_id": "L-9", "sla": "first_touch",
               "due": "2026-01-07T10:00:00-05:00", "rep_id": "rep-08"}
    [m] = plan(warning, d)
    assert (m.recipient, m.channel) == ("rep-08", "chat")
    assert m.held and not m.urgent
    assert m.deliver_at == t("2026-01-07T08:00:00-08:00")


def test_a_breach_marked_urgent_is_sent_at_once_at_21_local(loaded) -> None:  # type: ignore[no-untyped-def]
    d = Directory(loaded)
    breach = {"event_id": "x:sla.breached:L-9", "type": "sla.breached",
              "at": "2026-01-07T00:00:00-05:00", "lead_id": "L-9", "sla": "first_touch",
              "due": "2026-01-07T00:00:00-05:00", "rep_id": "rep-08"}
    msgs = plan(breach, d)
    assert [(m.recipient, m.channel) for m in msgs] == [("rep-08", "chat"), ("rep-08", "webhook")]
    assert all(m.urgent and not m.held and m.deliver_at == t("2026-01-06T21:00:00-08:00")
               for m in msgs)
    assert "Tue 6 Jan 21:00 PST" in msgs[0].text  # the due time in the rep's own zone


def test_waiting_messages_arrive_as_one_batch_per_person_and_channel(loaded) -> None:  # type: ignore[no-untyped-def]
    d = Directory(loaded)
    held = []
    for i, hour in enumerate(("2026-01-06T19:00:00-05:00", "2026-01-06T23:30:00-05:00")):
        held += plan({"event_id": f"w{i}", "type": "sla.at_risk", "at": hour, "lead_id": f"L-{i}",
                      "sla": "first_touch", "due": hour, "rep_id": "rep-08"}, d)
    [batch] = batches(held)
    assert batch.recipient == "rep-08" and len(batch.messages) == 2
    assert batch.deliver_at == t("2026-01-07T08:00:00-08:00")


def test_the_sample_escalations_reach_exactly_the_people_the_ladder_names(loaded) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(loaded)
    decisions = [json.loads(line) for line in replay_lines(engine, SAMPLE.read_text().splitlines())]
    escalations = [x for x in decisions if x["type"] == "sla.escalated"]
    assert escalations, "the sample has escalations"
    ladder = loaded.policy.escalation.lead
    team = loaded.team
    lead_of = {r.id: r.team_lead for r in team.reps}
    manager_of = {k: v.sales_manager for k, v in team.team_leads.items()}

    def people(roles: list[str], rep: str) -> list[str]:
        """The ladder's roles for a lead owned by `rep`, read from the team file."""
        names = {"rep": [rep], "team_lead": [lead_of[rep]],
                 "sales_manager": [manager_of[lead_of[rep]]]}
        out: list[str] = []
        for role in roles:
            out += [n for n in names.get(role, [role]) if n not in out]
        return out

    # One breach per owner's window, each answered at once by the ladder's first step
    # naming that owner; every step the ladder's own, at most once per window.
    breaches = [x for x in decisions if x["type"] == "sla.breached"]
    windows = {x["event_id"].split("@")[0] for x in breaches}
    assert len(windows) == len(breaches)
    for breach in breaches:
        window = breach["event_id"].split("@")[0]
        first = [x for x in escalations if x["event_id"].startswith(f"{window}@step1:")]
        assert [(x["at"], x.get("rep_id")) for x in first] == [(breach["at"], breach.get("rep_id"))]
    steps = [(x["event_id"].split("@")[0], x["level"]) for x in escalations]
    assert len(set(steps)) == len(steps)
    for x in escalations:
        step = ladder[x["level"] - 1]
        assert x["event_id"].split("@")[0] in windows
        assert x["action"] == step.action
        assert x["notify"] == people(list(step.notify), x["rep_id"])

    # The notifier reaches each person named, on every channel of the escalation route.
    route = loaded.policy.notifications.routes["sla.escalated"]
    d = Directory(loaded)
    told = {(m.event_id, m.recipient, m.channel) for x in escalations for m in plan(x, d)}
    expected = {(x["event_id"], who, ch) for x in escalations
                for who in x["notify"] for ch in route.via}
    assert told == expected
    assert {who for _, who, _ in told} >= {"tl-west", "tl-east", "mgr-1"}


def test_the_la_rep_gets_the_digest_at_8_local_listing_the_overdue_lead(loaded) -> None:  # type: ignore[no-untyped-def]
    away = [{"event_id": f"p{r}", "type": "rep.status", "at": "2026-01-06T08:00:00-05:00",
             "rep_id": r, "status": "pto"} for r in ("rep-04", "rep-05", "rep-06", "rep-07",
                                                     "rep-10")]
    lead = [
        {"event_id": "u1", "type": "lead.upserted", "at": "2026-01-06T12:00:00-05:00",
         "lead_id": "L-7", "name": "A", "email": "a@b.example", "company": "C", "role": "VP",
         "source": "web", "score": 65, "fit": 80, "segment": "smb", "region": "na"},
        {"event_id": "g1", "type": "lead.engaged", "at": "2026-01-06T12:01:00-05:00",
         "lead_id": "L-7", "activity": "email_open"},
        {"event_id": "s2", "type": "rep.status", "at": "2026-01-07T12:00:00-05:00",
         "rep_id": "rep-01", "status": "available"},
    ]
    lines = [json.dumps(e) for e in away + lead]
    out = list(replay(Engine(loaded), lines))  # the engine's own digest timer
    assigned = [o for o in out if o["type"] == "lead.assigned"]
    assert assigned[0]["rep_id"] == "rep-08"
    digests = [o for o in out if o["type"] == "digest.due"]
    mine = [o for o in digests if o["recipient"] == "rep-08"]
    assert [o["at"] for o in mine] == ["2026-01-07T11:00:00-05:00"]  # 08:00 in Los Angeles
    [item] = mine[0]["items"]
    assert (item["lead_id"], item["sla"], item["state"]) == ("L-7", "first_touch", "past")
    tl = [o for o in digests if o["recipient"] == "tl-west"]
    assert tl and tl[0]["items"] == mine[0]["items"]
    d = Directory(loaded)
    msgs = plan(mine[0], d)
    assert {(m.recipient, m.channel) for m in msgs} == {("rep-08", "email"), ("rep-08", "chat")}
    assert all(m.deliver_at == t("2026-01-07T08:00:00-08:00") for m in msgs)
    assert "L-7" in msgs[0].text and "overdue since" in msgs[0].text


def test_a_rep_without_overdue_leads_gets_no_digest(loaded) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(loaded)
    assert digest(engine, t("2026-01-07T08:00:00-08:00"), ["rep-08"],
                  loaded.policy.notifications.digest) == []


def test_day_starts_follow_the_reps_own_calendar(loaded) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(loaded)
    cal = engine.router.reps["rep-08"].calendar
    starts = list(day_starts(cal, t("2026-01-09T00:00:00-08:00"), t("2026-01-13T00:00:00-08:00")))
    assert starts == [t("2026-01-09T08:00:00-08:00"), t("2026-01-12T08:00:00-08:00")]


def test_a_bad_route_names_file_key_value_and_expectation(tmp_path: Path) -> None:
    text = POLICY.read_text().replace("to: [rep], via: [chat]}              #",
                                      "to: [rep], via: [pigeon]}              #")
    (tmp_path / "policy.yaml").write_text(text)
    (tmp_path / "team.yaml").write_text((POLICY.parent / "team.yaml").read_text())
    with pytest.raises(PolicyError) as err:
        load_policy(tmp_path / "policy.yaml")
    message = str(err.value)
    assert "notifications.routes.sla.at_risk.via[0]" in message
    line = 1 + text.splitlines().index(
        next(x for x in text.splitlines() if x.strip().startswith("sla.at_risk:")))
    assert f"policy.yaml:{line}:" in message
    assert "got 'pigeon'" in message and "expected 'chat', 'email' or 'webhook'" in message


def test_a_group_member_must_be_someone_the_team_knows(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY.read_text())
    team = (POLICY.parent / "team.yaml").read_text().replace("[vp_sales]", "[vp_salez]")
    (tmp_path / "team.yaml").write_text(team)
    with pytest.raises(PolicyError) as err:
        load_policy(tmp_path / "policy.yaml")
    assert "vp_salez" in str(err.value) and "groups" in str(err.value)


def test_the_reference_policy_loads_unchanged_and_plans_nothing() -> None:
    ref = Path("/work/shared/reference/policy.yaml")
    if not ref.exists():
        pytest.skip("no reference directory")
    loaded = load_policy(ref)
    decisions = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    assert all(plan(x, Directory(loaded)) == [] for x in decisions)


def test_the_example_files_validate_against_the_json_schemas() -> None:
    import jsonschema
    import yaml

    from routing.policy.schema import policy_json_schema, team_json_schema

    def load(path: Path) -> dict:  # type: ignore[type-arg]
        return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))

    policy, team = load(POLICY), load(POLICY.parent / "team.yaml")
    jsonschema.validate(policy, policy_json_schema())
    jsonschema.validate(team, team_json_schema())
    policy["notifications"]["routes"]["sla.at_risk"]["to"] = ["everyone"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(policy, policy_json_schema())


def test_a_ladder_action_has_its_own_route(loaded) -> None:  # type: ignore[no-untyped-def]
    d = Directory(loaded)
    base = {"event_id": "period:2026-W04:period.breached:handoff", "type": "period.breached",
            "at": "2026-01-26T00:00:00-05:00", "commitment": "handoff", "period": "2026-W04",
            "consecutive": 3, "notify": [], "action": "systemic_review"}
    systemic = {(m.recipient, m.channel) for m in plan(base, d)}
    flagged = {(m.recipient, m.channel) for m in plan(dict(base, action="flag"), d)}
    people = ("vp_marketing", "mkt-ops", "vp_sales")
    assert systemic == {(p, c) for p in people for c in ("email", "chat")}
    assert flagged == {(p, "email") for p in people}


@pytest.mark.parametrize(
    ("route", "said"),
    [
        ("period.breached.audit", "'audit' is not an action of escalation.period"),
        ("sla.exploded", "'sla.exploded' is not a decision kind"),
    ],
)
def test_a_route_for_an_unknown_kind_or_action_is_refused(
    tmp_path: Path, route: str, said: str
) -> None:
    text = POLICY.read_text().replace("period.breached.systemic_review:", f"{route}:")
    (tmp_path / "policy.yaml").write_text(text)
    (tmp_path / "team.yaml").write_text((POLICY.parent / "team.yaml").read_text())
    with pytest.raises(PolicyError) as err:
        load_policy(tmp_path / "policy.yaml")
    assert said in str(err.value) and "policy.yaml:" in str(err.value)


def test_a_long_wait_goes_as_batches_of_at_most_twenty(loaded) -> None:  # type: ignore[no-untyped-def]
    d = Directory(loaded)
    held = [m for i in range(45) for m in plan(
        {"event_id": f"n{i}", "type": "sla.at_risk", "at": "2026-01-06T19:00:00-05:00",
         "lead_id": f"L-{i}", "sla": "first_touch", "due": "2026-01-07T10:00:00-05:00",
         "rep_id": "rep-08"}, d)]
    out = batches(held)
    assert [len(b.messages) for b in out] == [20, 20, 5]
    assert len({b.key for b in out}) == 3
    assert [m.key for b in out for m in b.messages] == [m.key for m in held]


def test_the_engines_digests_change_no_decision(loaded) -> None:  # type: ignore[no-untyped-def]
    """The digest timer (routing/briefings.py) adds digests and changes nothing else: the
    reference policy with a digest gives its golden replay of the sample, bad lines
    included, plus the digests; the notify policy without its timer, the same."""
    events = SAMPLE.read_text().splitlines()
    reference = load_policy(REPO / "examples" / "policy.yaml")
    assert reference.policy.notifications is None and Engine(reference).day_starts is None
    config = loaded.policy.notifications.digest
    mixed = list(replay(with_digests(Engine(reference), config), events))
    golden = [json.loads(x) for x in GOLDEN.read_text().splitlines()]
    assert [o for o in mixed if o["type"] != "digest.due"] == golden
    digests = [o["event_id"] for o in mixed if o["type"] == "digest.due"]
    assert digests == ["digest:rep-04:2026-01-07", "digest:tl-west:2026-01-07T09:00"]
    without = Engine(loaded)
    without.day_starts = None
    plain = list(replay(without, events))
    ours = list(replay(Engine(loaded), events))
    assert [o for o in ours if o["type"] != "digest.due"] == plain
    assert [o["event_id"] for o in ours if o["type"] == "digest.due"] == digests

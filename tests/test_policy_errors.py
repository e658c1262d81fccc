"""A wrong policy or team file is refused with a message that says where and what.

Each case starts from examples/policy.yaml (and team.yaml), changes one thing, and checks
that the PolicyError names the file, the line, the key path, the bad value and, in words,
what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from routing.errors import PolicyError
from routing.policy.loader import load_policy, policy_from_dict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
POLICY = (EXAMPLES / "policy.yaml").read_text(encoding="utf-8")
TEAM = (EXAMPLES / "team.yaml").read_text(encoding="utf-8")


def edit(text: str, old: str, new: str) -> str:
    assert old in text, f"the example no longer contains {old!r}; update this test"
    return text.replace(old, new, 1)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the OCCURRENCE-th line of TEXT that contains NEEDLE."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} times"
    return hits[occurrence - 1]


def write(tmp_path: Path, policy: str = POLICY, team: str = TEAM) -> Path:
    (tmp_path / "team.yaml").write_text(team, encoding="utf-8")
    path = tmp_path / "policy.yaml"
    path.write_text(policy, encoding="utf-8")
    return path


def refused(path: Path, team: Path | None = None) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy(path, team=team)
    return info.value


@dataclass(frozen=True)
class Case:
    old: str
    new: str
    path: str  # key path as the message prints it
    value: object  # the bad value, as repr() prints it after "got"
    words: tuple[str, ...]  # what was expected, in words
    at: str  # a text on the line the message must point at
    occurrence: int = 1


CASES = {
    "unknown strategy": Case(
        "strategy: least_loaded",
        "strategy: fastest",
        "routing.strategy",
        "fastest",
        ("expected", "'least_loaded'", "'round_robin'", "'weighted_round_robin'"),
        "strategy: fastest",
    ),
    "duration with a spelled-out unit": Case(
        "{within: 4h, clock: business}",
        "{within: 4 hours, clock: business}",
        "tiers[1].first_touch.within",
        "4 hours",
        ("a duration like", '"4h"', "units s, m, h, d, w", "'end_of_business_day'"),
        "within: 4 hours",
    ),
    "bare number as a duration": Case(
        "within: 10d",
        "within: 10",
        "sales_commits.follow_up.within",
        10,
        ("a duration", "add a unit", '"10h"'),
        "within: 10",
    ),
    "unknown top-level key (typo)": Case(
        "\ntiers:",
        "\ntierz:",
        "tierz",
        "tierz",
        ("a known key", "did you mean 'tiers'?", "marketing_commits"),
        "tierz:",
    ),
    "unknown key in a pool (typo)": Case(
        "      overflow: commercial",
        "      overflw: commercial",
        "routing.pools[0].overflw",
        "overflw",
        ("did you mean 'overflow'?", "name, overflow, when"),
        "overflw:",
    ),
    "overflow to a pool that does not exist": Case(
        "overflow: bench",
        "overflow: nowhere",
        "routing.pools[1].overflow",
        "nowhere",
        ("not a pool", "enterprise, commercial, bench"),
        "overflow: nowhere",
    ),
    "hours without minutes": Case(
        'mon: "09:00-17:00"',
        'mon: "9-17"',
        "calendar.hours.mon",
        "9-17",
        ('"HH:MM-HH:MM"', '"09:00-17:00"'),
        'mon: "9-17"',
    ),
    "unknown time zone": Case(
        "timezone: America/New_York",
        "timezone: Mars/Olympus_Mons",
        "calendar.timezone",
        "Mars/Olympus_Mons",
        ("unknown time zone", "IANA name"),
        "timezone: Mars",
    ),
    "at_risk is a share below 1": Case(
        "at_risk: 0.75",
        "at_risk: 1.5",
        "alerts.at_risk",
        1.5,
        ("a number less than 1",),
        "at_risk: 1.5",
    ),
    "a share above 1": Case(
        "data_completeness: {min: 0.95}",
        "data_completeness: {min: 1.2}",
        "marketing_commits.data_completeness.min",
        1.2,
        ("less than or equal to 1",),
        "data_completeness:",
    ),
    "negative capacity": Case(
        "max_open: 40",
        "max_open: -5",
        "routing.capacity.max_open",
        -5,
        ("greater than or equal to 1",),
        "max_open: -5",
    ),
    "duplicate tier names": Case(
        "name: tier2",
        "name: tier1",
        "tiers[2].name",
        "tier1",
        ("tier names must be unique", "repeated: tier1"),
        "name: tier1",
        occurrence=2,
    ),
    "last tier is not a catch-all": Case(
        "  - name: tier3\n",
        "  - name: tier3\n    when: {fit: {min: 90}}\n",
        "tiers[3].when",
        {"fit": {"min": 90}},
        ("the last tier ('tier3') must have no `when`", "every MQL gets a tier"),
        "when: {fit: {min: 90}}",
    ),
    "end_of_business_day on the calendar clock": Case(
        "{within: end_of_business_day}",
        "{within: end_of_business_day, clock: calendar}",
        "tiers[2].first_touch",
        {"within": "end_of_business_day", "clock": "calendar"},
        ("business clock only",),
        "first_touch: {within: end_of_business_day, clock: calendar}",
    ),
    "version 2": Case(
        "version: 1",
        "version: 2",
        "version",
        2,
        ("expected 1",),
        "version: 2",
    ),
    "surge relaxes a tier that does not exist": Case(
        "relax_first_touch: {tier2: 1d, tier3: 4d}",
        "relax_first_touch: {tier2: 1d, tier9: 4d}",
        "surge.actions.relax_first_touch.tier9",
        "tier9",
        ("not a tier", "demo_request, tier1, tier2, tier3"),
        "relax_first_touch:",
    ),
    "surge overflows to a pool that does not exist": Case(
        "overflow_to: bench",
        "overflow_to: reserve",
        "surge.actions.overflow_to",
        "reserve",
        ("not a pool", "enterprise, commercial, bench"),
        "overflow_to: reserve",
    ),
    "surge exit above enter": Case(
        "queued_per_available_rep: 1",
        "queued_per_available_rep: 5",
        "surge.exit.queued_per_available_rep",
        5,
        ("must not exceed `enter`",),
        "queued_per_available_rep: 5",
    ),
    "more channels than touches": Case(
        "channels: 2",
        "channels: 9",
        "sales_commits.follow_up.channels",
        9,
        ("cannot exceed `touches` (6)",),
        "channels: 9",
    ),
    "escalation steps out of order": Case(
        "{after: 2.0, notify: [sales_manager], action: reassign}",
        "{after: 0.5, notify: [sales_manager], action: reassign}",
        "escalation.lead",
        None,  # the whole list; checked by words
        ("`after` values must increase strictly", "[1.0, 0.5]"),
        "lead:",
    ),
    "unknown lead field in a condition": Case(
        "fit: {min: 70}",
        "fitness: {min: 70}",
        "definitions.mql.fitness",
        "fitness",
        ("expected", "'score'", "'fit'", "'demo_requested'"),
        "fitness:",
    ),
    "non-numeric bound of a range": Case(
        "fit: {min: 70}",
        "fit: {min: high}",
        "definitions.mql.fit.min",
        "high",
        ("a valid number",),
        "fit: {min: high}",
    ),
    "empty range": Case(
        "fit: {min: 70}",
        "fit: {}",
        "definitions.mql.fit",
        {},
        ("a range needs `min`, `max` or both",),
        "fit: {}",
    ),
    "typo in a range": Case(
        "fit: {min: 70}",
        "fit: {minimum: 70}",
        "definitions.mql.fit.minimum",
        "minimum",
        ("did you mean 'min'?", "keys here: max, min"),
        "fit: {minimum: 70}",
    ),
    "unknown queue order key": Case(
        "queue_order: [tier, score_desc, mql_at]",
        "queue_order: [tier, score_highest, mql_at]",
        "routing.queue_order[1]",
        "score_highest",
        ("'score_desc'", "'mql_at'"),
        "queue_order:",
    ),
    "a date that does not exist": Case(
        "2026-01-19,",
        "2026-13-19,",
        "calendar.holidays[1]",
        "2026-13-19",
        ("a valid timestamp", "month must be in 1..12"),
        "2026-13-19",
    ),
    "a key given twice": Case(
        "\nsurge:",
        "\nalerts:\n  at_risk: 0.5\n\nsurge:",
        "alerts",
        "alerts",
        ("each key once", "it is also at line"),
        "alerts:",
        occurrence=2,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_one_mistake_one_precise_problem(tmp_path: Path, case: Case) -> None:
    text = edit(POLICY, case.old, case.new)
    path = write(tmp_path, text)
    error = refused(path)
    message = str(error)
    line = line_of(text, case.at, case.occurrence)
    assert f"{path}:{line}: {case.path}: " in message, message
    if case.value is not None:
        assert f"; got {case.value!r}" in message, message
    for words in case.words:
        assert words in message, message
    # one mistake, one problem (no noise from pydantic's union branches)
    assert [p.path for p in error.problems].count(case.path) == 1, message


def test_unknown_key_also_reports_the_key_it_replaced(tmp_path: Path) -> None:
    path = write(tmp_path, edit(POLICY, "\ntiers:", "\ntierz:"))
    message = str(refused(path))
    assert ": tiers: this key is required; got nothing (the key is missing)" in message


def test_missing_required_section(tmp_path: Path) -> None:
    start = POLICY.index("calendar:\n")
    end = POLICY.index("# Shared definitions")
    text = POLICY[:start] + POLICY[end:]
    path = write(tmp_path, text)
    error = refused(path)
    assert [p.path for p in error.problems] == ["calendar"]
    # a missing key has no line of its own: the message points at the mapping it belongs to
    line = line_of(text, "version: 1")
    assert str(error) == (
        f"{path}:{line}: calendar: this key is required; got nothing (the key is missing)"
    )


def test_team_file_missing(tmp_path: Path) -> None:
    text = edit(POLICY, "team: team.yaml", "team: squad.yaml")
    path = write(tmp_path, text)
    message = str(refused(path))
    line = line_of(text, "team: squad.yaml")
    assert f"{path}:{line}: team: a team file next to the policy" in message
    assert str((tmp_path / "squad.yaml").resolve()) in message
    assert message.endswith("; got 'squad.yaml'")


def test_team_file_given_on_the_command_line_missing(tmp_path: Path) -> None:
    path = write(tmp_path)
    missing = tmp_path / "nobody.yaml"
    message = str(refused(path, team=missing))
    assert message.startswith(f"{missing}: (top level): a readable file")
    assert "No such file" in message


def test_rep_in_unknown_pool_names_the_team_file(tmp_path: Path) -> None:
    team = edit(TEAM, "{id: rep-09, pools: [bench]", "{id: rep-09, pools: [benhc]")
    path = write(tmp_path, team=team)
    message = str(refused(path))
    team_file = (tmp_path / "team.yaml").resolve()
    line = line_of(team, "rep-09")
    assert message == (
        f"{team_file}:{line}: reps[8].pools[0]: a pool of the policy "
        "(enterprise, commercial, bench); got 'benhc'"
    )


def test_bad_rep_hours_in_team_file(tmp_path: Path) -> None:
    team = edit(TEAM, 'mon: "08:00-16:00"', 'mon: "8am-4pm"')
    path = write(tmp_path, team=team)
    message = str(refused(path))
    line = line_of(team, "8am-4pm")
    assert f"team.yaml:{line}: reps[7].hours.mon: " in message
    assert '"HH:MM-HH:MM"' in message
    assert message.endswith("; got '8am-4pm'")


def test_duplicate_rep_ids_in_team_file(tmp_path: Path) -> None:
    team = edit(TEAM, "{id: rep-05,", "{id: rep-04,")
    path = write(tmp_path, team=team)
    message = str(refused(path))
    line = line_of(team, "{id: rep-04,", occurrence=2)
    assert f"team.yaml:{line}: reps[4].id: rep ids must be unique; repeated: rep-04" in message
    assert message.endswith("; got 'rep-04'")


def test_unknown_key_in_a_bare_list_team_file(tmp_path: Path) -> None:
    team = "- {id: rep-01, pools: [bench]}\n- {id: rep-02, pool: [bench]}\n"
    path = write(tmp_path, team=team)
    error = refused(path)
    assert "team.yaml:2: [1].pool: a known key (did you mean 'pools'?" in str(error)
    assert "team.yaml:2: [1].pools: this key is required" in str(error)


def test_inline_team_rep_in_unknown_pool(tmp_path: Path) -> None:
    inline = "team:\n  - {id: rep-01, pools: [bench]}\n  - {id: rep-02, pools: [nowhere]}\n"
    text = edit(POLICY, "team: team.yaml", inline)
    path = write(tmp_path, text)
    message = str(refused(path))
    line = line_of(text, "nowhere")
    assert message == (
        f"{path}:{line}: team[1].pools[0]: a pool of the policy "
        "(enterprise, commercial, bench); got 'nowhere'"
    )


def test_inline_team_with_wrong_type_reports_only_the_real_mistake(tmp_path: Path) -> None:
    inline = "team:\n  - {id: rep-01, pools: bench}\n"
    text = edit(POLICY, "team: team.yaml", inline)
    error = refused(write(tmp_path, text))
    assert [p.path for p in error.problems] == ["team[0].pools"]
    assert "expected a valid list; got 'bench'" in str(error)


def test_invalid_yaml_syntax_names_the_line(tmp_path: Path) -> None:
    text = edit(POLICY, "  owner: revops", "  owner: [revops")
    path = write(tmp_path, text)
    message = str(refused(path))
    opened = line_of(text, "owner: [revops")
    # the parser notices on the next line, and says where the list was opened
    assert message.startswith(f"{path}:{opened + 1}: (top level): valid YAML (")
    assert f"flow sequence at line {opened}" in message
    assert "got 'signed_by: [vp_marketing, vp_sales]'" in message


def test_tab_indentation_is_invalid_yaml(tmp_path: Path) -> None:
    text = edit(POLICY, "  review_every: quarter", "\treview_every: quarter")
    path = write(tmp_path, text)
    message = str(refused(path))
    assert message.startswith(f"{path}:{line_of(text, 'review_every')}: (top level): valid YAML")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert (
        str(refused(path))
        == f"{path}: (top level): a YAML mapping, but the file is empty; got None"
    )


def test_policy_that_is_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, "- version: 1\n")
    message = str(refused(path))
    assert message.startswith(f"{path}:1: (top level): expected a valid dictionary")


def test_several_mistakes_are_reported_together(tmp_path: Path) -> None:
    text = edit(POLICY, "strategy: least_loaded", "strategy: fastest")
    text = edit(text, "at_risk: 0.75", "at_risk: 2")
    error = refused(write(tmp_path, text))
    assert sorted(p.path for p in error.problems) == ["alerts.at_risk", "routing.strategy"]
    assert len(str(error).splitlines()) == 2


def test_policy_from_dict_names_its_source() -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_dict({"version": 1}, name="generated")
    paths = [p.path for p in info.value.problems]
    assert paths == ["agreement", "calendar", "definitions", "tiers", "routing"]
    assert str(info.value).startswith("generated: agreement: this key is required")


def test_long_values_are_abbreviated(tmp_path: Path) -> None:
    text = edit(
        POLICY,
        "{after: 2.0, notify: [sales_manager], action: reassign}",
        "{after: 0.5, notify: [sales_manager], action: reassign}",
    )
    message = str(refused(write(tmp_path, text)))
    assert "; got [{'after': 1.0, " in message
    assert message.endswith(" ...")
    assert len(message) < 300, message

"""Scenario files: the reference loads as it is; mistakes name file, key, value, expectation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from routing.errors import PolicyError
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "scenario.yaml"
REFERENCE = ROOT.parent / "shared" / "reference" / "scenario.yaml"


def test_the_example_is_the_reference_file() -> None:
    if not REFERENCE.exists():
        pytest.skip("../shared/reference is not here")
    assert EXAMPLE.read_text() == REFERENCE.read_text()


def test_the_reference_scenario_loads_with_its_policy_and_team() -> None:
    scenario = load_scenario(EXAMPLE)
    assert scenario.seed == 42 and scenario.replications == 10
    assert (scenario.end - scenario.start) == 13 * 7 * 86400
    assert scenario.loaded.team_file is not None and scenario.loaded.team_file.endswith("team.yaml")
    assert [r.id for r in scenario.loaded.team.reps][:2] == ["rep-01", "rep-02"]
    assert [s.kind for s in scenario.spec.arrivals] == ["poisson", "spike"]
    assert scenario.spec.report.staffing_search is not None


def _broken(tmp_path: Path, edit: dict[str, object], drop: tuple[str, ...] = ()) -> Path:
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["policy"] = str(ROOT / "examples" / "policy.yaml")
    raw["team"] = str(ROOT / "examples" / "team.yaml")
    for key in drop:
        del raw[key]
    for path, value in edit.items():
        node = raw
        *head, last = path.split(".")
        for part in head:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value
    target = tmp_path / "bad.yaml"
    target.write_text(yaml.safe_dump(raw))
    return target


@pytest.mark.parametrize(
    ("edit", "key", "says"),
    [
        ({"arrivals.0.mix.tier.tier1": 0.5}, "arrivals[0].mix", "add up to 1"),
        (
            {"arrivals.0.mix.tier": {"platinum": 1.0}},
            "arrivals[0].mix.tier.platinum",
            "a tier of the policy",
        ),
        (
            {
                "work.after_connect.rejected.no_budget": 0.0,
                "work.after_connect.rejected.weird": 0.10,
            },
            "work.after_connect.rejected.weird",
            "a rejection reason of the policy",
        ),
        (
            {"work.unresponsive_after_touches": 3},
            "work.unresponsive_after_touches",
            "follow-up cadence of 6 touches",
        ),
        (
            {"work.touch_minutes": {"distribution": "gamma", "mean": 3}},
            "work.touch_minutes",
            "distribution",
        ),
        ({"duration": "13 weeks"}, "duration", "13 weeks"),
        (
            {"report.staffing_search.pool": "nowhere"},
            "report.staffing_search.pool",
            "a pool of the policy",
        ),
        ({"arrivals.0.hourly_weights": {"08-25": 1.0}}, "arrivals[0].hourly_weights", "08-25"),
        ({"work.order": ["first_touch_due", "coffee"]}, "work.order[1]", "coffee"),
        ({"policy": "missing.yaml"}, "policy", "looked for"),
    ],
)
def test_a_mistake_names_file_key_value_and_expectation(
    tmp_path: Path, edit: dict[str, object], key: str, says: str
) -> None:
    with pytest.raises(PolicyError) as info:
        load_scenario(_broken(tmp_path, edit))
    text = str(info.value)
    assert "bad.yaml" in text
    assert f": {key}" in text
    assert says in text


def test_an_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_scenario(_broken(tmp_path, {"replicatons": 3}))
    assert "replicatons" in str(info.value) and "did you mean 'replications'" in str(info.value)


def test_a_missing_section_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_scenario(_broken(tmp_path, {}, drop=("work",)))
    assert ": work: this key is required" in str(info.value)


def test_the_cli_names_a_bad_scenario_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadflow.cli import main

    assert main(["simulate", str(tmp_path / "nowhere.yaml"), "--no-progress"]) == 2
    assert "nowhere.yaml" in capsys.readouterr().err
    bad = _broken(tmp_path, {"replications": 0})
    assert main(["simulate", str(bad), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "replications" in err
    assert main(["simulate", str(EXAMPLE), "--replications", "0"]) == 2
    assert "--replications" in capsys.readouterr().err

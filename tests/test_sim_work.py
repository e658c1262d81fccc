"""The work model: distributions, start delay, order, connects and outcomes, absences.
Each key is changed alone on the reduced reference scenario and its effect checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from simulator.driver import run_replication
from simulator.leadgen import tier_templates
from simulator.scenario import Lognormal, load_scenario
from simulator.work import Sampler, lognormal_params

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "sim" / "small.yaml"


def run(tmp_path: Path, **work: Any) -> dict[str, Any]:
    raw = yaml.safe_load(SMALL.read_text())
    raw["policy"] = str(ROOT / "examples" / "policy.yaml")
    raw["team"] = str(ROOT / "examples" / "team.yaml")
    raw["work"].update(work)
    path = tmp_path / f"v{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(raw))
    scenario = load_scenario(path)
    return run_replication(scenario, 0, tier_templates(scenario.loaded.policy))


def minutes(result: dict[str, Any]) -> list[float]:
    return [m for row in result["tiers"].values() for m in row["minutes"]]


def test_lognormal_is_parameterised_by_its_own_mean_and_sd() -> None:
    spec = Lognormal(distribution="lognormal", mean=12.0, sd=6.0)
    mu, sigma = lognormal_params(spec)
    draws = np.exp(np.random.default_rng(1).normal(mu, sigma, 200_000))
    assert draws.mean() == pytest.approx(12.0, rel=0.01)
    assert draws.std() == pytest.approx(6.0, rel=0.02)
    sampler = Sampler(spec, np.random.default_rng(2))
    seconds = [sampler() for _ in range(20_000)]
    assert np.mean(seconds) / 60 == pytest.approx(12.0, rel=0.02)


def test_start_delay_comes_before_every_first_touch(tmp_path: Path) -> None:
    late = run(tmp_path, start_delay_minutes={"distribution": "fixed", "value": 90})
    assert min(minutes(late)) >= 90
    quick = run(tmp_path, start_delay_minutes={"distribution": "fixed", "value": 0})
    assert min(minutes(quick)) < 1


def test_order_decides_what_a_free_rep_works_first(tmp_path: Path) -> None:
    first = run(tmp_path, order=["first_touch_due", "follow_up_due"])
    follow = run(tmp_path, order=["follow_up_due", "first_touch_due"])
    assert np.percentile(minutes(follow), 90) > np.percentile(minutes(first), 90)


def test_no_connects_means_every_lead_ends_unresponsive_after_the_cadence(
    tmp_path: Path,
) -> None:
    result = run(tmp_path, connect_rate=0.0)
    assert set(result["outcomes"]) == {"unresponsive"}
    assert result["sla"].get("follow_up.met", 0) > 0
    assert not any("refused" in w for w in result["warnings"])


def test_connected_leads_are_dispositioned_by_the_after_connect_shares(tmp_path: Path) -> None:
    result = run(tmp_path, connect_rate=1.0)
    outcomes = result["outcomes"]
    total = sum(outcomes.values())
    assert "unresponsive" not in outcomes
    assert outcomes["accepted"] / total == pytest.approx(0.55, abs=0.06)
    assert outcomes["wrong_persona"] / total == pytest.approx(0.15, abs=0.05)


def test_absent_days_take_reps_off_and_hand_their_leads_back(tmp_path: Path) -> None:
    present = run(tmp_path, absence={"daily_probability": 0.0})
    absent = run(tmp_path, absence={"daily_probability": 0.3})
    avail = sum(r["available_s"] for r in absent["reps"].values())
    full = sum(r["available_s"] for r in present["reps"].values())
    assert 0.6 < avail / full < 0.8
    handed = sum(row["reassignments"] for row in absent["tiers"].values())
    assert handed > sum(row["reassignments"] for row in present["tiers"].values())


def test_touch_time_is_the_reps_busy_time(tmp_path: Path) -> None:
    short = run(tmp_path, touch_minutes={"distribution": "fixed", "value": 5})
    long = run(tmp_path, touch_minutes={"distribution": "fixed", "value": 20})
    busy = [sum(r["busy_s"] for r in x["reps"].values()) for x in (short, long)]
    assert busy[1] / busy[0] == pytest.approx(4.0, rel=0.15)

"""The simulator counts the daily digests and weekly summaries the core emits
(routing/briefings.py): the same records a replay of the same inputs gives, counted in the
result's `notifications` (per replication, per role, per rep and working day)."""

from __future__ import annotations

from pathlib import Path

import yaml

from simulator.driver import Replication
from simulator.leadgen import tier_templates
from simulator.run import simulate
from simulator.scenario import load_scenario
from simulator.text import summary

REPO = Path(__file__).resolve().parents[1]


def scenario_file(tmp_path: Path, policy: str, team: str) -> Path:
    raw = yaml.safe_load((REPO / "examples" / "scenario.yaml").read_text())
    raw.update(policy=str(REPO / "examples" / policy), team=str(REPO / "examples" / team),
               duration="3w", replications=2)
    raw["arrivals"] = [a for a in raw["arrivals"] if a["kind"] == "poisson"]
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_the_simulator_counts_the_digests_the_core_emits(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file(tmp_path, "notify/policy.yaml", "notify/team.yaml"))
    result = simulate(scenario)
    told = result["notifications"]
    assert told["digests"] > 0 and told["digest_items"] >= told["digests"]
    assert told["weekly_summaries"] == 3.0  # from Mon 5 Jan: W02, W03, W04 (at the horizon)
    assert set(told["by_role"]) <= {"rep", "team_lead", "manager"}
    assert told["by_role"]["rep"]["digests"] == sum(r["digests"] for r in told["reps"].values())
    # A rep gets at most one digest per working day.
    assert all(r["per_working_day"] is None or 0 <= r["per_working_day"] <= 1
               for r in told["reps"].values())
    assert "daily digests per replication" in summary(result)
    # One replication, counted from the core's own records: the digests the engine emitted.
    sim = Replication(scenario, 0, tier_templates(scenario.loaded.policy))
    one = sim.run()
    engine_count = sim.engine.day_starts
    assert engine_count is not None
    assert one["notifications"]["digests"] == engine_count.digests
    assert one["notifications"]["digest_items"] == engine_count.items


def test_a_policy_without_digests_has_no_notifications_key(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file(tmp_path, "policy.yaml", "team.yaml"))
    result = simulate(scenario)
    assert "notifications" not in result
    assert "daily digests" not in summary(result)

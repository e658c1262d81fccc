"""The simulator reproduces Erlang C on an M/M/c configuration (DESIGN.md's invariant).

examples/mmc/policy.yaml is an M/M/c queue written as a policy: a 24/7 calendar, one tier
with a 5-minute calendar window, `max_open: 1`, no daily cap. The scenarios written here
add Poisson arrivals at a constant rate, exponential touch time, no start delay, and one
touch then `unresponsive` (`connect_rate: 0`). The share of leads the core counts as
touched within the window, and the mean wait to the first touch, must match Erlang C
computed here from the formula: within 2 percentage points and 8%.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from simulator.run import simulate
from simulator.scenario import load_scenario

MMC = Path(__file__).resolve().parent.parent / "examples" / "mmc"
AHT_MIN = 10.0
WINDOW_MIN = 5.0


def erlang_c(lam_per_min: float, aht_min: float, c: int, t_min: float) -> tuple[float, float]:
    """(P(wait <= t), mean wait in minutes) of M/M/c, from Erlang B's recursion."""
    a = lam_per_min * aht_min
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    p_wait = c * b / (c - a * (1 - b))
    mean_wait = p_wait * aht_min / (c - a)
    within = 1 - p_wait * math.exp(-(c - a) * t_min / aht_min)
    return within, mean_wait


def write_case(tmp: Path, c: int, rho: float, leads: int, replications: int) -> Path:
    lam = rho * c / AHT_MIN  # leads a minute
    per_week = lam * 60 * 24 * 7
    weeks = leads / replications / per_week
    reps = "\n".join(f"  - {{id: rep-{i:02d}, pools: [all]}}" for i in range(1, c + 1))
    (tmp / "team.yaml").write_text(f"reps:\n{reps}\n")
    (tmp / "scenario.yaml").write_text(
        f"""version: 1
name: mmc-c{c}-rho{rho}
policy: {MMC / "policy.yaml"}
team: team.yaml
start: 2026-01-05T00:00:00Z
duration: {weeks * 7:.3f}d
seed: {c * 100 + int(rho * 100)}
replications: {replications}
arrivals:
  - kind: poisson
    mqls_per_week: {per_week}
work:
  touch_minutes: {{distribution: exponential, mean: {AHT_MIN}}}
  start_delay_minutes: {{distribution: fixed, value: 0}}
  connect_rate: 0
  unresponsive_after_touches: 1
report:
  warmup: 2d
"""
    )
    return tmp / "scenario.yaml"


CASES = [  # (reps, utilisation, leads simulated in all): enough for the tolerances
    (1, 0.5, 60_000),  # a one-rep team
    (2, 0.7, 100_000),  # a small team
    (5, 0.8, 160_000),
    (8, 0.9, 240_000),  # heavily loaded
]
REPLICATIONS = 8


def test_the_formula_matches_known_values() -> None:
    # M/M/1: P(wait) = rho, mean wait = rho * AHT / (1 - rho).
    within, wait = erlang_c(0.05, 10.0, 1, 5.0)
    assert wait == pytest.approx(10.0)
    assert within == pytest.approx(1 - 0.5 * math.exp(-0.25))
    # A textbook case: A = 8 erlangs on 10 agents has P(wait) = 0.409 (to 3 places).
    _, wait10 = erlang_c(0.8, 10.0, 10, 0.0)
    assert wait10 * (10 - 8) / 10.0 == pytest.approx(0.409, abs=5e-4)


@pytest.mark.parametrize(("c", "rho", "leads"), CASES, ids=[f"c{c}-rho{r}" for c, r, _ in CASES])
def test_simulated_mmc_matches_erlang_c(tmp_path: Path, c: int, rho: float, leads: int) -> None:
    scenario = load_scenario(write_case(tmp_path, c, rho, leads, REPLICATIONS))
    result = simulate(scenario)
    tier = result["tiers"]["all"]
    expected_within, expected_wait = erlang_c(rho * c / AHT_MIN, AHT_MIN, c, WINDOW_MIN)
    assert tier["leads"] * REPLICATIONS > 0.8 * leads  # after the warm-up
    assert tier["first_touch_within_sla"] == pytest.approx(expected_within, abs=0.02)
    assert tier["first_touch_minutes"]["mean"] == pytest.approx(expected_wait, rel=0.08)
    # Little's law on the reps: utilisation is the offered load per rep.
    assert result["pools"]["all"]["utilization"] == pytest.approx(rho, abs=0.02)
    assert not result["unstable"]

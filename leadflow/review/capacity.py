"""The capacity the measured volume needs: a scenario built from the history's own
arrival pattern (MQLs per week, weekday and hour shape, tier and segment mix, measured
connect rate and disposition mix) and its reps, then the simulator's staffing search
(simulator.staffing.search) for each pool.

The staffing search simulates every headcount of a range; a pool of hundreds of reps
would take hundreds of simulations, so this drives the search one headcount at a time
and bisects: the largest headcount (twice today's) first, whose misses name the targets
staffing cannot reach (the search's own `unreachable`, dropped after), then halving.
Pools are searched downstream first (a pool after those it overflows to), each with the
headcounts already found, so the answer is a whole team. Runs are short (a few weeks, few
replications) and the pack says so.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import Any

import orjson
import yaml

from leadflow.review import ReviewError
from leadflow.review.history import Run, open_history
from routing.policy.models import Policy
from simulator.staffing import team_with

# Rep behaviour a history does not record (touch durations, the delay before a free rep
# starts, unplanned absence): the reference scenario's values (examples/scenario.yaml).
UNMEASURED_WORK: dict[str, Any] = {
    "touch_minutes": {"distribution": "lognormal", "mean": 12, "sd": 6},
    "start_delay_minutes": {"distribution": "exponential", "mean": 10},
    "absence": {"daily_probability": 0.04},
}
REACHED = ("connected", "replied")


def measured_work(run: Run, first_day: str, last_day: str) -> dict[str, Any]:
    """Connect rate (touches that reached the lead: connected or replied) and what a
    dispositioned lead became (accepted, or rejected with a reason other than
    `unresponsive`), from the history's input events in the period."""
    touches: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    policy = run.loaded.policy
    disposition = policy.sales_commits.disposition
    reasons = set(disposition.reasons.rejected) if disposition is not None else set()
    with open_history(run.history) as lines:
        for line in lines:
            if '"lead.touched"' not in line and '"lead.dispositioned"' not in line:
                continue
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            day = str(event.get("at", ""))[:10] if isinstance(event, dict) else ""
            if not first_day <= day <= last_day:
                continue
            if event.get("type") == "lead.touched":
                touches[str(event.get("outcome"))] += 1
            elif event.get("type") == "lead.dispositioned":
                outcome, reason = event.get("outcome"), event.get("reason")
                if outcome == "accepted":
                    outcomes["accepted"] += 1
                elif outcome == "rejected" and reason in reasons and reason != "unresponsive":
                    outcomes[str(reason)] += 1
    total = sum(touches.values())
    connect = sum(touches[o] for o in REACHED) / total if total else 0.3
    closed = sum(outcomes.values())
    if closed:
        rejected = {r: n / closed for r, n in sorted(outcomes.items()) if r != "accepted"}
        after = {"accepted": outcomes["accepted"] / closed, "rejected": rejected}
    else:
        after = {"accepted": 1.0, "rejected": {}}
    follow_up = policy.sales_commits.follow_up
    return {
        **UNMEASURED_WORK,
        "connect_rate": round(connect, 4),
        "after_connect": after,
        "unresponsive_after_touches": follow_up.touches if follow_up is not None else 6,
        "measured": {"touches": total, "dispositions": closed},
    }


def _shares(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items() if v} if total else {}


def scenario_dict(
    run: Run, pack: dict[str, Any], pool: str, headcount: int, targets: dict[str, float],
    weeks: int, replications: int, seed: int, volume: float | None = None,
    team: Path | None = None,
) -> dict[str, Any]:
    arrivals = pack["arrivals"]
    volume = volume or next(
        (b["baseline"] for b in pack["commitments"] if b["commitment"] == "mql_volume"), None)
    if volume is None:
        volume = pack["volume"]["mqls"] / max(pack["volume"]["weeks"], 1)
    zone = run.zone
    first = datetime.fromisoformat(pack["period"]["first_day"])
    start = datetime.combine(first.date(), time(0), zone)
    segments = {k: v for k, v in arrivals["segment"].items() if k != "unknown"}
    work = measured_work(run, pack["period"]["first_day"], pack["period"]["last_day"])
    work.pop("measured")
    loaded = run.loaded
    spec: dict[str, Any] = {
        "version": 1,
        "name": f"{pool}={headcount}",
        "policy": str(Path(loaded.policy_file).resolve()),
        "start": start.isoformat(),
        "duration": f"{weeks}w",
        "seed": seed,
        "replications": replications,
        "arrivals": [{
            "kind": "poisson",
            "name": "measured",
            "mqls_per_week": round(float(volume), 3),
            "weekday_weights": {d: n for d, n in arrivals["weekday"].items()},
            "hourly_weights": {h: n for h, n in arrivals["hour"].items()},
            "mix": {"tier": _shares(arrivals["tier"]), "segment": _shares(segments)},
        }],
        "work": work,
        "report": {
            "targets": {"first_touch_within_sla": targets},
            "staffing_search": {"pool": pool, "min": headcount, "max": headcount},
        },
    }
    if team is not None:
        spec["team"] = str(team)
    elif loaded.team_file is not None:
        spec["team"] = str(Path(loaded.team_file).resolve())
    return spec


def _probe(spec: dict[str, Any], where: Path) -> dict[str, Any]:
    from simulator.scenario import load_scenario
    from simulator.staffing import search

    path = where / "scenario.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return search(load_scenario(path))


def downstream_first(policy: Policy, pools: list[str]) -> list[str]:
    """Pools ordered so that a pool comes after those it overflows to (bench before
    commercial before enterprise): each search then keeps the headcounts found before it,
    and every pool has to carry its own load instead of overflowing into a full team."""
    by_name = {p.name: p for p in policy.routing.pools}

    def depth(name: str) -> int:
        seen = {name}
        nxt, n = by_name[name].overflow, 0
        while nxt is not None and nxt not in seen and nxt in by_name:
            seen.add(nxt)
            nxt, n = by_name[nxt].overflow, n + 1
        return n

    order = {name: i for i, name in enumerate(pools)}
    return sorted(pools, key=lambda name: (depth(name), order[name]))


def _bisect(
    pool: str, current: int, targets: dict[str, float],
    build: Callable[[int, dict[str, float]], dict[str, Any]], where: Path, why: list[str],
    say: Callable[[str], None] | None,
) -> dict[str, Any]:
    """The smallest headcount of POOL that meets the reachable targets, by bisection."""
    if current == 0:
        return {"pool": pool, "current": 0, "headcount": None, "unreachable": [],
                "probes": "no reps to clone"}
    seen: dict[int, bool] = {}
    reach = dict(targets)
    top = max(2 * current, 2)

    def meets(n: int) -> bool:
        if n not in seen:
            found = _probe(build(n, reach), where)
            seen[n] = bool(found["rows"][0]["meets_targets"])
            if say:
                say(f"  {pool}={n}: {'meets' if seen[n] else 'misses'} the targets")
            if n == top and found["unreachable"]:
                for tier in found["unreachable"]:  # staffing cannot fix these: dropped
                    reach.pop(tier, None)
                    why.append(f"{pool}, {tier}: {found['unreachable_why'][tier]}")
                del seen[n]
                return meets(n)
        return seen[n]

    best: int | None = None
    if meets(top):
        lo, hi = 0, top  # lo misses (or is zero), hi meets
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if meets(mid) else (mid, hi)
        best = hi
    return {
        "pool": pool,
        "current": current,
        "headcount": best,
        "unreachable": sorted(set(targets) - set(reach)),
        "probes": ", ".join(f"{n} ({'yes' if ok else 'no'})" for n, ok in sorted(seen.items())),
    }


def capacity(
    run: Run, pack: dict[str, Any], target: float = 0.9, weeks: int = 2, replications: int = 2,
    seed: int = 1, pools: list[str] | None = None,
    say: Callable[[str], None] | None = None, keep: Path | None = None,
    volume: float | None = None,
) -> dict[str, Any]:
    """Per pool: the smallest headcount whose simulated first touch meets TARGET for every
    tier staffing can reach (the staffing search's verdict), by bisection."""
    policy = run.loaded.policy
    known = [p.name for p in policy.routing.pools]
    for name in pools or []:
        if name not in known:
            raise ReviewError(
                f"--capacity-pool {name!r}: not a pool of the policy ({', '.join(known)})")
    targets = {t.name: min(target, t.first_touch.target) for t in policy.tiers}
    out = []
    why: list[str] = []
    first_spec: list[dict[str, Any]] = []
    team = run.loaded.team
    with tempfile.TemporaryDirectory(prefix="leadflow-review-") as tmp:
        where = Path(tmp)
        for pool in downstream_first(policy, pools or known):
            team_file = where / f"team-{pool}.yaml"
            dumped = team.model_dump(mode="json", exclude_none=True, by_alias=True)
            team_file.write_text(yaml.safe_dump(dumped, sort_keys=False), encoding="utf-8")

            def build(n: int, reach: dict[str, float], pool: str = pool,
                      team_file: Path = team_file) -> dict[str, Any]:
                spec = scenario_dict(run, pack, pool, n, reach, weeks, replications, seed, volume,
                                     team_file)
                if not first_spec:
                    first_spec.append(spec)
                return spec

            current = sum(1 for r in team.reps if pool in r.pools)
            found = _bisect(pool, current, targets, build, where, why, say)
            out.append(found)
            if found["headcount"] is not None:  # the next pools are searched with this one set
                team = team_with(team, pool, found["headcount"])
    spec_kept = first_spec[0] if first_spec else None
    if keep is not None and spec_kept is not None:
        spec_kept = dict(spec_kept)  # with today's team (the probes' team files are gone)
        spec_kept.pop("team", None)
        if run.loaded.team_file is not None:
            spec_kept["team"] = str(Path(run.loaded.team_file).resolve())
        keep.write_text(yaml.safe_dump(spec_kept, sort_keys=False), encoding="utf-8")
    at = "the measured volume" if volume is None else f"{volume:,.1f} MQLs a week"
    return {
        "pools": out,
        "targets": targets,
        "weeks": weeks,
        "replications": replications,
        "why": why,
        "how": (
            f"The simulator's staffing search, one pool at a time, the pools that others "
            f"overflow to first; each search keeps the headcounts found before it (so every "
            f"pool carries its own load; pools not yet searched as today). The scenario is "
            f"built from the period's arrivals: "
            f"{pack['arrivals']['mqls']:,} MQL leads shaped by weekday and hour, tier and "
            f"segment, at {at}. Target: first touch within the tier's window "
            f"for at least {100 * target:.0f}% of leads (the lower end of the 95% interval). "
            f"Short runs: {weeks} simulated week(s), {replications} replication(s) per "
            f"headcount, seed {seed}: a first estimate, not a plan; rerun with more "
            f"(--capacity-weeks, --replications) before hiring."
        ),
        "scenario_note": (
            "Measured from the history: volume, weekday/hour shape, tier and segment mix, "
            "connect rate, disposition mix. Not in a history, taken from the reference "
            "scenario: touch duration (lognormal, mean 12 min), start delay (exponential, "
            "mean 10 min), daily absence 4%."
            + (f" The scenario of the first probe is kept in {keep}." if keep else "")
        ),
    }

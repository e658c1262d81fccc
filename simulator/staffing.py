"""Staffing search: the smallest headcount of one pool that meets every target.

Headcounts from `staffing_search.min` to `max` are each simulated on the same random
numbers (same seed and replications: the arrivals are identical, and a rep keeps their
own work and absence draws whatever the team). Reps are removed from the end of the
roster (reps in that pool only, first) or added as clones of the pool's reps, in turn.
A headcount meets the targets when the LOWER end of every target tier's 95% interval
reaches the target. A target that even the largest headcount misses is named
"unreachable" (staffing this pool cannot fix it), and the search also answers for the
targets that staffing can reach.
"""

from __future__ import annotations

from typing import Any

from routing.errors import LeadflowError
from routing.policy.team import Rep, Team
from simulator.aggregate import aggregate
from simulator.run import Progress, run_many
from simulator.scenario import Scenario


class StaffingError(LeadflowError):
    """The scenario cannot be searched (no `report.staffing_search`, no reps to clone)."""


def team_with(team: Team, pool: str, headcount: int) -> Team:
    """TEAM with exactly HEADCOUNT reps able to work POOL."""
    reps = list(team.reps)
    members = [r for r in reps if pool in r.pools]
    if not members and headcount > 0:
        raise StaffingError(f"pool {pool!r} has no reps to clone")
    while len(members) > headcount:
        only = [r for r in members if list(r.pools) == [pool]]
        victim = (only or members)[-1]
        reps.remove(victim)
        members.remove(victim)
    templates = [r for r in members if list(r.pools) == [pool]] or list(members)
    i = 0
    while len(members) < headcount:
        model = templates[i % len(templates)]
        i += 1
        clone: Rep = model.model_copy(update={"id": f"{pool}-extra-{i:02d}"})
        reps.append(clone)
        members.append(clone)
    return team.model_copy(update={"reps": reps})


def search(scenario: Scenario, progress: Progress | None = None) -> dict[str, Any]:
    spec = scenario.spec.report.staffing_search
    if spec is None:
        raise StaffingError(f"{scenario.file}: `report.staffing_search` is not set")
    targets = scenario.spec.report.targets.first_touch_within_sla
    if not targets:
        raise StaffingError(f"{scenario.file}: `report.targets.first_touch_within_sla` is empty")
    counts = list(range(spec.min, spec.max + 1))
    variants = [
        scenario.with_team(team_with(scenario.loaded.team, spec.pool, n), f"{spec.pool}={n}")
        for n in counts
    ]
    jobs = [(v, i) for v in variants for i in range(scenario.replications)]
    runs = run_many(jobs, progress)
    rows = []
    for k, (n, variant) in enumerate(zip(counts, variants, strict=True)):
        part = runs[k * scenario.replications : (k + 1) * scenario.replications]
        result = aggregate(variant, part)
        rows.append(
            {
                "headcount": n,
                "meets_targets": result["meets_targets"] and not result["unstable"],
                "unstable": result["unstable"],
                "tiers": {
                    t: {
                        "first_touch_within_sla": result["tiers"][t]["first_touch_within_sla"],
                        "first_touch_within_sla_ci95": result["tiers"][t][
                            "first_touch_within_sla_ci95"
                        ],
                    }
                    for t in result["tiers"]
                },
                "utilization": result["pools"][spec.pool]["utilization"],
            }
        )
    best = next((r["headcount"] for r in rows if r["meets_targets"]), None)
    # Targets no headcount in the range reaches (e.g. a calendar window that runs at night,
    # when nobody works): named, and the search answers for the others too.
    top = rows[-1]
    unreachable = {
        t: top["tiers"][t]["first_touch_within_sla_ci95"][0]
        for t, share in targets.items()
        if (top["tiers"][t]["first_touch_within_sla_ci95"][0] or 0.0) < share
    }
    for row in rows:
        row["meets_reachable"] = not row["unstable"] and all(
            (row["tiers"][t]["first_touch_within_sla_ci95"][0] or 0.0) >= share
            for t, share in targets.items()
            if t not in unreachable
        )
    reachable = next((r["headcount"] for r in rows if r["meets_reachable"]), None)
    why = {t: _why_unreachable(scenario, t, spec.pool, top["headcount"], low)
           for t, low in unreachable.items()}
    return {
        "scenario": scenario.file,
        "pool": spec.pool,
        "targets": dict(targets),
        "replications": scenario.replications,
        "seed": scenario.seed,
        "headcount": best,
        "unreachable": unreachable,
        "unreachable_why": why,
        "reachable_headcount": reachable if unreachable else best,
        "rows": rows,
    }


WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _why_unreachable(
    scenario: Scenario, tier: str, pool: str, most: int, low: float | None
) -> str:
    """Why no headcount reaches TIER's target, in words, from the policy: a calendar-clock
    window keeps running while nobody works; otherwise, what the largest team reached."""
    policy = scenario.loaded.policy
    window = next((t.first_touch for t in policy.tiers if t.name == tier), None)
    reached = f"{low:.1%}" if low is not None else "nothing"
    if window is not None and window.clock == "calendar" and window.within != "end_of_business_day":
        hours = policy.calendar.hours
        by_hours: dict[str, list[str]] = {}
        for day in WEEK:
            if day in hours:
                spans = hours[day]
                text = spans if isinstance(spans, str) else ", ".join(spans)
                by_hours.setdefault(text, []).append(day)
        worked = "; ".join(f"{_days(days)} {h}" for h, days in by_hours.items()) or "never"
        return (
            f"its first-touch window is {window.within.text} of calendar time, which keeps "
            f"running outside working hours ({worked}, {policy.calendar.timezone}): a lead "
            "that arrives then is late whatever the headcount"
        )
    return f"the lower end of its 95% CI reaches only {reached} even at {most} reps of {pool}"


def _days(days: list[str]) -> str:
    """['mon', 'tue', 'wed'] -> 'mon-wed'; non-consecutive days are listed."""
    idx = [WEEK.index(d) for d in days]
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{days[0]}-{days[-1]}"
    return ", ".join(days)

"""Replications in, the results JSON out (the fields are documented in docs/simulator.md).

Means are over replications unless a field says otherwise; confidence intervals are
95% t-intervals over replications; percentiles and histograms pool every replication's
leads.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from routing.outputs import TimeFormat
from simulator.metrics import DECAY
from simulator.scenario import Scenario

T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)
EDGES_MIN = [0, 5, 15, 30, 60, 120, 240, 480, 1440, 2880, 5760, 10080, 20160, 43200]
GROWTH = 1.5  # last-quarter queue vs second-quarter queue that counts as growing
BACKLOG_SHARE = 0.25  # untouched leads at the end, as a share of a week's arrivals


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom."""
    if df < 1:
        return math.nan
    return T975[df - 1] if df <= len(T975) else 1.96 + 2.4 / df


def ci95(values: list[float]) -> tuple[float, list[float]]:
    """Mean and 95% t-interval; one value gives a zero-width interval."""
    n = len(values)
    if n == 0:
        return math.nan, [math.nan, math.nan]
    mean = float(np.mean(values))
    if n == 1:
        return mean, [mean, mean]
    half = t975(n - 1) * float(np.std(values, ddof=1)) / math.sqrt(n)
    return mean, [max(0.0, mean - half), min(1.0, mean + half)]


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _percentiles(minutes: list[float]) -> dict[str, float | None]:
    if not minutes:
        return {"mean": None, "p50": None, "p95": None, "p99": None}
    arr = np.asarray(minutes)
    p50, p95, p99 = np.percentile(arr, [50, 95, 99]).tolist()
    return {"mean": float(arr.mean()), "p50": p50, "p95": p95, "p99": p99}


def aggregate(scenario: Scenario, runs: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(runs)
    fmt = TimeFormat(scenario.loaded.policy.calendar.build().tz)
    spec = scenario.spec
    tier_names = [t.name for t in scenario.loaded.policy.tiers]
    warnings: list[str] = sorted({w for r in runs for w in r["warnings"]})
    if n == 1:
        warnings.append("one replication: the confidence intervals have zero width")
    tiers = _tiers(runs, tier_names)
    targets = dict(spec.report.targets.first_touch_within_sla)
    meets = all(
        tiers[t]["first_touch_within_sla_ci95"][0] >= share
        for t, share in targets.items()
        if tiers[t]["first_touch_within_sla"] is not None
    )
    pools = _pools(runs)
    stability = _stability(runs, scenario)
    if stability["unstable"]:
        warnings.insert(0, stability["why"])
    size = (scenario.end - scenario.start) / len(runs[0]["arrivals"]) if runs else 3600
    buckets = len(runs[0]["arrivals"]) if runs else 0
    first = runs[0] if runs else {"periods": []}
    headcount = {name: p["reps"] for name, p in pools.items()}
    commitment = scenario.loaded.policy.marketing_commits.mql_volume
    weeks = [r["mqls_per_week"] for r in runs]
    sla = Counter[str]()
    outcomes = Counter[str]()
    for r in runs:
        sla.update(r["sla"])
        outcomes.update(r["outcomes"])
    total_out = sum(outcomes.values())
    out: dict[str, Any] = {
        "scenario": {
            "file": scenario.file,
            "name": scenario.name,
            "start": fmt(scenario.start),
            "end": fmt(scenario.end),
            "weeks": (scenario.end - scenario.start) / (7 * 86400),
            "seed": scenario.seed,
            "policy": scenario.loaded.policy_file,
            "team": scenario.loaded.team_file,
            "headcount": headcount,
            "warmup_end": fmt(
                scenario.start + (spec.report.warmup.seconds if spec.report.warmup else 0)
            ),
        },
        "replications": n,
        "unstable": stability["unstable"],
        "stability": {k: v for k, v in stability.items() if k != "why"},
        "warnings": warnings,
        "targets": targets,
        "meets_targets": meets,
        "tiers": tiers,
        "pools": {
            k: {x: v[x] for x in ("reps", "utilization", "leads_per_day", "queue")}
            for k, v in pools.items()
        },
        "reps": _reps(runs),
        "series": {
            "bucket_minutes": size / 60.0,
            "t": [fmt(scenario.start + i * size) for i in range(buckets)],
            "arrivals": np.mean([r["arrivals"] for r in runs], axis=0).tolist(),
            "queue": {
                k: np.mean([r["pools"][k]["queue"] for r in runs], axis=0).tolist() for k in pools
            },
            "surge": {
                k: np.mean([r["pools"][k]["surge"] for r in runs], axis=0).tolist() for k in pools
            },
        },
        "surge": {
            "periods": [
                {"pool": p["pool"], "start": fmt(p["start"]), "end": fmt(p["end"])}
                for p in first["periods"]
            ],
            "hours": {k: _mean([r["pools"][k]["surge_hours"] for r in runs]) for k in pools},
            "periods_per_replication": _mean([len(r["periods"]) for r in runs]),
        },
        "follow_up": {
            "completion": _ratio(
                sla["follow_up.met"], sla["follow_up.met"] + sla["follow_up.breached"]
            ),
            "breaches": sla["follow_up.breached"] / n,
        },
        "disposition": {
            "within_window": _ratio(
                sla["disposition.met"], sla["disposition.met"] + sla["disposition.breached"]
            ),
            "breaches": sla["disposition.breached"] / n,
            "outcomes": {k: v / total_out for k, v in sorted(outcomes.items())}
            if total_out
            else {},
        },
        "marketing": {
            "mqls_per_week": np.mean(weeks, axis=0).tolist(),
            "commitment": commitment.min if commitment is not None else None,
            "weeks_below": _mean(
                [sum(1 for x in w if commitment is not None and x < commitment.min) for w in weeks]
            ),
            "period_breaches": _mean([r["period_breaches"] for r in runs]),
        },
        "pipeline": {
            "lost_to_slow_response": _mean([r["pipeline_lost"] for r in runs]),
            "alpha": spec.report.pipeline_alpha,
            "curve": dict(DECAY),
        },
        "histograms": {
            "first_touch_minutes": {
                t: {
                    "edges": EDGES_MIN,
                    "counts": (
                        np.histogram(np.clip(_pooled(runs, t), 0, EDGES_MIN[-1]), bins=EDGES_MIN)[0]
                        / n
                    ).tolist(),
                }
                for t in tier_names
            }
        },
    }
    told = [r["notifications"] for r in runs if "notifications" in r]
    if told:
        out["notifications"] = _told(told)
    return out


def _told(told: list[dict[str, Any]]) -> dict[str, Any]:
    """The digests and weekly summaries per replication (means), per role and per rep;
    a rep's `per_working_day`: their digests over their working days, all runs pooled."""
    reps = sorted({rep for t in told for rep in t["reps"]})
    roles = sorted({role for t in told for role in t["by_role"]})
    return {
        "digests": _mean([t["digests"] for t in told]),
        "digest_items": _mean([t["digest_items"] for t in told]),
        "by_role": {role: {k: _mean([t["by_role"].get(role, {}).get(k, 0) for t in told])
                           for k in ("digests", "items")} for role in roles},
        "reps": {rep: {
            "digests": _mean([t["reps"].get(rep, {}).get("digests", 0) for t in told]),
            "items": _mean([t["reps"].get(rep, {}).get("items", 0) for t in told]),
            "per_working_day": _ratio(
                sum(t["reps"].get(rep, {}).get("digests", 0) for t in told),
                sum(t["reps"].get(rep, {}).get("working_days", 0) for t in told)),
        } for rep in reps},
        "weekly_summaries": _mean([t["weekly_summaries"] for t in told]),
    }


def _pooled(runs: list[dict[str, Any]], tier: str) -> list[float]:
    return [m for r in runs for m in r["tiers"].get(tier, {}).get("minutes", [])]


def _tiers(runs: list[dict[str, Any]], names: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for tier in names:
        rows = [r["tiers"].get(tier) for r in runs]
        rows = [row for row in rows if row is not None]
        shares = [row["within"] / row["determined"] for row in rows if row["determined"]]
        mean, interval = ci95(shares)
        out[tier] = {
            "leads": _mean([row["leads"] for row in rows]),
            "first_touch_within_sla": None if math.isnan(mean) else mean,
            "first_touch_within_sla_ci95": [None if math.isnan(x) else x for x in interval],
            "first_touch_minutes": _percentiles(_pooled(runs, tier)),
            "breaches": _mean([row.get("breaches", 0) for row in rows]),
            "escalations": _mean([row.get("escalations", 0) for row in rows]),
            "reassignments": _mean([row.get("reassignments", 0) for row in rows]),
            "untouched": _mean([row["untouched"] for row in rows]),
        }
    return out


def _load(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Utilisation (touch time over working time, all replications) and leads per day."""
    avail = sum(row["available_s"] for row in rows)
    return {
        "utilization": sum(row["busy_s"] for row in rows) / avail if avail else None,
        "leads_per_day": _mean([row["assigned"] / row["days"] for row in rows if row["days"]]),
    }


def _pools(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for name in runs[0]["pools"] if runs else []:
        rows = [r["pools"][name] for r in runs]
        queue = {
            "mean": _mean([row["queue_mean"] for row in rows]),
            "max": max(row["queue_max"] for row in rows),
        }
        out[name] = {"reps": rows[0]["reps"], **_load(rows), "queue": queue}
    return out


def _reps(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for rep_id in runs[0]["reps"] if runs else []:
        rows = [r["reps"][rep_id] for r in runs]
        out[rep_id] = {"pools": rows[0]["pools"], **_load(rows)}
    return out


def _stability(runs: list[dict[str, Any]], scenario: Scenario) -> dict[str, Any]:
    """Unstable: the total queue keeps growing (its mean over the last quarter of the
    horizon is more than 1.5x that over the second quarter, plus one lead) AND the leads
    still waiting for a first touch at the end exceed a quarter of a week's arrivals."""
    if not runs:
        return {"unstable": False}
    total = np.sum(
        [np.mean([r["pools"][k]["queue"] for r in runs], axis=0) for k in runs[0]["pools"]], axis=0
    )
    n = len(total)
    q2 = float(np.mean(total[n // 4 : n // 2])) if n >= 4 else 0.0
    q4 = float(np.mean(total[3 * n // 4 :])) if n >= 4 else 0.0
    weeks = max((scenario.end - scenario.start) / (7 * 86400), 1 / 7)
    per_week = _mean([sum(r["arrivals"]) for r in runs]) / weeks
    backlog = _mean([r["backlog_end"] for r in runs])
    unstable = q4 > GROWTH * q2 + 1.0 and backlog > BACKLOG_SHARE * per_week
    why = (
        f"UNSTABLE staffing: the backlog grows without bound — {backlog:.0f} leads still "
        f"wait for a first touch at the end ({per_week:.0f} arrive per week), and the queue "
        f"averaged {q4:.1f} over the last quarter of the horizon vs {q2:.1f} over the second"
    )
    return {
        "unstable": unstable,
        "why": why,
        "backlog_end": backlog,
        "queue_second_quarter": q2,
        "queue_last_quarter": q4,
        "arrivals_per_week": per_week,
    }

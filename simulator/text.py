"""Plain-text renderings of simulation results for the terminal."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from simulator.report.fmt import ci_pct


def pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def _num(x: float | None, digits: int = 0) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def sales_targets(policy: Any) -> dict[str, float]:
    """The policy's targets for follow-up and disposition compliance (shares)."""
    out: dict[str, float] = {}
    commits = policy.sales_commits
    if commits.follow_up is not None:
        out["follow_up"] = commits.follow_up.target
    if commits.disposition is not None:
        out["disposition"] = commits.disposition.target
    return out


def _missed(result: dict[str, Any]) -> list[str]:
    """The first-touch targets whose lower 95% CI end is below the target."""
    out = []
    for tier, target in result["targets"].items():
        row = result["tiers"].get(tier)
        if row is None or row["first_touch_within_sla"] is None:
            continue
        low = row["first_touch_within_sla_ci95"][0]
        if low < target:
            out.append(f"{tier} (target {pct(target).strip()}, lower CI end {pct(low).strip()})")
    return out


def summary(result: dict[str, Any], targets: dict[str, float] | None = None) -> str:
    """The terminal summary of a simulation; TARGETS: the policy's follow-up and
    disposition targets (`sales_targets`), flagged when compliance is below them."""
    s = result["scenario"]
    n = result["replications"]
    lines = [
        f"leadflow simulate — {s['name']}: {s['start'][:10]} to {s['end'][:10]} "
        f"({s['weeks']:g} weeks), {n} replication(s), seed {s['seed']}",
        "headcount: " + ", ".join(f"{k} {v}" for k, v in s["headcount"].items()),
        f"counts are means per replication (over {n}); shares are over all replications",
        "",
        f"{'tier':<14}{'leads/rep':>10}{'within SLA':>12}{'95% CI':>17}{'p50 min':>10}"
        f"{'p95 min':>10}{'p99 min':>10}{'breaches/rep':>13}{'target':>8}",
    ]
    total_leads = 0.0
    for tier, row in result["tiers"].items():
        lo, hi = ci_pct(row["first_touch_within_sla_ci95"], missing="-")
        m = row["first_touch_minutes"]
        target = result["targets"].get(tier)
        total_leads += row["leads"] or 0.0
        lines.append(
            f"{tier:<14}{row['leads']:>10.1f}{pct(row['first_touch_within_sla']):>12}"
            f"{lo:>9}-{hi:>7}{_num(m['p50']):>10}{_num(m['p95']):>10}"
            f"{_num(m['p99']):>10}{row['breaches']:>13.1f}{pct(target) if target else '':>8}"
        )
    lines += [
        "",
        f"{'pool':<14}{'reps':>6}{'utilization':>13}{'leads/day':>11}{'queue mean':>12}"
        f"{'max':>6}{'surge h/rep':>13}",
    ]
    for pool, row in result["pools"].items():
        lines.append(
            f"{pool:<14}{row['reps']:>6}{pct(row['utilization']):>13}{row['leads_per_day']:>11.1f}"
            f"{row['queue']['mean']:>12.2f}{row['queue']['max']:>6}"
            f"{result['surge']['hours'].get(pool, 0.0):>13.1f}"
        )
    fu, dp, mk, pl = (
        result["follow_up"],
        result["disposition"],
        result["marketing"],
        result["pipeline"],
    )
    targets = targets or {}
    below = []
    lines.append("")
    for key, label, share in (
        ("follow_up", "follow-up cadence completed", fu["completion"]),
        ("disposition", "dispositioned within window", dp["within_window"]),
    ):
        goal = targets.get(key)
        flag = ""
        if goal is not None and share is not None and share < goal:
            flag = f"  BELOW TARGET ({pct(goal).strip()})"
            below.append(f"{key.replace('_', '-')} (target {pct(goal).strip()})")
        lines.append(f"{label}: {pct(share).strip()}{flag}")
    weeks = mk["mqls_per_week"]
    lines += [
        f"MQLs per week: mean {sum(weeks) / max(len(weeks), 1):.0f} vs commitment "
        f"{mk['commitment']}; weeks below, per replication: {mk['weeks_below']:.1f}",
        f"pipeline lost to slow response: {pct(pl['lost_to_slow_response']).strip()} "
        f"(alpha {pl['alpha']:g}) — the share of the pipeline's value lost because leads "
        "waited for their first touch (value decays with the minutes waited; a lead never "
        "touched counts to the end of the run, so this is a lower bound)",
    ]
    told = result.get("notifications")
    if told is not None:
        busiest = max(told["reps"].items(), key=lambda kv: kv[1]["digests"], default=None)
        lines.append(
            f"daily digests per replication: {told['digests']:.1f} with "
            f"{told['digest_items']:.1f} items ("
            + ", ".join(f"{r} {v['digests']:.1f}" for r, v in told["by_role"].items())
            + f"); weekly summaries: {told['weekly_summaries']:.1f}"
            + (f"; most per rep: {busiest[0]} {busiest[1]['digests']:.1f} digests, "
               f"{pct(busiest[1]['per_working_day']).strip()} of working days"
               if busiest else "")
        )
    missed = _missed(result)
    if total_leads == 0:
        lines.append(
            "no leads were simulated: check the arrivals and the horizon "
            "(targets not judged)"
        )
    elif result["meets_targets"] and not missed:
        lines.append("targets met (lower end of the 95% CI): yes")
    else:
        lines.append(
            "targets met (lower end of the 95% CI): NO"
            + (f" — missed: {'; '.join(missed)}" if missed else "")
        )
    if below and total_leads:
        lines.append("below the policy's target: " + "; ".join(below))
    for warning in result["warnings"]:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def staffing_table(found: dict[str, Any]) -> str:
    tiers = list(found["targets"])
    head = f"{'headcount':>9}  " + "".join(f"{t:>22}" for t in tiers) + f"{'util.':>8}  meets"
    if found["unreachable"]:
        head += " all / reachable targets"
    lines = [
        f"leadflow staff — pool {found['pool']}, {found['replications']} replications, seed "
        f"{found['seed']}; targets (lower end of the 95% CI): "
        + ", ".join(f"{t} {100 * v:.0f}%" for t, v in found["targets"].items()),
        "",
        head,
    ]
    for row in found["rows"]:
        cells = ""
        for t in tiers:
            r = row["tiers"][t]
            lo, hi = ci_pct(r["first_touch_within_sla_ci95"], missing="-")
            share = pct(r["first_touch_within_sla"]).strip()
            cells += f"{share:>8} [{lo}-{hi}]"
        mark = "yes" if row["meets_targets"] else ("no (unstable)" if row["unstable"] else "no")
        if found["unreachable"]:
            mark += "  / " + ("yes" if row["meets_reachable"] else "no")
        arrow = ""
        if row["headcount"] in (found["headcount"], found["reachable_headcount"]):
            arrow = "  <- smallest"
        lines.append(f"{row['headcount']:>9}  {cells}{pct(row['utilization']):>8}  {mark}{arrow}")
    best, pool = found["headcount"], found["pool"]
    lines.append("")
    if best is None:
        lines.append(f"no headcount of {pool} in the range meets every target")
    else:
        lines.append(f"smallest headcount of {pool} meeting every target: {best}")
    for tier, low in found["unreachable"].items():
        lines.append(
            f"unreachable by staffing {pool}: {tier} (target {pct(found['targets'][tier]).strip()}"
            f", lower CI end {pct(low).strip()} even at {found['rows'][-1]['headcount']} reps)"
        )
        if tier in found.get("unreachable_why", {}):
            lines.append(f"  why: {found['unreachable_why'][tier]}")
    if found["unreachable"]:
        reach = found["reachable_headcount"]
        lines.append(
            f"smallest headcount of {pool} meeting every reachable target: "
            + (str(reach) if reach is not None else "none in the range")
        )
    return "\n".join(lines)


COMPARE_ROWS: tuple[tuple[str, Callable[[dict[str, Any], str], str]], ...] = (
    ("within SLA", lambda r, t: pct(r["tiers"][t]["first_touch_within_sla"]).strip()),
    ("p95 minutes", lambda r, t: _num(r["tiers"][t]["first_touch_minutes"]["p95"])),
    ("breaches", lambda r, t: _num(r["tiers"][t]["breaches"], 1)),
)


def compare_table(names: list[str], results: list[dict[str, Any]]) -> str:
    width = max(14, *(len(n) + 2 for n in names))
    lines = [
        "leadflow compare — same seed and random numbers",
        "",
        f"{'':<30}" + "".join(f"{n:>{width}}" for n in names),
    ]
    for tier in results[0]["tiers"]:
        for label, cell in COMPARE_ROWS:
            lines.append(
                f"{tier + ' ' + label:<30}" + "".join(f"{cell(r, tier):>{width}}" for r in results)
            )
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = []
    for pool in results[0]["pools"]:
        rows.append((f"{pool} utilization", partial(_utilization, pool)))
        rows.append((f"{pool} surge hours", partial(_surge_hours, pool)))
    rows += [
        ("pipeline lost", lambda r: pct(r["pipeline"]["lost_to_slow_response"]).strip()),
        ("meets targets", lambda r: "yes" if r["meets_targets"] else "no"),
        ("unstable", lambda r: "YES" if r["unstable"] else "no"),
    ]
    for name, show in rows:
        lines.append(f"{name:<30}" + "".join(f"{show(r):>{width}}" for r in results))
    return "\n".join(lines)


def _utilization(pool: str, result: dict[str, Any]) -> str:
    return pct(result["pools"][pool]["utilization"]).strip()


def _surge_hours(pool: str, result: dict[str, Any]) -> str:
    return f"{result['surge']['hours'].get(pool, 0.0):.1f}"

"""The review pack (data from :func:`leadflow.review.pack.build_pack`) as a document."""

from __future__ import annotations

from typing import Any

from leadflow.review.doc import Doc, Section, Table


def value(x: float | None, unit: str = "share") -> str:
    if x is None:
        return "-"
    if unit == "count":
        return f"{x:,.1f}" if not float(x).is_integer() else f"{x:,.0f}"
    return f"{100 * x:.1f}%"


def change(x: float | None, unit: str = "share") -> str:
    if x is None:
        return "-"
    return f"{x:+,.1f}" if unit == "count" else f"{100 * x:+.1f} pts"


def pack_doc(pack: dict[str, Any], plots: bool = False) -> Doc:
    per = pack["period"]
    sub = (f"{pack['agreement']} — {per['first_day']} to {per['last_day']} "
           f"({len(per['weeks'])} weeks, {pack['timezone']}); history {pack['history']}; "
           f"policy {pack['policy']}")
    banner = "" if per["judged"] else (
        "no week of the period is closed (all partial or in progress): the baselines are "
        "over weeks shown, not judged, and a partial week undercounts volume")
    sections = [
        _baselines(pack, plots),
        _missed(pack),
        _proposals(pack),
        _reasons(pack),
        _capacity(pack),
    ]
    return Doc(
        title=f"Quarterly review: {pack['agreement']}",
        sub=sub,
        sections=[s for s in sections if s is not None],
        footer="Every number is read from the engine's replay of the history (its scorecard "
        "and decisions) and, for capacity, the simulator's staffing search. "
        "leadflow review",
        banner=banner,
    )


def _baselines(pack: dict[str, Any], plots: bool) -> Section:
    per = pack["period"]
    used = per["used"]
    s = Section("baselines", "Measured baselines")
    s.parts.append(
        f"Weeks used: {len(used)} ({used[0]}..{used[-1]}), "
        f"{'judged weeks only' if per['judged'] else 'not judged'}; the period ends at "
        f"{per['ends']}; "
        f"{pack['volume']['mqls']:,} MQLs in them. Trend: the least-squares change over "
        "the weeks used."
    )
    rows, marks = [], []
    for b in pack["commitments"]:
        unit = b["unit"]
        rows.append([
            b["side"], b["commitment"], value(b["target"], unit), value(b["baseline"], unit),
            b["how"], f"{value(b['min'], unit)} .. {value(b['max'], unit)}",
            f"{b['trend']} ({change(b['trend_change'], unit)})",
            f"{b['met']}/{b['missed']}/{b['weeks']}",
        ])
        marks.append("bad" if b["missed"] else "")
    s.parts.append(Table(
        ["side", "commitment", "target", "baseline", "baseline is", "weekly range", "trend",
         "met/missed/weeks"], rows, left=2, marks=marks, wrap=(4,)))
    if pack["has_funnel"]:
        frows = [[f["rate"], value(f["baseline"]), f["how"],
                  f"{f['trend']} ({change(f['trend_change'])})"] for f in pack["funnel"]]
        s.parts.append(Table(["funnel rate", "baseline", "baseline is", "trend"], frows,
                             caption="Funnel (each rate pooled over the weeks' MQL cohorts)",
                             wrap=(2,)))
    else:
        s.parts.append("Funnel rates: not in this scorecard (no `funnel` per week).")
    if plots:
        from leadflow.review.plots import trend_plot

        plot = trend_plot(pack)
        if plot is not None:
            s.parts.append(plot)
    return s


def _missed(pack: dict[str, Any]) -> Section:
    s = Section("missed", "Commitments missed and the ladder's actions")
    missed = [b for b in pack["commitments"] if b["missed"]]
    if not missed:
        s.parts.append("No commitment was missed in the weeks used.")
    else:
        s.parts.append(Table(
            ["commitment", "weeks missed", "of", "longest streak", "actions"],
            [[b["commitment"], str(b["missed"]), str(b["weeks"]), str(b["longest_streak"]),
              ", ".join(b["actions"]) or "-"] for b in missed],
            caption="From the scorecard rows of the weeks used"))
    ladder = pack["ladder"]
    if ladder:
        top: dict[str, dict[str, Any]] = {}
        for d in ladder:
            if d["commitment"] not in top or d["consecutive"] > top[d["commitment"]]["consecutive"]:
                top[d["commitment"]] = d
        s.parts.append(Table(
            ["commitment", "period.breached decisions", "highest rung", "at", "action",
             "notified (any rung)"],
            [[c, str(sum(1 for d in ladder if d["commitment"] == c)), str(d["consecutive"]),
              d["period"], d["action"] or "-", _notified(ladder, c)]
             for c, d in top.items()],
            caption="The ladder's decisions in the period (period.breached)"))
    if pack["reviews_due"]:
        s.parts.append("Reviews due (agreement.review_due): " + ", ".join(pack["reviews_due"]))
    return s


def _notified(ladder: list[dict[str, Any]], commitment: str) -> str:
    names: dict[str, None] = {}
    for d in ladder:
        if d["commitment"] == commitment:
            names.update(dict.fromkeys(d["notify"]))
    return ", ".join(names) or "-"


def _proposals(pack: dict[str, Any]) -> Section:
    s = Section("proposals", "Proposed targets")
    items = []
    for p in pack["proposals"]:
        if p["kind"] == "volume":
            lo, hi = p["band"]
            items.append(
                f"{p['commitment']}: propose {value(p['proposed'], 'count')} a week "
                f"(now {value(p['current'], 'count')}; {p['why']}: band {lo:,.1f} .. {hi:,.1f})"
                + (f" — {p['note']}" if p["note"] else ""))
        else:
            items.append(
                f"{p['commitment']}: tighten to {value(p['proposed'])} "
                f"(now {value(p['current'])}; {p['why']})")
    if not any(p["kind"] == "tighten" for p in pack["proposals"]):
        weeks = len(pack["period"]["used"])
        items.append(
            f"No commitment flagged for tightening (needs every week met, at least 13 judged "
            f"weeks, the worst at least {100 * pack['margin']:.0f} points above a target "
            f"below 100%; {weeks} week(s) used).")
    s.parts.append(items)
    return s


def _reasons(pack: dict[str, Any]) -> Section:
    s = Section("reasons", "Rejection reasons that rose")
    r = pack["reasons"]
    if not r["compared"]:
        s.parts.append("One week only: nothing to compare.")
        return s
    s.parts.append(f"First half {r['halves'][0]} against second half {r['halves'][1]}; "
                   "a reason rose when its share of rejections grew by 2 points or more.")
    rows = [[x["reason"], str(x["before"]), value(x["before_share"]), str(x["after"]),
             value(x["after_share"]), change(x["change"]), "rose" if x["rose"] else ""]
            for x in r["rows"]]
    s.parts.append(Table(["reason", "first half", "share", "second half", "share", "change",
                          "rose?"], rows, marks=["bad" if x["rose"] else "" for x in r["rows"]]))
    return s


def _capacity(pack: dict[str, Any]) -> Section | None:
    cap = pack.get("capacity")
    s = Section("capacity", "Capacity the measured volume needs")
    if cap is None:
        s.parts.append("Not computed (--no-capacity).")
        return s
    s.parts.append(cap["how"])
    rows = []
    for pool in cap["pools"]:
        rows.append([pool["pool"], str(pool["current"]),
                     "-" if pool["headcount"] is None else str(pool["headcount"]),
                     ", ".join(pool["unreachable"]) or "-"])
    s.parts.append(Table(["pool", "reps now", "needed", "targets no headcount reaches"], rows,
                         caption="Smallest headcount meeting the first-touch targets"))
    s.parts.append("Headcounts simulated (meets the targets?):")
    s.parts.append([f"{pool['pool']}: {pool['probes']}" for pool in cap["pools"]])
    s.parts.append(cap["scenario_note"])
    for why in cap.get("why", []):
        s.parts.append(why)
    return s

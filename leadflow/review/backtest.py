"""Two policies replayed on the same history, compared: every scorecard row, the funnel
when the scorecard has one, and a per-lead diff of what the decisions said.

A replay applies the recorded touches and dispositions as they happened: it cannot know
how reps would have behaved under other assignments or windows. The pack says so.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from leadflow.review.card import FUNNEL_RATES, Card, funnel_rate, read_card
from leadflow.review.history import LeadTrace, Run
from leadflow.review.pooling import pool

EXAMPLES = 5


def _weekly(card: Card) -> dict[str, dict[str, Any]]:
    """Per commitment over the closed weeks: weeks met/missed and the row's value over them,
    as the review pack's baseline is (`pool`: a share pooled over the weeks' `n`, a count's
    weekly mean), with what it is in words (`how`)."""
    out: dict[str, dict[str, Any]] = {}
    closed = [w for w in card.weeks if w.closed] or card.weeks
    for key in card.commitments:
        rows = [w.rows[key] for w in closed if key in w.rows]
        unit = rows[-1].unit if rows else "share"
        value, how = pool([(r.actual, r.n) for r in rows], unit)
        out[key] = {
            "unit": unit,
            "target": rows[-1].target if rows else None,
            "value": value,
            "how": how,
            "met": sum(r.status == "met" for r in rows),
            "missed": sum(r.status == "missed" for r in rows),
            "weeks": len(rows),
            "by_week": {w.label: w.rows[key].status for w in closed if key in w.rows},
        }
    return out


def _funnel(card: Card) -> dict[str, dict[str, Any]]:
    """Each funnel rate over the closed weeks' cohorts, pooled by its `n` (`pool`)."""
    closed = [w for w in card.weeks if w.closed] or card.weeks
    out: dict[str, dict[str, Any]] = {}
    for name in FUNNEL_RATES:
        value, how = pool([funnel_rate(w, name) for w in closed])
        out[name] = {"value": value, "how": how}
    return out


def lead_changes(a: LeadTrace, b: LeadTrace) -> tuple[list[str], set[str]]:
    """What differs for one lead between the two replays, as category names, and the
    tiers the lead had where the differences are."""
    out: list[str] = []
    tiers: set[str] = set()
    last = a.tier or b.tier or "(no tier)"
    if (a.pool, a.first_rep) != (b.pool, b.first_rep):
        out.append("routed elsewhere")
        tiers.add(last)
    elif a.rep != b.rep:
        out.append("ends with another owner")
        tiers.add(last)
    for key in sorted(set(a.verdicts) | set(b.verdicts)):
        va, vb = a.verdicts.get(key, []), b.verdicts.get(key, [])
        if va == vb:
            continue
        tier, sla = key.split("/", 1)
        tiers.add(tier or "(no tier)")
        pairs = list(zip(va, vb, strict=False))
        pairs += [(v, "open") for v in va[len(vb):]] + [("open", v) for v in vb[len(va):]]
        out += sorted({f"{sla}: {x} -> {y}" for x, y in pairs if x != y})
    if a.escalations != b.escalations:
        out.append("escalated differently")
        tiers |= {e[0] or "(no tier)" for e in set(a.escalations) ^ set(b.escalations)} or {last}
    if a.disqualified != b.disqualified:
        out.append("disqualified differently")
        tiers.add(last)
    if a.tier != b.tier:
        out.append("tiered differently")
        tiers.add(last)
    return out, tiers


def _runs(values: list[str]) -> str:
    """['breached', 'breached', 'met'] -> 'breached x2/met'."""
    out: list[list[Any]] = []
    for v in values:
        if out and out[-1][0] == v:
            out[-1][1] += 1
        else:
            out.append([v, 1])
    return "/".join(f"{v} x{n}" if n > 1 else v for v, n in out)


def _describe(lead_id: str, a: LeadTrace, b: LeadTrace) -> str:
    def one(t: LeadTrace) -> str:
        verdicts = ", ".join(
            f"{k} {_runs(v)}" for k, v in sorted(t.verdicts.items())) or "no verdict"
        levels = Counter(
            f"{s} L{lv}" + (f" {act}" if act else "") for _, s, lv, act in t.escalations)
        esc = ", ".join(f"{k}" + (f" x{n}" if n > 1 else "") for k, n in sorted(levels.items()))
        return (f"{t.pool or '-'}/{t.first_rep or 'queued'}"
                + (f"->{t.rep}" if t.rep and t.rep != t.first_rep else "")
                + f"; {verdicts}; escalations: {esc or 'none'}")
    return f"{lead_id} ({a.tier or b.tier or 'no tier'}): {one(a)}  ||  {one(b)}"


def compare(current: Run, proposed: Run) -> dict[str, Any]:
    ca, cb = read_card(current.card), read_card(proposed.card)
    wa, wb = _weekly(ca), _weekly(cb)
    rows = []
    for key in list(dict.fromkeys([*wa, *wb])):
        a, b = wa.get(key), wb.get(key)
        weeks_differ = sorted(
            label for label in set((a or {}).get("by_week", {})) | set((b or {}).get("by_week", {}))
            if (a or {}).get("by_week", {}).get(label) != (b or {}).get("by_week", {}).get(label)
        )
        rows.append({"commitment": key, "current": a, "proposed": b, "weeks_differ": weeks_differ})
    categories: Counter[str] = Counter()
    by_tier: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    changed: dict[str, list[str]] = {}
    empty = LeadTrace()
    for lead_id in sorted(set(current.leads) | set(proposed.leads)):
        now, then = current.leads.get(lead_id, empty), proposed.leads.get(lead_id, empty)
        diff, tiers = lead_changes(now, then)
        if not diff:
            continue
        changed[lead_id] = diff
        for tier in tiers:
            by_tier[tier] += 1
        for c in diff:
            categories[c] += 1
            bucket = examples.setdefault(c, [])
            if len(bucket) < EXAMPLES:
                bucket.append(_describe(lead_id, now, then))
    leads = len(set(current.leads) | set(proposed.leads))
    return {
        "history": current.history,
        "current": current.loaded.policy_file,
        "proposed": proposed.loaded.policy_file,
        "agreement": ca.agreement,
        "weeks": len([w for w in ca.weeks if w.closed]),
        "rows": rows,
        "funnel": {"current": _funnel(ca), "proposed": _funnel(cb)} if ca.has_funnel else None,
        "leads": leads,
        "changed": changed,
        "categories": dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_tier": dict(sorted(by_tier.items())),
        "examples": examples,
        "decisions": {"current": dict(current.kinds), "proposed": dict(proposed.kinds)},
    }

"""Replay a recorded history under one policy and keep what the review tools read: the
scorecard (as JSON, through :mod:`leadflow.review.card`), a per-lead summary of the
decisions, the ladder's period decisions, and the MQLs' arrival pattern.

Decisions are folded as they stream out of the replay, so a quarter of a million leads
does not keep millions of decisions in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from leadflow.review import ReviewError
from routing.collector import no_collections
from routing.engine import Engine
from routing.lead import Lead
from routing.policy.loader import LoadedPolicy, load_policy
from routing.replay import replay


@dataclass
class LeadTrace:
    """What the decisions said about one lead, over all its MQL cycles. `tier`, `pool`,
    `rep`: the last; `verdicts`: "tier/sla" -> every resolution ("met" | "breached") in
    order, under the tier the lead had then; `escalations`: (tier, sla, level, action) in
    the order they were made."""

    tier: str = ""
    pool: str = ""
    first_rep: str = ""
    rep: str = ""
    queued: bool = False
    disqualified: str = ""
    incomplete: bool = False
    verdicts: dict[str, list[str]] = field(default_factory=dict)
    escalations: list[tuple[str, str, int, str]] = field(default_factory=list)


@dataclass
class Run:
    """One replay of a history under one policy."""

    loaded: LoadedPolicy
    history: str
    card: dict[str, Any]  # the scorecard JSON (Commitments.to_json at the end of the replay)
    leads: dict[str, LeadTrace]
    periods: list[dict[str, Any]]  # period.breached decisions, in order
    reviews: list[str]  # agreement.review_due: their `due`
    kinds: Counter[str]
    stats: dict[str, int]
    mqls: list[tuple[float, str, str]]  # (mql_at epoch, tier, segment) per MQL lead
    zone: Any  # the policy calendar's tzinfo
    engine: Engine | None = None


def open_history(path: str) -> TextIO:
    try:
        # A line with bytes that are not UTF-8 keeps them as surrogates: the parser rejects
        # that line (one event.rejected, as `leadflow replay` does) and the rest is applied.
        return open(path, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise ReviewError(f"{path}: cannot read the history ({exc.strerror})") from None


def load(policy: str, team: str | None = None) -> LoadedPolicy:
    if not Path(policy).exists():
        raise ReviewError(f"{policy}: no such policy file")
    return load_policy(policy, team)


def run(loaded: LoadedPolicy, history: str, keep_engine: bool = False) -> Run:
    """Replay HISTORY (a .jsonl of input events) under LOADED; fold the decisions."""
    engine = Engine(loaded)
    leads: dict[str, LeadTrace] = {}
    periods: list[dict[str, Any]] = []
    reviews: list[str] = []
    kinds: Counter[str] = Counter()
    with open_history(history) as lines, no_collections():
        for out in replay(engine, lines):
            kind = out["type"]
            kinds[kind] += 1
            lead_id = out.get("lead_id")
            if lead_id is not None and kind != "event.rejected":
                _fold(leads.setdefault(lead_id, LeadTrace()), kind, out)
            elif kind == "period.breached":
                periods.append(out)
            elif kind == "agreement.review_due":
                reviews.append(out["due"])
    if engine.now == float("-inf"):
        raise ReviewError(f"{history}: no valid input event in it")
    card = engine.commitments.to_json(engine.now)
    mqls = [_mql(lead) for lead in engine.leads.values() if lead.mql_at is not None]
    return Run(
        loaded=loaded,
        history=history,
        card=card,
        leads=leads,
        periods=periods,
        reviews=reviews,
        kinds=kinds,
        stats=dict(engine.stats),
        mqls=sorted(m for m in mqls if m is not None),
        zone=engine.cal.tz,
        engine=engine if keep_engine else None,
    )


def _mql(lead: Lead) -> tuple[float, str, str] | None:
    if lead.mql_at is None or lead.cycle == 0:
        return None
    return (lead.mql_at, lead.tier, str(lead.fields.get("segment") or "unknown"))


def _fold(trace: LeadTrace, kind: str, out: dict[str, Any]) -> None:
    if kind == "lead.assigned":
        trace.tier = out.get("tier", trace.tier)
        trace.pool = out.get("pool", trace.pool)
        trace.rep = out["rep_id"]
        trace.first_rep = trace.first_rep or trace.rep
    elif kind == "lead.queued":
        trace.tier = out.get("tier", trace.tier)
        trace.pool = trace.pool or out.get("pool", "")
        trace.queued = True
    elif kind == "lead.reassigned":
        trace.rep = out["rep_id"]
    elif kind in ("sla.met", "sla.breached"):
        verdict = "met" if kind == "sla.met" else "breached"
        trace.verdicts.setdefault(f"{trace.tier}/{out['sla']}", []).append(verdict)
    elif kind == "sla.escalated":
        step = (trace.tier, out["sla"], int(out["level"]), out.get("action") or "")
        trace.escalations.append(step)
    elif kind == "lead.disqualified":
        trace.disqualified = str(out.get("reason", ""))
    elif kind == "handoff.incomplete":
        trace.incomplete = True

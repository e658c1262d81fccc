"""Shared by the review-tool tests: a small generated quarter (made once per session) and
an independent recomputation of weekly figures from the decision stream and the inputs."""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.generate import generate
from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import replay


@dataclass(frozen=True)
class Quarter:
    stream: Path
    policy: Path
    team: Path


def make_quarter(where: Path, leads: int = 3000, reps: int = 30) -> Quarter:
    """`python -m benchmarks.generate --weeks 13` at a small size (the full one is for the
    docs): about 130-250 MQLs a week, like the reference scenario. LEADFLOW_REVIEW_LEADS and
    LEADFLOW_REVIEW_REPS override the default size (100000 and 1000: the full quarter)."""
    if leads == 3000 and reps == 30:
        leads = int(os.environ.get("LEADFLOW_REVIEW_LEADS", leads))
        reps = int(os.environ.get("LEADFLOW_REVIEW_REPS", reps))
    stream = where / "stream.jsonl"
    generate(leads, reps, stream, seed=7, weeks=13)
    return Quarter(stream, where / "policy.yaml", where / "team.yaml")


def decisions(policy: Path, history: Path) -> Iterator[dict[str, Any]]:
    """The decision stream, as it is made (a full quarter does not fit in memory as a list)."""
    engine = Engine(load_policy(policy))
    with history.open(encoding="utf-8") as lines:
        yield from replay(engine, lines)


def _week(ts: str | datetime, zone: ZoneInfo) -> str:
    moment = datetime.fromisoformat(ts) if isinstance(ts, str) else ts
    iso = moment.astimezone(zone).date().isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def weekly_figures(
    decided: Iterable[dict[str, Any]], history: Path, zone: ZoneInfo, handoff_minutes: float = 5
) -> dict[str, dict[str, float | None]]:
    """week label -> commitment -> value, computed without the scorecard code:

    * MQLs: one handoff verdict per MQL, due `handoff_minutes` after the MQL instant;
    * data completeness: 1 - handoff.incomplete / MQLs;
    * per-lead SLAs: sla.met / (sla.met + sla.breached) in the week of `due`
      (first touch per tier: the tier of the lead's last routing decision);
    * SAL rate: accepted / dispositioned among the history's lead.dispositioned inputs
      that were applied (not refused or malformed, not a repeated event_id), in the week
      they happened.
    """
    tier: dict[str, str] = {}
    mqls: Counter[str] = Counter()
    incomplete: Counter[str] = Counter()
    met: dict[str, Counter[str]] = defaultdict(Counter)
    missed: dict[str, Counter[str]] = defaultdict(Counter)
    refused: set[str] = set()
    malformed: set[str] = set()
    for d in decided:
        kind = d["type"]
        if kind in ("lead.assigned", "lead.queued"):
            tier[d["lead_id"]] = d["tier"]
        elif kind == "handoff.incomplete":
            incomplete[_week(d["at"], zone)] += 1
        elif kind in ("sla.met", "sla.breached"):
            key = d["sla"]
            if key == "first_touch":
                key = f"first_touch:{tier[d['lead_id']]}"
            if key == "handoff":
                mql_at = datetime.fromisoformat(d["due"]) - timedelta(minutes=handoff_minutes)
                mqls[_week(mql_at, zone)] += 1
            (met if kind == "sla.met" else missed)[_week(d["due"], zone)][key] += 1
        elif kind == "event.rejected":  # id: source:event.rejected:input id ("input": unparsed)
            refused.add(d["event_id"].split(":event.rejected:")[-1])
            malformed.add(d["raw"])
    accepted: Counter[str] = Counter()
    dispositioned: Counter[str] = Counter()
    seen: set[str] = set()
    with history.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip() in malformed:
                continue
            try:
                event = json.loads(line)
                at = datetime.fromisoformat(event["at"])
            except (ValueError, KeyError, TypeError):
                continue
            if event.get("type") != "lead.dispositioned" or event["event_id"] in seen:
                continue
            seen.add(event["event_id"])
            if event["event_id"] in refused:
                continue
            dispositioned[_week(at, zone)] += 1
            accepted[_week(at, zone)] += event.get("outcome") == "accepted"
    out: dict[str, dict[str, float | None]] = {}
    for week in set(mqls) | set(met) | set(missed) | set(dispositioned):
        figures: dict[str, float | None] = {"mql_volume": float(mqls[week])}
        figures["data_completeness"] = (
            1 - incomplete[week] / mqls[week] if mqls[week] else None
        )
        figures["sal_rate"] = (
            accepted[week] / dispositioned[week] if dispositioned[week] else None
        )
        for key in set(met[week]) | set(missed[week]):
            total = met[week][key] + missed[week][key]
            figures[key] = met[week][key] / total if total else None
        out[week] = figures
    return out

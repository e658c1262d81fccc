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
    decided: Iterable[dict[str, Any]],
    history: Path,
    zone: ZoneInfo,
    handoff_minutes: float = 5,
) -> dict[str, dict[str, tuple[float, int]]]:
    """week label -> commitment -> (numerator, denominator `n`), computed without the
    scorecard code, by the documented counting rule (policy.md, "Scorecard semantics"):

    * MQLs: one handoff verdict per MQL, due `handoff_minutes` after the MQL instant, by
      MQL week (a count: its numerator; `n` is the count too);
    * data completeness: (MQLs - handoff.incomplete) / MQLs, by MQL week;
    * per-lead SLAs: one verdict per lead and MQL cycle (the first sla.met / sla.breached
      of that SLA in the cycle: a reassigned owner's later window is not a new sample), by
      the week of its `due`; first touch per tier (the tier of the cycle's routing); a
      disposition with no first-touch verdict yet in the cycle is a first touch not met
      (`closed without a touch`), in the week its original window was due (the
      `first_touch_due` of the MQL's first assignment);
    * SAL rate: accepted / dispositioned among the history's lead.dispositioned inputs
      that were applied (not refused or malformed, not a repeated event_id), in the week
      they happened;
    * rejection documentation: applied rejections / rejections attempted (applied plus
      those refused for a missing or unknown reason code), in the week of the attempt.
    """
    tier: dict[str, str] = {}
    mql_of: dict[str, str] = {}  # lead -> its latest MQL instant
    first_due: dict[tuple[str, str], str] = {}  # (lead, MQL instant) -> original due
    cycle: Counter[str] = Counter()  # lead -> MQL cycles seen (one handoff verdict each)
    decided_once: set[tuple[str, int, str]] = set()  # (lead, cycle, sla) with a verdict
    mqls: Counter[str] = Counter()
    incomplete: Counter[str] = Counter()
    met: dict[str, Counter[str]] = defaultdict(Counter)
    total: dict[str, Counter[str]] = defaultdict(Counter)
    refused: set[str] = set()
    undocumented: set[str] = set()  # rejections refused for their reason code
    malformed: set[str] = set()
    for d in decided:
        kind = d["type"]
        if kind in ("lead.assigned", "lead.queued"):
            tier[d["lead_id"]] = d["tier"]
            if kind == "lead.assigned":
                mql_of[d["lead_id"]] = d["mql_at"]
                first_due.setdefault((d["lead_id"], d["mql_at"]), d["first_touch_due"])
        elif kind == "handoff.incomplete":
            incomplete[_week(d["at"], zone)] += 1
        elif kind in ("sla.met", "sla.breached"):
            lead, sla = d["lead_id"], d["sla"]
            if sla == "handoff":
                cycle[lead] += 1
                mql_at = datetime.fromisoformat(d["due"]) - timedelta(minutes=handoff_minutes)
                mqls[_week(mql_at, zone)] += 1
            once = (lead, cycle[lead], sla)
            if once in decided_once:
                continue  # a reassigned owner's window: counted per rep, not here
            decided_once.add(once)
            key = f"first_touch:{tier[lead]}" if sla == "first_touch" else sla
            week = _week(d["due"], zone)
            total[week][key] += 1
            met[week][key] += kind == "sla.met"
        elif kind == "event.rejected":  # id: source:event.rejected:input id ("input": unparsed)
            input_id = d["event_id"].split(":event.rejected:")[-1]
            refused.add(input_id)
            if "reason code from the taxonomy" in d.get("reason", "") or (
                "not in the rejected taxonomy" in d.get("reason", "")
            ):
                undocumented.add(input_id)
            malformed.add(d["raw"])
    accepted: Counter[str] = Counter()
    dispositioned: Counter[str] = Counter()
    rejections: Counter[str] = Counter()
    attempted: Counter[str] = Counter()
    seen: set[str] = set()
    with history.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                event = json.loads(line)
                at = datetime.fromisoformat(event["at"])
            except (ValueError, KeyError, TypeError):
                continue
            if line.strip() in malformed and event.get("event_id") not in undocumented:
                continue
            if event.get("type") != "lead.dispositioned" or event["event_id"] in seen:
                continue
            seen.add(event["event_id"])
            week = _week(at, zone)
            if event["event_id"] in undocumented:
                attempted[week] += 1
                continue
            if event["event_id"] in refused:
                continue
            dispositioned[week] += 1
            accepted[week] += event.get("outcome") == "accepted"
            if event.get("outcome") == "rejected":
                rejections[week] += 1
                attempted[week] += 1
            lead = event["lead_id"]
            if (lead, cycle[lead], "first_touch") not in decided_once and lead in tier:
                decided_once.add((lead, cycle[lead], "first_touch"))
                due = first_due[(lead, mql_of[lead])]
                total[_week(due, zone)][f"first_touch:{tier[lead]}"] += 1  # closed untouched
    out: dict[str, dict[str, tuple[float, int]]] = {}
    weeks = set(mqls) | set(total) | set(dispositioned) | set(attempted)
    for week in weeks:
        figures: dict[str, tuple[float, int]] = {"mql_volume": (mqls[week], mqls[week])}
        figures["data_completeness"] = (mqls[week] - incomplete[week], mqls[week])
        figures["sal_rate"] = (accepted[week], dispositioned[week])
        figures["rejection_documentation"] = (rejections[week], attempted[week])
        for key, n in total[week].items():
            figures[key] = (met[week][key], n)
        out[week] = figures
    return out


FUNNEL_STAGES = ("sal", "sql", "opportunity", "won")
#: rate -> (numerator stage index, denominator stage index; 0: the MQLs)
FUNNEL_RATE_STAGES = {
    "mql_to_sal": (1, 0), "sal_to_sql": (2, 1), "mql_to_opportunity": (3, 0),
    "opportunity_to_won": (4, 3),
}


def weekly_funnel(
    decided: Iterable[dict[str, Any]],
    history: Path,
    zone: ZoneInfo,
    handoff_minutes: float = 5,
) -> dict[str, dict[str, tuple[int, int]]]:
    """week label -> funnel rate -> (numerator, denominator `n`), computed without the
    funnel code, by the documented rule (policy.md, "The funnel"): each MQL (one handoff
    verdict, at `due - handoff_minutes`) is one member of its week's cohort; it reached
    the furthest stage of the `lead.stage_changed` inputs applied to the lead while that
    MQL was its latest (an accepted disposition is the SAL; reaching a stage counts every
    stage before it; `lost` takes nothing away). Inputs are attributed by event time."""
    cycles: dict[str, list[datetime]] = defaultdict(list)
    refused: set[str] = set()
    for d in decided:
        if d["type"] == "sla.met" or d["type"] == "sla.breached":
            if d["sla"] == "handoff":
                due = datetime.fromisoformat(d["due"])
                cycles[d["lead_id"]].append(due - timedelta(minutes=handoff_minutes))
        elif d["type"] == "event.rejected":
            refused.add(d["event_id"].split(":event.rejected:")[-1])
    reached: dict[tuple[str, datetime], int] = {}
    seen: set[str] = set()
    with history.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                event = json.loads(line)
                at = datetime.fromisoformat(event["at"])
                kind, lead, event_id = event["type"], event["lead_id"], event["event_id"]
            except (ValueError, KeyError, TypeError):
                continue
            if kind == "lead.dispositioned" and event.get("outcome") == "accepted":
                stage = 1
            elif kind == "lead.stage_changed" and event.get("stage") in FUNNEL_STAGES:
                stage = FUNNEL_STAGES.index(event["stage"]) + 1
            else:
                continue
            if event_id in seen or event_id in refused:
                continue
            seen.add(event_id)
            mine = [c for c in cycles.get(lead, []) if c <= at]
            if mine:
                key = (lead, max(mine))
                reached[key] = max(reached.get(key, 0), stage)
    out: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: {name: [0, 0] for name in FUNNEL_RATE_STAGES})
    for lead, instants in cycles.items():
        for mql_at in instants:
            got = reached.get((lead, mql_at), 0)
            week = _week(mql_at, zone)
            for name, (num, den) in FUNNEL_RATE_STAGES.items():
                if got >= den:
                    out[week][name][1] += 1
                    out[week][name][0] += got >= num
    return {w: {k: (v[0], v[1]) for k, v in rates.items()} for w, rates in out.items()}

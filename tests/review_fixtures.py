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

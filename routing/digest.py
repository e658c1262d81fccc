"""The daily digest ("the lead graveyard"), computed from the engine's own state.

At the start of each rep's business day (`day_starts`), `digest(engine, now, ...)` lists
every open lead of each rep with an SLA window past its due time or at least `near` of it
elapsed (lead, tier, which window, due, open since). A team lead's digest lists their
reps' items; a lead whose disposition window has run `manager_after` times over goes to
the manager too. Each digest is a decision-like record (`type: digest.due`) that
`routing.notifications.plan` turns into messages, so replay, the simulator and the
worker count and send the same digests. Pure: `now` is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from routing.calendar import BusinessCalendar
from routing.outputs import Output
from routing.policy.notifications import Digest
from routing.sla import BREACHED, RUNNING

if TYPE_CHECKING:  # the engine imports this module (through routing.briefings)
    from routing.engine import Engine

__all__ = ["day_starts", "digest"]

DISPOSITION = "disposition"


def day_starts(cal: BusinessCalendar, start: float, end: float) -> Iterator[float]:
    """The instants in (start, end] at which a working day of `cal` begins: the start of
    each local working date's first working interval."""
    day = cal.local_date(start)
    last = cal.local_date(end)
    while day <= last:
        if cal.is_working_day(day):
            spans = cal.intervals_on(day)
            if spans and start < spans[0][0] <= end:
                yield spans[0][0]
        day += timedelta(days=1)


def _elapsed(cal: BusinessCalendar, business: bool, start: float, due: float, now: float) -> float:
    total = cal.between(start, due) if business else due - start
    spent = cal.between(start, now) if business else now - start
    return spent / total if total > 0 else 1.0


def _items(engine: Engine, now: float, near: float, fmt: Any) -> dict[str, list[dict[str, Any]]]:
    """rep -> its items, leads in id order, windows in name order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for lead_id in sorted(engine.leads):
        lead = engine.leads[lead_id]
        if lead.owner is None:
            continue
        for sla in sorted(lead.clocks):
            clock = lead.clocks[sla]
            if clock.state not in (RUNNING, BREACHED):
                continue
            share = _elapsed(engine.cal, clock.business, clock.start, clock.due, now)
            past = clock.state == BREACHED or now >= clock.due
            if not past and share < near:
                continue
            out.setdefault(lead.owner, []).append({
                "lead_id": lead.id, "rep_id": lead.owner, "tier": lead.tier, "sla": sla,
                "due": fmt(clock.due), "since": fmt(clock.start),
                "state": "past" if past else "near", "elapsed": round(share, 3),
            })
    return out


def digest(engine: Engine, now: float, reps: Iterable[str], config: Digest) -> list[Output]:
    """The digests due at `now` for `reps` (whose day starts at `now`): one per rep with
    items, one per team lead of those reps with their items, one per manager with the
    leads past `manager_after` x their disposition window. Records carry `event_id`
    `digest:<rep>:<date>` (a rep's day starts once a day), and for a team lead or a
    manager `digest:<person>:<date>T<HH:MM>` (one per day start of their reps); dates
    and times in the policy's zone. So a repeat is recognisable."""
    fmt = engine.fmt.text
    items = _items(engine, now, config.near, fmt)
    managers = {k: v.sales_manager for k, v in engine.team.team_leads.items()}
    leads_of = {r.id: r.team_lead for r in engine.team.reps}
    at = fmt(now)
    day = datetime.fromisoformat(at).date().isoformat()
    # A team lead's reps may start their days at different instants (time zones): one
    # digest per day start, so its id names the instant (policy zone, to the minute).
    when = at[:16]
    out: list[Output] = []
    by_lead: dict[str, list[dict[str, Any]]] = {}
    by_manager: dict[str, list[dict[str, Any]]] = {}
    for rep in sorted(reps):
        mine = items.get(rep, [])
        if not mine:
            continue
        out.append(_record(rep, "rep", at, day, mine))
        tl = leads_of.get(rep)
        if tl:
            by_lead.setdefault(tl, []).extend(mine)
            manager = managers.get(tl)
            cut = config.manager_after
            old = [i for i in mine if i["sla"] == DISPOSITION and i["elapsed"] >= cut]
            if manager and old:
                by_manager.setdefault(manager, []).extend(old)
    if config.team_leads:
        out.extend(_record(tl, "team_lead", at, when, v) for tl, v in sorted(by_lead.items()))
    out.extend(_record(m, "manager", at, when, v) for m, v in sorted(by_manager.items()))
    return out


def _record(person: str, role: str, at: str, day: str, items: list[dict[str, Any]]) -> Output:
    return {"event_id": f"digest:{person}:{day}", "type": "digest.due", "at": at,
            "recipient": person, "role": role, "items": items}

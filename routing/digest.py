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

import math
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from routing.calendar import BusinessCalendar
from routing.engine import Engine
from routing.errors import EventError
from routing.events import parse_event, raw_text
from routing.outputs import Output, epoch
from routing.policy.notifications import Digest
from routing.sla import BREACHED, RUNNING

__all__ = ["day_starts", "digest", "replay_with_digests"]

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
    `digest:<person>:<local date>`, so a repeat is recognisable."""
    fmt = engine.fmt.text
    items = _items(engine, now, config.near, fmt)
    managers = {k: v.sales_manager for k, v in engine.team.team_leads.items()}
    leads_of = {r.id: r.team_lead for r in engine.team.reps}
    at = fmt(now)
    day = datetime.fromisoformat(at).date().isoformat()
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
        out.extend(_record(tl, "team_lead", at, day, v) for tl, v in sorted(by_lead.items()))
    out.extend(_record(m, "manager", at, day, v) for m, v in sorted(by_manager.items()))
    return out


def _record(person: str, role: str, at: str, day: str, items: list[dict[str, Any]]) -> Output:
    return {"event_id": f"digest:{person}:{day}", "type": "digest.due", "at": at,
            "recipient": person, "role": role, "items": items}


def replay_with_digests(
    engine: Engine, lines: Iterable[str], config: Digest, until: float | None = None
) -> Iterator[Output]:
    """Offline replay in event time with the digests interleaved: before each event, every
    rep's day start that has come yields that day's digests (after the engine has fired
    its timers up to that instant)."""
    cals = {rep.id: rep.calendar for rep in engine.router.reps.values()}
    last: float | None = None

    def starts(upto: float, inclusive: bool) -> Iterator[Output]:
        """The digests of the day starts in (last, upto), or (last, upto] at the end: a day
        start at an event's own instant comes after the events at that instant, as a timer
        due then does (routing/engine.py)."""
        nonlocal last
        if last is None:
            last = upto if inclusive else math.nextafter(upto, -math.inf)
            return
        limit = upto if inclusive else math.nextafter(upto, -math.inf)
        if limit <= last:
            return
        due: dict[float, list[str]] = {}
        for rep, cal in cals.items():
            for s in day_starts(cal, last, limit):
                due.setdefault(s, []).append(rep)
        last = limit
        for s in sorted(due):
            yield from engine.advance(s)
            yield from digest(engine, s, due[s], config)

    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        source = f"line {number}"
        try:
            event = parse_event(text)
        except EventError as exc:  # dead-lettered as `leadflow replay` does; the rest goes on
            yield from engine.reject(raw_text(text), source, str(exc))
            continue
        t = epoch(event.at)
        yield from starts(t, inclusive=False)
        yield from engine.apply(event, source, text, t)
    end = until if until is not None else engine.now
    yield from starts(end, inclusive=True)
    yield from engine.advance(end)

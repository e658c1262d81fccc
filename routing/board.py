"""The rep board and the pools' state, as the dashboard shows them: read from an engine.

`rep_board(engine, now)` is pure: it reads the engine's state (reps, their open leads and
those leads' SLA clocks, the pools' queues and surge state) and returns JSON-able data;
it changes nothing, not even a cache (a rep's day and shift are computed from its
calendar, not through `RepState.new_on`/`on_shift`, which move cached bounds).

What each number means (the labels on the page say the same):

* a rep's `open` / `max_open` and `new_today` / `max_new_per_day` are the capacity
  ledger's counters and limits (`routing.reps`), the limits raised by a surge of one of
  the rep's pools as the router would apply them (`Router.surge_capacity`);
* a lead's `next` clock is its running (or breached, still running) SLA clock with the
  earliest due time; `state` is what the engine decided so far: "breached" once its
  breach fired, "at_risk" once its at-risk point fired (`alerts.at_risk`), else "ok";
* a pool's `depth` is its waiting leads without an owner (`PoolQueue.depth`), the oldest
  waiting one the one that became an MQL first (`oldest_mql_at`);
* surge `since` is when the pool entered its surge (None when not in surge).

Personal data (a lead's name and email) is left out unless `people=True`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from routing.lead import Lead
from routing.reps import RepState
from routing.sla import AT_RISK, BREACHED, RUNNING, SlaClock

if TYPE_CHECKING:
    from routing.engine import Engine

__all__ = ["PEOPLE_FIELDS", "rep_board"]

#: The lead fields that name a person: shown only when asked for.
PEOPLE_FIELDS: Final = ("name", "email")


def _next_clock(lead: Lead) -> SlaClock | None:
    best: SlaClock | None = None
    for clock in lead.clocks.values():
        if clock.state not in (RUNNING, BREACHED):
            continue
        if best is None or (clock.due, clock.sla) < (best.due, best.sla):
            best = clock
    return best


def _at_risk_index(engine: Engine, lead: Lead, first: int) -> int:
    """Where the at-risk point is in the lead's own timeline (`first`: in the first
    version's): a lead keeps the terms of its MQL instant (routing.versions)."""
    if len(engine.versions) == 1:
        return first
    kinds = [p.kind for p in engine.terms_of(lead).points]
    return kinds.index(AT_RISK) if AT_RISK in kinds else -1


def _lead_row(
    engine: Engine, lead: Lead, now: float, at_risk_index: int, people: bool
) -> dict[str, Any]:
    clock = _next_clock(lead)
    row: dict[str, Any] = {"lead_id": lead.id, "tier": lead.tier, "pool": lead.pool}
    if people:
        for key in PEOPLE_FIELDS:
            if lead.fields.get(key) is not None:
                row[key] = lead.fields[key]
    if clock is None:
        row.update(sla=None, due=None, due_epoch=None, due_in_s=None, state="ok")
        return row
    if clock.state == BREACHED:
        state = "breached"
    elif 0 <= _at_risk_index(engine, lead, at_risk_index) < clock.next_point:
        state = "at_risk"
    else:
        state = "ok"
    row.update(
        sla=clock.sla,
        due=engine.fmt.text(clock.due),
        due_epoch=clock.due,
        due_in_s=clock.due - now,
        state=state,
    )
    return row


def _rep_row(
    engine: Engine, rep: RepState, now: float, at_risk_index: int, people: bool
) -> dict[str, Any]:
    router = engine.router
    surge = None
    for name in rep.pools:
        surge = surge or router.surge_capacity(router.pools[name])
    max_open, max_new = rep.limits(surge)
    day = rep.calendar.next_local_midnight(now)
    leads = [
        _lead_row(engine, engine.leads[lead_id], now, at_risk_index, people)
        for lead_id in rep.open
        if lead_id in engine.leads
    ]
    inf = float("inf")
    leads.sort(key=lambda r: (r["due_epoch"] if r["due_epoch"] is not None else inf, r["lead_id"]))
    return {
        "rep_id": rep.id,
        "status": rep.status,
        "on_shift": rep.calendar.is_open(now),
        "pools": list(rep.pools),
        "open": len(rep.open),
        "max_open": max_open,
        "new_today": rep.new_by_day.get(day, 0),
        "max_new_per_day": max_new,
        "at_risk": sum(1 for r in leads if r["state"] == "at_risk"),
        "breached": sum(1 for r in leads if r["state"] == "breached"),
        "leads": leads,
    }


def _pool_row(engine: Engine, name: str, now: float) -> dict[str, Any]:
    pool = engine.router.pools[name]
    waiting = [lead for lead in pool.queue.leads.values() if lead.owner is None]
    oldest = min(waiting, key=lambda lead: (lead.mql_at or 0.0, lead.id), default=None)
    oldest_at = oldest.mql_at if oldest is not None else None
    return {
        "pool": name,
        "depth": pool.queue.depth,
        "oldest_lead_id": oldest.id if oldest is not None else None,
        "oldest_mql_at": engine.fmt.text(oldest_at) if oldest_at is not None else None,
        "oldest_wait_s": now - oldest_at if oldest_at is not None else None,
        "surge": pool.surge.active,
        "surge_since": engine.fmt.text(pool.surge.since) if pool.surge.active else None,
        "reps": len(pool.reps),
    }


def rep_board(engine: Engine, now: float, people: bool = False) -> dict[str, Any]:
    """Every rep (roster order) with its capacity and open leads (next due first), and
    every pool (policy order) with its queue and surge state, as of `now`."""
    kinds = [p.kind for p in engine.points]
    at_risk_index = kinds.index(AT_RISK) if AT_RISK in kinds else -1
    reps = sorted(engine.router.reps.values(), key=lambda r: (r.order, r.id))
    return {
        "as_of": engine.fmt.text(now),
        "now_epoch": now,
        "reps": [_rep_row(engine, rep, now, at_risk_index, people) for rep in reps],
        "pools": [_pool_row(engine, name, now) for name in engine.router.pools],
    }

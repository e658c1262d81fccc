"""The team section of :func:`routing.policy.describe.describe`: reps per pool, team leads."""

from __future__ import annotations

from routing.calendar import BusinessCalendar
from routing.policy import wording as w
from routing.policy.models import Policy
from routing.policy.team import Rep, Team


def team_lines(p: Policy, team: Team) -> list[str]:
    """The roster per pool (weight, capacity overrides, own hours), then team leads."""
    pools = [pool.name for pool in p.routing.pools]
    leads = sorted({r.team_lead for r in team.reps if r.team_lead} | set(team.team_leads))
    lines = [f"{w.plural(len(team.reps), 'rep')} in {w.plural(len(pools), 'pool')}"]
    for pool in pools:
        reps = [rep for rep in team.reps if pool in rep.pools]
        lines.append(f"{pool}: {w.plural(len(reps), 'rep') if reps else 'no reps'}")
        lines += [f"  {_rep(rep, pool, p)}" for rep in reps]
    if leads:
        lines.append("team leads -> managers:")
    for lead in leads:
        info = team.team_leads.get(lead)
        manager = info.sales_manager if info and info.sales_manager else "no manager named"
        members = [r.id for r in team.reps if r.team_lead == lead]
        lines.append(f"  {lead} ({w.names(members, 'no reps')}) -> {manager}")
    return lines


def _rep(rep: Rep, pool: str, p: Policy) -> str:
    parts = [rep.id, f"weight {w.num(rep.weight)}"]
    others = [other for other in rep.pools if other != pool]
    if others:
        parts.append(f"also in {', '.join(others)}")
    parts.append(f"team lead {rep.team_lead}" if rep.team_lead else "no team lead")
    if rep.capacity.max_open is not None or rep.capacity.max_new_per_day is not None:
        parts.append(f"capacity {w.capacity(rep.capacity)}")
    if rep.hours is not None:
        zone = rep.hours.timezone or p.calendar.timezone
        weekly = BusinessCalendar(zone, rep.hours.days(), ()).weekly_hours
        parts.append(f"own hours {zone} {'; '.join(w.week_hours(weekly))}")
    return ", ".join(parts)


__all__ = ["team_lines"]

"""`leadflow validate`'s plain-words section of `notifications:` (who hears of what)."""

from __future__ import annotations

from routing.policy.models import Policy


def notification_lines(p: Policy) -> list[str]:
    n = p.notifications
    if n is None:
        return ["nobody is told (no `notifications:`)"]
    out = []
    for kind, route in n.routes.items():
        urgent = ", at once even outside working hours" if route.urgent else (
            ", within the recipient's working hours")
        out.append(f"{kind}: {', '.join(route.to)} by {', '.join(route.via)}{urgent}")
    if n.digest is not None:
        d = n.digest
        out.append(f"daily digest at the start of each rep's day by {', '.join(d.via)}: leads "
                   f"past a window or {d.near:.0%} through one"
                   + ("; team leads get their reps'" if d.team_leads else "")
                   + f"; the manager gets leads open {d.manager_after:g}x their disposition "
                   "window")
    if n.weekly_summary is not None:
        w = n.weekly_summary
        out.append(f"weekly summary to {', '.join(w.to)} by {', '.join(w.via)}")
    return out

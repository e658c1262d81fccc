"""What a loaded agreement says, in plain words (the body of `leadflow validate`).

Pure and deterministic: the same policy and team give the same text; nothing reads a
clock unless TODAY is passed for the next review date.
"""

from __future__ import annotations

from datetime import date

from routing.policy import wording as w
from routing.policy.conditions import Condition, describe_condition
from routing.policy.describe_notify import notification_lines
from routing.policy.describe_team import team_lines
from routing.policy.loader import LoadedPolicy
from routing.policy.models import Capacity, Policy, Routing


def describe(loaded: LoadedPolicy, today: date | None = None) -> str:
    """The agreement, section by section, as indented plain text ending with a newline."""
    p = loaded.policy
    sections = [
        ("The agreement", _agreement(p, today)),
        ("Calendar", _calendar(p)),
        ("Definitions", _definitions(p)),
        ("Tiers: first touch (the first tier that matches wins)", _tiers(p)),
        ("Marketing commits to", _marketing(p)),
        ("Sales commits to", _sales(p)),
        ("Alerts", _alerts(p)),
        ("Escalation", _escalation(p)),
        ("Routing", _routing(p)),
        ("Surge", _surge(p)),
        ("Team", team_lines(p, loaded.team)),
    ]
    if p.notifications is not None:
        sections.append(("Notifications", notification_lines(p)))
    title = p.agreement.name
    out = [title, "=" * len(title), f"policy: {loaded.policy_file}"]
    if loaded.team_file:
        out.append(f"team:   {loaded.team_file}")
    for heading, lines in sections:
        out += ["", heading, *(f"  {line}" for line in lines)]
    return "\n".join(out) + "\n"


def _when(condition: Condition) -> str:
    return describe_condition({str(key): matcher for key, matcher in condition.items()})


def _agreement(p: Policy, today: date | None) -> list[str]:
    a = p.agreement
    due = w.next_review(a.effective, a.review_every, today)
    return [
        f"name: {a.name}",
        f"effective: {a.effective.isoformat()} (no SLA clock starts before it)",
        f"signed by: {w.names(a.signed_by)}",
        f"owner: {a.owner or 'none named'}",
        f"reviewed every {a.review_every.replace('_', ' ')}; next review {due.isoformat()}",
    ]


def _calendar(p: Policy) -> list[str]:
    c = p.calendar
    lines = [f"time zone: {c.timezone}"]
    lines += [f"hours: {line}" for line in w.week_hours(c.build().weekly_hours)]
    days = sorted(c.holidays)
    lines.append(
        f"{w.plural(len(days), 'holiday')}: {w.names([d.isoformat() for d in days])}"
        if days
        else "no holidays"
    )
    return lines


def _definitions(p: Policy) -> list[str]:
    d = p.definitions
    dq = d.disqualify
    rules = [
        f"{label} {', '.join(values)}"
        for label, values in (
            ("email domain", dq.email_domains),
            ("role", dq.roles),
            ("country", dq.countries),
            ("industry", dq.industries),
        )
        if values
    ]
    return [
        f"a lead becomes an MQL when {_when(d.mql)}; its SLA clocks start then",
        "disqualified (never routed): " + ("; ".join(rules) or "nothing"),
        f"required fields: {w.names(d.required_fields)}",
    ]


def _tiers(p: Policy) -> list[str]:
    lines = []
    for index, tier in enumerate(p.tiers):
        when = _when(tier.when) if tier.when else "every other MQL"
        if not tier.when and index < len(p.tiers) - 1:
            when += " (the tiers after it never match)"
        lines.append(f"{tier.name} — {when}: first touch {w.window(tier.first_touch)}")
    return lines


def _marketing(p: Policy) -> list[str]:
    m = p.marketing_commits
    lines = []
    if m.mql_volume is not None:
        volume = m.mql_volume
        lines.append(f"volume: at least {w.plural(volume.min, 'MQL')} per {volume.per}")
    if m.data_completeness is not None:
        lines.append(
            f"data completeness: at least {w.pct(m.data_completeness.min)} of MQLs "
            f"carry every required field, per {m.data_completeness.per}"
        )
    if m.handoff is not None:
        lines.append(f"handoff: every MQL assigned to a rep {w.window(m.handoff)}")
    if m.sal_rate is not None:
        lines.append(
            f"MQL -> SAL rate: at least {w.pct(m.sal_rate.min)} of dispositioned leads "
            f"accepted, per {m.sal_rate.per}"
        )
    return lines or ["nothing"]


def _sales(p: Policy) -> list[str]:
    s = p.sales_commits
    lines = []
    if s.follow_up is not None:
        f = s.follow_up
        lines.append(
            f"follow-up: {w.plural(f.touches, 'touch', 'touches')} over at "
            f"least {w.plural(f.channels, 'channel')} within {w.clocked(f.within, f.clock)}"
            f"{w.target(f.target)} before a lead may be closed as unresponsive"
        )
    if s.disposition is not None:
        d = s.disposition
        lines.append(
            "disposition: every lead accepted, rejected or deferred within "
            f"{w.clocked(d.within, d.clock)}{w.target(d.target)}"
        )
        r = d.reasons
        lines.append(
            f"reason codes: accepted: {w.names(r.accepted)}; rejected: {w.names(r.rejected)}; "
            f"deferred: {w.names(r.deferred)}"
        )
        lines.append(
            "a rejection must give one of the rejected reasons"
            if d.reject_requires_reason
            else "a rejection may come without a reason"
        )
    return lines or ["nothing"]


def _alerts(p: Policy) -> list[str]:
    a = p.alerts
    lines = []
    if a.at_risk is not None:
        lines.append(f"at risk: a lead is flagged when {w.pct(a.at_risk)} of its window has passed")
    if a.intent_spike is not None:
        spike = a.intent_spike
        signals = " and ".join(f"{name} x{count}" for name, count in spike.signals.items())
        lines.append(
            f"intent spike: {signals} within {w.duration(spike.window)} -> "
            "surfaced to the owning rep at once"
        )
    return lines or ["none"]


def _escalation(p: Policy) -> list[str]:
    e = p.escalation
    lines = ["per lead (a multiple of the lead's window):"] if e.lead else []
    for i, step in enumerate(e.lead):
        what = [f"notify {', '.join(step.notify)}"] if step.notify else []
        if step.action:
            what.append(step.action)
        lines.append(
            f"  at {w.num(step.after)}x{' the window' if i == 0 else ''}: "
            f"{' and '.join(what) or 'nothing'}"
        )
    if e.max_reassignments is not None:
        times = "once" if e.max_reassignments == 1 else f"{e.max_reassignments} times"
        lines.append(
            f"  a lead is reassigned at most {times}; after that the ladder only notifies"
            if e.max_reassignments
            else "  leads are never reassigned by the ladder: it only notifies"
        )
    if e.period:
        lines.append("per period (consecutive weeks one commitment is missed):")
    for rung in e.period:
        weeks = "1 week" if rung.consecutive == 1 else f"{rung.consecutive} weeks in a row"
        notify = f"; notify {', '.join(rung.notify)}" if rung.notify else ""
        lines.append(f"  {weeks}: {rung.action}{notify}")
    return lines or ["none"]


def _routing(p: Policy) -> list[str]:
    r = p.routing
    order = ", then ".join(w.QUEUE_KEY[k] for k in r.queue_order)
    lines = [
        f"strategy: {r.strategy} ({w.STRATEGY[r.strategy]})",
        f"queue order: {order or 'arrival'}",
        "pools (the first that matches takes the lead):",
    ]
    by_name = {pool.name: pool for pool in r.pools}
    for index, pool in enumerate(r.pools):
        when = _when(pool.when) if pool.when else "every lead no earlier pool took"
        if not pool.when and index < len(r.pools) - 1:
            when += " (later pools get leads only by overflow)"
        lines.append(f"  {pool.name} — {when}; {w.overflow_chain(pool, by_name)}")
    # a key left out of routing.capacity keeps the default (routing/reps.py does the same)
    default = Routing.model_fields["capacity"].default
    capacity = Capacity(
        max_open=r.capacity.max_open or default.max_open,
        max_new_per_day=r.capacity.max_new_per_day or default.max_new_per_day,
    )
    lines.append(f"default capacity per rep: {w.capacity(capacity)}")
    states = " or ".join(r.reassign_when_rep)
    lines.append(
        f"a rep who is {states} hands their leads back for reassignment"
        if states
        else "leads stay with their rep whatever the rep's status"
    )
    return lines


def _surge(p: Policy) -> list[str]:
    s = p.surge
    if s is None:
        return ["no surge protocol"]
    exit_for = f" for {w.duration(s.exit.for_)}" if s.exit.for_ else ""
    lines = [
        f"a pool enters surge at {w.num(s.enter.queued_per_available_rep)} queued leads "
        "per rep available and on shift, while the calendar is open,",
        f"and leaves it after staying at or below {w.num(s.exit.queued_per_available_rep)}"
        f"{exit_for}",
    ]
    a = s.actions
    actions = []
    if a.overflow_to:
        actions.append(f"overflow to {a.overflow_to}")
    if a.prioritize:
        actions.append(f"highest {a.prioritize} first")
    clocks = {t.name: t.first_touch.clock for t in p.tiers}
    for tier, within in a.relax_first_touch.items():
        actions.append(f"{tier} first touch relaxed to {w.clocked(within, clocks[tier])}")
    if a.capacity.max_open is not None or a.capacity.max_new_per_day is not None:
        actions.append(f"capacity per rep raised to {w.capacity(a.capacity)}")
    return [*lines, "during surge:", *(f"  {action}" for action in actions or ["no change"])]


__all__ = ["describe"]

"""Who is told what, and when: every message a decision causes, computed in the core.

`Directory` holds the team's contacts, who reports to whom and each person's working
hours; `plan(decision, directory)` turns one decision (as it leaves the engine, JSON-able)
into `Message`s: one per recipient and channel, with the text, the key that makes its
delivery unique (`event_id|recipient|channel`) and `deliver_at`, the instant it may be
sent: the decision's own time inside the recipient's working hours or for a kind the
policy marks urgent, else the start of their next working period (quiet hours).
`batches(held)` groups waiting messages into one batch per recipient, channel and
instant. Pure: time is an argument (the decision's `at`); no clock, no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from routing.calendar import BusinessCalendar
from routing.policy.loader import LoadedPolicy
from routing.policy.notifications import Notifications, Route
from routing.policy.team import Contact, RepHours
from routing.summary import value_text

__all__ = ["Batch", "Directory", "Message", "batches", "plan"]

DIGEST: str = "digest.due"
SUMMARY: str = "summary.weekly"


@dataclass(frozen=True, slots=True)
class Message:
    """One notification to one person on one channel. `address`: the email address, or the
    name of the chat/webhook endpoint (a notifier setting)."""

    key: str
    event_id: str
    kind: str
    recipient: str
    channel: str
    address: str
    mention: str | None
    title: str
    text: str
    at: float
    deliver_at: float
    urgent: bool
    link: str | None
    lead_id: str | None
    data: dict[str, Any] | None = None  # the weekly summary's rows, for its renderings

    @property
    def held(self) -> bool:
        return self.deliver_at > self.at


@dataclass(frozen=True, slots=True)
class Batch:
    """Messages that waited for the same person, channel and instant: sent as one."""

    key: str
    recipient: str
    channel: str
    deliver_at: float
    messages: tuple[Message, ...]


def _calendar(hours: RepHours | None, default: BusinessCalendar) -> BusinessCalendar:
    if hours is None:
        return default
    return BusinessCalendar(hours.timezone or default.timezone, hours.days(), default.holidays)


class Directory:
    """The people of a team as the notifier needs them. Built once per policy."""

    def __init__(self, loaded: LoadedPolicy) -> None:
        policy, team = loaded.policy, loaded.team
        self.config: Notifications = policy.notifications or Notifications()
        self.calendar = policy.calendar.build()
        self.contacts: dict[str, Contact] = {}
        self.calendars: dict[str, BusinessCalendar] = {}
        self.team_lead: dict[str, str] = {}
        self.manager: dict[str, str] = {}
        self.pools: dict[str, list[str]] = {}
        for rep in team.reps:
            self.contacts[rep.id] = rep.contact or Contact()
            self.calendars[rep.id] = _calendar(rep.hours, self.calendar)
            if rep.team_lead:
                self.team_lead[rep.id] = rep.team_lead
            for pool in rep.pools:
                self.pools.setdefault(pool, []).append(rep.id)
        for name, lead in team.team_leads.items():
            self.contacts[name] = lead.contact or Contact()
            self.calendars[name] = _calendar(lead.hours, self.calendar)
            if lead.sales_manager:
                self.manager[name] = lead.sales_manager
        for name, person in team.people.items():
            self.contacts[name] = person.contact
            self.calendars[name] = _calendar(person.hours, self.calendar)
        self.groups: dict[str, list[str]] = {k: list(v) for k, v in team.groups.items()}

    def calendar_of(self, person: str) -> BusinessCalendar:
        return self.calendars.get(person, self.calendar)

    def address(self, person: str, channel: str) -> tuple[str, str | None] | None:
        """(address, mention) of `person` on `channel`, None when they have none there."""
        contact = self.contacts.get(person)
        if contact is None:
            return None
        value = {"email": contact.email, "chat": contact.chat, "webhook": contact.webhook}[channel]
        return None if value is None else (value, contact.mention if channel == "chat" else None)

    def resolve(self, roles: Sequence[str], decision: Mapping[str, Any]) -> list[str]:
        """The people behind `roles` for this decision, in order, each once."""
        rep = decision.get("rep_id")
        reps = [rep] if isinstance(rep, str) else self.pools.get(str(decision.get("pool")), [])
        leads = sorted({self.team_lead[r] for r in reps if r in self.team_lead})
        out: list[str] = []
        for role in roles:
            if role == "rep":
                names = [rep] if isinstance(rep, str) else []
            elif role == "team_lead":
                names = leads
            elif role == "manager":
                names = sorted({self.manager[x] for x in leads if x in self.manager})
            elif role == "named":
                named = decision.get("notify") or []
                names = [str(n) for n in named]
            else:
                names = self.groups.get(role, [])
            out.extend(n for n in names if n not in out)
        return out


def route_for(config: Notifications, decision: Mapping[str, Any]) -> Route | None:
    kind = str(decision.get("type"))
    routes = config.routes
    if kind == "sla.escalated":
        level = routes.get(f"sla.escalated.level{decision.get('level')}")
        if level is not None:
            return level
    if kind == "period.breached" and decision.get("action"):
        rung = routes.get(f"period.breached.{decision['action']}")
        if rung is not None:
            return rung
    return routes.get(kind)


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def when(text: Any, cal: BusinessCalendar) -> str:
    """An RFC 3339 instant as the recipient reads it: 'Tue 6 Jan 17:00 EST'."""
    if not isinstance(text, str) or not text:
        return "?"
    local = datetime.fromisoformat(text).astimezone(cal.tz)
    return f"{local:%a} {local.day} {local:%b %H:%M %Z}"


_SLA_NAMES: dict[str, str] = {
    "first_touch": "first touch",
    "handoff": "hand-off to a rep",
    "follow_up": "follow-up cadence",
    "disposition": "disposition",
}


def wording(decision: Mapping[str, Any], cal: BusinessCalendar) -> tuple[str, str]:
    """(title, text) of a decision's message: what happened, what to do, by when."""
    kind = str(decision.get("type"))
    lead = decision.get("lead_id", "")
    sla = _SLA_NAMES.get(str(decision.get("sla")), str(decision.get("sla")))
    due = when(decision.get("due"), cal)
    if kind == "lead.assigned":
        first = when(decision.get("first_touch_due"), cal)
        return (f"New lead {lead}", f"{lead} ({decision.get('tier')}) is yours: "
                f"first touch by {first}.")
    if kind == "lead.reassigned":
        first = when(decision.get("first_touch_due"), cal)
        return (f"{lead} reassigned", f"{lead} moved from {decision.get('from_rep_id')} to "
                f"{decision.get('rep_id')}: first touch by {first}.")
    if kind in ("lead.queued", "lead.unroutable"):
        return (f"{lead} waits for a rep", f"{lead} could not be assigned: "
                f"{decision.get('why') or decision.get('reason', '')}.")
    if kind == "sla.at_risk":
        return (f"{lead}: {sla} due soon", f"{lead}: the {sla} window is nearly gone; "
                f"act before {due}.")
    if kind == "sla.breached":
        return (f"{lead}: {sla} missed", f"{lead} missed its {sla} window (due {due}); "
                "act on it now.")
    if kind == "sla.escalated":
        action = decision.get("action")
        tail = f" Action: {action} ({decision.get('why')})." if action else ""
        owner = decision.get("rep_id") or "nobody yet"
        return (f"Escalation {decision.get('level')}: {lead}",
                f"{lead} ({sla}, owner {owner}) is escalated to level {decision.get('level')}: "
                f"see that it is worked today.{tail}")
    if kind == "intent.spike":
        signals = ", ".join(f"{k} x{v}" for k, v in dict(decision.get("signals") or {}).items())
        return (f"{lead} shows intent", f"{lead} is active right now ({signals}): reach out "
                "today.")
    if kind in ("surge.entered", "surge.exited"):
        verb = "is in surge" if kind == "surge.entered" else "left surge"
        return (f"Pool {decision.get('pool')} {verb}", f"Pool {decision.get('pool')} {verb}: "
                f"{decision.get('why', '')}.")
    if kind == "period.breached":
        return (f"Missed: {decision.get('commitment')}",
                f"{decision.get('commitment')} was missed in {decision.get('period')} "
                f"({decision.get('consecutive')} in a row). Ladder action: "
                f"{decision.get('action') or 'none'}.")
    if kind == "agreement.review_due":
        return ("SLA review due", "The sales & marketing agreement is due for review.")
    return (kind, f"{kind}: {lead}")


def plan(decision: Mapping[str, Any], directory: Directory) -> list[Message]:
    """Every message `decision` causes under the policy's `notifications:`, in a fixed
    order (recipients as resolved, then channels as the route lists them). A recipient
    without an address on a channel gets no message there (see `unreachable`)."""
    kind = str(decision.get("type"))
    config = directory.config
    if kind == DIGEST:
        if config.digest is None:
            return []
        recipients, via, urgent = [str(decision["recipient"])], config.digest.via, True
    elif kind == SUMMARY:
        if config.weekly_summary is None:
            return []
        ws = config.weekly_summary
        recipients, via, urgent = directory.resolve(ws.to, decision), ws.via, True
    else:
        route = route_for(config, decision)
        if route is None:
            return []
        recipients, via, urgent = directory.resolve(route.to, decision), route.via, route.urgent
    event_id = str(decision["event_id"])
    at = _epoch(str(decision["at"]))
    out: list[Message] = []
    for person in recipients:
        cal = directory.calendar_of(person)
        if kind == DIGEST:
            title, text = _digest_text(decision, cal)
        elif kind == SUMMARY:
            title, text = _summary_text(decision)
        else:
            title, text = wording(decision, cal)
        deliver_at = at if urgent else cal.next_open(at)
        for channel in via:
            found = directory.address(person, channel)
            if found is None:
                continue
            out.append(Message(
                key=f"{event_id}|{person}|{channel}", event_id=event_id, kind=kind,
                recipient=person, channel=channel, address=found[0], mention=found[1],
                title=title, text=text, at=at, deliver_at=deliver_at, urgent=urgent,
                link=config.dashboard_url, lead_id=decision.get("lead_id"),
                data=dict(decision) if kind == SUMMARY else None,
            ))
    return out


def unreachable(decision: Mapping[str, Any], directory: Directory) -> list[str]:
    """`person/channel` pairs the policy asks for that have no address (for a warning)."""
    route = route_for(directory.config, decision)
    if route is None:
        return []
    return [f"{p}/{c}" for p in directory.resolve(route.to, decision) for c in route.via
            if directory.address(p, c) is None]


def _digest_text(decision: Mapping[str, Any], cal: BusinessCalendar) -> tuple[str, str]:
    items = list(decision.get("items") or [])
    lines = [
        f"- {i['lead_id']} ({i['tier']}, {i.get('rep_id', '')}): "
        f"{_SLA_NAMES.get(i['sla'], i['sla'])}"
        f" {'overdue since' if i['state'] == 'past' else 'due'} {when(i['due'], cal)}"
        f" (open since {when(i['since'], cal)})"
        for i in items
    ]
    title = f"Your digest: {len(items)} lead{'s' if len(items) != 1 else ''} need you"
    return title, "\n".join([title + ":", *lines])


def _summary_text(decision: Mapping[str, Any]) -> tuple[str, str]:
    lines = [str(decision.get("headline", "Weekly summary")) + "."]
    for row in decision.get("rows") or []:
        value = value_text(row.get("actual"), str(row.get("unit")))
        target = value_text(row.get("target"), str(row.get("unit")))
        lines.append(f"- {row['side']}: {row['commitment']} {value} {row.get('arrow', '')} "
                     f"(target {target}): {row['status']}")
    for action in decision.get("actions") or []:
        lines.append(f"Ladder: {action['commitment']} missed {action['consecutive']} week(s) "
                     f"in a row -> {action['action']}")
    return f"Weekly SLA summary {decision.get('period', '')}", "\n".join(lines)


BATCH_MAX: int = 20  # messages per batch: a chat message holds at most 50 blocks


def batches(held: Iterable[Message], size: int = BATCH_MAX) -> list[Batch]:
    """Waiting messages grouped by (recipient, channel, deliver_at), in that order; each
    group's messages in the order they were made. The batch key names the group and its
    members (a digest of their keys): the same members, the same key; a different set, a
    different key, so a receiver de-duplicating by key never drops a new member. A group
    of more than `size` goes as several batches of at most `size`."""
    groups: dict[tuple[str, str, float], list[Message]] = {}
    for m in held:
        groups.setdefault((m.recipient, m.channel, m.deliver_at), []).append(m)
    out = []
    for (person, channel, at), group in sorted(groups.items()):
        for start in range(0, len(group), size):
            msgs = group[start : start + size]
            digest = hashlib.sha256("\n".join(sorted(m.key for m in msgs)).encode()).hexdigest()
            key = f"batch:{int(at)}|{person}|{channel}|{digest[:16]}"
            out.append(Batch(key, person, channel, at, tuple(msgs)))
    return out

"""SLA clocks of a lead and the points at which they speak: at risk, breached, escalated.

A clock runs from `start` to `due` on the business or calendar clock. The schedule is
the same for every SLA: the at-risk share (alerts.at_risk), the breach at 1x the
window, and the per-lead escalation ladder at its multiples (escalation.lead). Only the
next point of a clock is ever scheduled; stopping or restarting a clock bumps its
version, which makes its pending timer stale.
"""

from __future__ import annotations

from typing import Final

from mypy_extensions import mypyc_attr

from routing.calendar import BusinessCalendar
from routing.policy.models import LeadStep, Policy
from routing.windows import point

HANDOFF: Final = "handoff"
FIRST_TOUCH: Final = "first_touch"
FOLLOW_UP: Final = "follow_up"
DISPOSITION: Final = "disposition"
RUNNING: Final = "running"
MET: Final = "met"
BREACHED: Final = "breached"
STOPPED: Final = "stopped"
AT_RISK: Final = "at_risk"
BREACH: Final = "breach"
STEP: Final = "step"


# allow_interpreted_subclasses: compiled, a serializable class built from interpreted code
# does not run its __init__ otherwise.
@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Point:
    """Not changed once made. A plain class, not a frozen dataclass: compiled (mypyc), a
    frozen native class cannot be unpickled, and a non-native one's attributes are
    Python lookups; a native class's are read directly."""

    __slots__ = ("kind", "level", "notify", "share", "step", "tag")

    def __init__(self, share: float, kind: str, level: int, step: LeadStep | None) -> None:
        self.share = share  # multiple of the window
        self.kind = kind  # at_risk | breach | step
        self.level = level  # escalation level (1-based) for steps
        self.step = step
        self.tag = f"@{kind}{level or ''}"  # a timer's cause suffix: "@at_risk", "@step2"
        self.notify: tuple[str, ...] = tuple(step.notify) if step else ()  # the step's roles


def schedule(policy: Policy) -> tuple[Point, ...]:
    points: list[tuple[float, int, Point]] = []
    if policy.alerts.at_risk is not None:
        points.append((policy.alerts.at_risk, 0, Point(policy.alerts.at_risk, AT_RISK, 0, None)))
    points.append((1.0, 1, Point(1.0, BREACH, 0, None)))
    for level, step in enumerate(policy.escalation.lead, start=1):
        points.append((step.after, 2, Point(step.after, STEP, level, step)))
    return tuple(p for _, _, p in sorted(points, key=lambda x: (x[0], x[1], x[2].level)))


# A plain class, not a dataclass: compiled (mypyc), a dataclass is built through Python's
# `__init__` and `__post_init__` (~6.6k instructions), a native class by a direct call.
# allow_interpreted_subclasses: compiled, a serializable class built from interpreted code
# does not run its __init__ otherwise.
@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class SlaClock:
    __slots__ = (
        "business", "cycle", "due", "lead_id", "n", "name", "next_point", "sla", "start",
        "state", "verdict_due", "verdict_open", "version",
    )  # fmt: skip

    def __init__(
        self,
        sla: str,
        lead_id: str,
        cycle: int,
        n: int,  # 1 for the first clock of this SLA in the cycle, +1 per restart (reassignment)
        start: float,
        due: float,
        business: bool,
    ) -> None:
        self.sla = sla
        self.lead_id = lead_id
        self.cycle = cycle
        self.n = n
        self.start = start
        self.due = due
        self.business = business
        self.version = 0
        self.state = RUNNING
        self.next_point = 0
        self.name = f"{lead_id}#{cycle}/{sla}/{n}"  # stable, for ids: lead, cycle, SLA, restart
        # The agreement's verdict on this lead (one per lead and SLA, routing.commitments):
        # against the first window's due time; carried to a new owner's clock while still
        # open (a reassignment before that due time), decided once.
        self.verdict_due = due
        self.verdict_open = True

    def point_at(self, p: Point, cal: BusinessCalendar) -> float:
        return point(self.start, self.due, p.share, self.business, cal)

"""Surge protocol of one pool: when to enter and leave, and what changes meanwhile.

Enter when `queued / reps available and on shift` reaches `surge.enter` while the policy
calendar is open (queues that form overnight are not a surge). Leave when the ratio has
stayed at or below `surge.exit` for `exit.for`. While in surge the pool's reps may take
up to `actions.capacity`, leads overflow to `actions.overflow_to`, the queue puts score
first (`actions.prioritize`), and leads that become MQLs get `relax_first_touch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mypy_extensions import mypyc_attr

from routing.policy.models import Capacity, Surge

INF: Final = float("inf")


@mypyc_attr(serializable=True)
@dataclass(slots=True)
class SurgeState:
    active: bool = False
    since: float = 0.0
    below_since: float | None = None
    version: int = 0


class Verdict:
    """What an evaluation decided: enter, exit timer to arm (at), or nothing. A plain
    class, not a dataclass: compiled (mypyc), a native class is built by a direct call."""

    __slots__ = ("arm_exit_at", "enter", "why")

    def __init__(
        self, enter: bool = False, arm_exit_at: float | None = None, why: str = ""
    ) -> None:
        self.enter = enter
        self.arm_exit_at = arm_exit_at
        self.why = why


@mypyc_attr(serializable=True)
class SurgeRule:
    def __init__(self, spec: Surge) -> None:
        self.enter_at = spec.enter.queued_per_available_rep
        self.exit_at = spec.exit.queued_per_available_rep
        self.exit_for = spec.exit.for_.seconds if spec.exit.for_ is not None else 0.0
        self.capacity: Capacity | None = spec.actions.capacity
        if self.capacity is not None and not (
            self.capacity.max_open or self.capacity.max_new_per_day
        ):
            self.capacity = None
        self.overflow_to = spec.actions.overflow_to
        self.prioritize = spec.actions.prioritize
        self.relax = dict(spec.actions.relax_first_touch)

    @staticmethod
    def ratio(depth: int, able: int) -> float:
        if depth == 0:
            return 0.0
        return depth / able if able else INF

    def evaluate(
        self, state: SurgeState, t: float, depth: int, able: int, calendar_open: bool
    ) -> Verdict:
        ratio = self.ratio(depth, able)
        shown = "no rep available" if ratio == INF else f"ratio {ratio:.2f}"
        if not state.active:
            if calendar_open and depth and ratio >= self.enter_at:
                return Verdict(
                    enter=True,
                    why=f"{depth} queued / {able} reps available and on shift ({shown}) "
                    f">= {self.enter_at:g}",
                )
            return Verdict()
        if ratio <= self.exit_at:
            if state.below_since is None:
                state.below_since = t
                state.version += 1
                return Verdict(arm_exit_at=t + self.exit_for)
        elif state.below_since is not None:
            state.below_since = None
            state.version += 1
        return Verdict()

    def exit_why(self, state: SurgeState) -> str:
        minutes = self.exit_for / 60
        return f"queued per available rep <= {self.exit_at:g} for {minutes:g} minutes"

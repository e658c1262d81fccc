"""Commitments of both sides: measure each period, decide met or missed, escalate.

The engine records what happens (`mql`, `sla_result`, `first_touch`, `dispositioned`;
the funnel's own records go to `funnel`, routing.funnel); `advance(now)` closes every
period that has ended (ISO weeks, and calendar months or quarters for a commitment with
`per: month` or `per: quarter`; policy zone, local midnight, DST-correct: routing.periods)
and emits `period.breached` for each missed commitment of that period, climbing the
`escalation.period` ladder on consecutive misses of that commitment (its own periods),
`rejections.recurring` when one rejection reason tops the week's list for three evaluated
weeks running (and every further week it still does), plus `agreement.review_due` at
every review anniversary. Periods ending at the same instant close finest first (a week
before a month), and before a review due then. Pure: time is an argument, nothing is
read from a clock.

Decisions beyond the policy text:

* A period that started before the first observed instant (or before the agreement's
  effective midnight, when that falls inside it) is *partial*: shown, status
  ``"partial"``, never evaluated, counters untouched.
* Reviews due before the first observed instant are history: not emitted.
* Records for a week already closed still count in its scorecard figures (MQLs, speed,
  reasons, breaches), but its rows stay as decided: an emitted decision stands.
* Speed percentiles are linear-interpolated between closest ranks (numpy's default; see
  :func:`routing.scorecard.percentile`).
* Every per-lead SLA row (handoff, first_touch per tier, follow_up, disposition) counts
  each lead's verdict once, in the week of its *original* window's due time ("by due
  week"): a verdict is known at its due time, so a closed week's rows are final when it
  closes. A reassignment's new window is the new owner's (`rep_window`, per rep), not a
  new sample of the tier. A first-touch window closed by a disposition without any touch
  is not met (`closed_untouched`). Each row carries its denominator `n` and says what it
  counts (`Row.basis`, with the clock: business or calendar).
* `rejection_documentation` (documented / attempted rejections, by attempt week) is a row
  when the policy requires a reason for every rejection (`reject_requires_reason`).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any, Final

from mypy_extensions import mypyc_attr

from routing.calendar import BusinessCalendar, bisect_left, bisect_right
from routing.commitment_specs import build_specs
from routing.errors import LeadflowError
from routing.funnel import Funnel
from routing.outputs import Emitter, TimeFormat
from routing.period_counts import Mode, PeriodCounts, breaches, measure, reason_streak, speeds
from routing.periods import PERS, REVIEW_MONTHS, Periods, add_months
from routing.policy.models import PeriodStep, Policy
from routing.scorecard import Row, Status, WeekCard, percentile, scorecard_json
from routing.summary import weekly_summary

__all__ = ["SLA_NAMES", "CommitmentError", "Commitments", "Row", "WeekCard", "percentile"]

SLA_NAMES: Final = ("handoff", "first_touch", "follow_up", "disposition")
OUTCOMES: Final = ("accepted", "rejected", "deferred")
NO_REASON: Final = "(no reason)"
#: Weeks running one rejection reason must top the list before marketing is told.
RECURRING_WEEKS: Final = 3
#: The weeks of the scorecard a weekly summary reads: the one before, the closed one and
#: the one beginning (routing.summary).
SUMMARY_PERIODS: Final = 3


class CommitmentError(LeadflowError):
    """A record the commitments cannot count (unknown SLA, tier or outcome; bad times)."""


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Commitments:
    """Per-week aggregates, consecutive-miss counters and the review schedule of a policy."""

    def __init__(self, policy: Policy, calendar: BusinessCalendar) -> None:
        self._next: float | None = None  # cached next_deadline()
        # [start, end) and counts of the week used last
        self._last_week: tuple[float, float, PeriodCounts] | None = None
        self._spans: list[tuple[float, float, PeriodCounts]] = []  # every week used, by start
        self._span_starts: list[float] = []
        self._policy = policy
        self._cal = calendar
        self._tiers = [t.name for t in policy.tiers]
        self._specs = build_specs(policy)
        self._per_lead = [s.key for s in self._specs if s.key.split(":")[0] in SLA_NAMES]
        self._effective = self._midnight(policy.agreement.effective)
        self._weeks: dict[float, PeriodCounts] = {}
        self._periods = Periods(calendar.tz)
        used = {s.per for s in self._specs}
        # Weeks always (speed, reasons, the funnel), months and quarters when a commitment
        # is evaluated per month or quarter; their records go to `_more` too.
        self._pers = [p for p in PERS if p == "week" or p in used]
        self._extra = [p for p in self._pers if p != "week"]
        self._more: dict[tuple[str, float], PeriodCounts] = {}
        self._first_seen: float | None = None
        # Per period kind: periods starting before this are partial (not evaluated); the
        # first period; the start of the oldest period not yet closed.
        self._partial_before: dict[str, float] = {}
        self._first: dict[str, float] = {}
        self._open: dict[str, float] = {}
        self._counters: dict[str, int] = {}
        self._decided: dict[tuple[str, float], list[Row]] = {}
        self._review_k = 1
        # The rejection reason topping the last evaluated weeks, and for how many weeks;
        # week start -> (reason, weeks running) of each week where it was RECURRING_WEEKS+.
        self._top_reason: tuple[str, int] = ("", 0)
        self._recurring: dict[float, tuple[str, int]] = {}
        self.funnel = Funnel()
        # `notifications.weekly_summary`: each closed week's summary (routing.summary) is
        # emitted with the week's other decisions.
        n = policy.notifications
        self._summaries = n is not None and n.weekly_summary is not None

    # ------------------------------------------------------------------ time helpers

    def _midnight(self, d: date) -> float:
        return datetime(d.year, d.month, d.day, tzinfo=self._cal.tz).timestamp()

    def _week_end(self, start: float) -> float:
        return self._midnight(self._cal.local_date(start) + timedelta(days=7))

    def _end(self, per: str, start: float) -> float:
        return self._week_end(start) if per == "week" else self._periods.end(per, start)

    def _others(self, t: float) -> list[PeriodCounts]:
        """The month and quarter aggregates containing t (of the kinds in use)."""
        out = []
        for per in self._extra:
            key = (per, self._periods.start(per, t))
            bucket = self._more.get(key)
            if bucket is None:
                bucket = self._more[key] = PeriodCounts()
            out.append(bucket)
        return out

    def _at(self, t: float) -> list[PeriodCounts]:
        """The week containing t, and the month and quarter when in use."""
        week = self._week(t)
        return [week, *self._others(t)] if self._extra else [week]

    def _bucket(self, per: str, start: float) -> PeriodCounts | None:
        return self._weeks.get(start) if per == "week" else self._more.get((per, start))

    def _week(self, t: float) -> PeriodCounts:
        cached = self._last_week
        if cached is not None and cached[0] <= t < cached[1]:
            return cached[2]
        starts = self._span_starts  # of the weeks used so far, sorted: most misses end here
        i = bisect_right(starts, t) - 1
        if i >= 0:
            span = self._spans[i]
            if t < span[1]:
                self._last_week = span
                return span[2]
        if not math.isfinite(t):
            raise CommitmentError(f"expected a finite epoch time, got {t!r}")
        start = self._cal.week_start(t)
        week = self._weeks.get(start)
        if week is None:
            week = self._weeks[start] = PeriodCounts()
        span = (start, self._week_end(start), week)
        at = bisect_left(starts, start)
        starts.insert(at, start)
        self._spans.insert(at, span)
        self._last_week = span
        return week

    def _review_due(self, k: int) -> float:
        months = REVIEW_MONTHS[self._policy.agreement.review_every] * k
        return self._midnight(add_months(self._policy.agreement.effective, months))

    # ------------------------------------------------------------------ recording

    def observe(self, t: float) -> None:
        """Note an input instant; the first one fixes the first period."""
        if self._first_seen is not None:
            return
        if not math.isfinite(t):
            raise CommitmentError(f"expected a finite epoch time, got {t!r}")
        self._first_seen = t
        begin = max(t, self._effective)
        for per in self._pers:
            first = self._periods.start(per, begin)
            self._first[per] = self._open[per] = first
            # A period the stream joins before its first working hour is a full period.
            first_opening = self._cal.next_open(first)
            self._partial_before[per] = begin if begin > first_opening else first
        while self._review_due(self._review_k) < t:
            self._review_k += 1

    def mql(self, t: float, tier: str, complete: bool) -> None:
        self._check_tier(tier)
        week = self._week(t)
        week.mqls += 1
        week.complete += bool(complete)
        if self._extra:
            for other in self._others(t):
                other.mqls += 1
                other.complete += bool(complete)

    def sla_result(self, sla: str, tier: str | None, due: float, met: bool) -> None:
        """A per-lead SLA resolved; it counts in the week containing `due`."""
        if sla not in SLA_NAMES:
            raise CommitmentError(f"unknown sla {sla!r}: expected one of {', '.join(SLA_NAMES)}")
        key = sla
        if sla == "first_touch":
            key = f"first_touch:{self._check_tier(tier)}"
        week = self._week(due)
        (week.met if met else week.missed)[key] += 1
        if self._extra:
            for other in self._others(due):
                (other.met if met else other.missed)[key] += 1

    def closed_untouched(self, tier: str, due: float | None, t: float, rep: str | None) -> None:
        """A disposition at t before any touch. `due`: the original first-touch window's
        due time when that window was still open (its verdict: not met, in the week of
        `due`), else None (the window was decided already). Counted as "closed without a
        touch" in the week of t, and for `rep` (who dispositioned it)."""
        key = f"first_touch:{self._check_tier(tier)}"
        if due is not None:
            for week in self._at(due):
                week.unmet[key] += 1
        for week in self._at(t):
            week.untouched += 1
            if rep is not None:
                self._rep(week, rep)[2] += 1

    def rep_window(self, rep: str, due: float, met: bool) -> None:
        """A rep's own first-touch window on a lead they owned (the first owner's, or a
        new owner's after a reassignment) resolved; it counts in the week of `due`."""
        for week in self._at(due):
            self._rep(week, rep)[0 if met else 1] += 1

    @staticmethod
    def _rep(week: PeriodCounts, rep: str) -> list[int]:
        counts = week.reps.get(rep)
        if counts is None:
            counts = week.reps[rep] = [0, 0, 0]
        return counts

    def rejection_refused(self, t: float) -> None:
        """A rejection refused for a missing or unknown reason code (week of t)."""
        for week in self._at(t):
            week.refused_rejections += 1

    def first_touch(self, tier: str, mql_at: float, touch_at: float) -> None:
        """Speed to first touch in calendar minutes, counted in the week of `touch_at`."""
        self._check_tier(tier)
        if touch_at < mql_at:
            raise CommitmentError(f"first touch at {touch_at} is before its MQL at {mql_at}")
        minutes = (touch_at - mql_at) / 60.0
        self._week(touch_at).speed.setdefault(tier, []).append(minutes)
        if self._extra:
            for other in self._others(touch_at):
                other.speed.setdefault(tier, []).append(minutes)

    def dispositioned(self, t: float, outcome: str, reason: str | None) -> None:
        if outcome not in OUTCOMES:
            raise CommitmentError(
                f"unknown outcome {outcome!r}: expected one of {', '.join(OUTCOMES)}"
            )
        for week in self._at(t):
            week.dispositioned += 1
            week.accepted += outcome == "accepted"
            if outcome == "rejected":
                week.reasons[reason or NO_REASON] += 1

    def _check_tier(self, tier: str | None) -> str:
        if tier is None or tier not in self._tiers:
            raise CommitmentError(
                f"unknown tier {tier!r}: expected one of {', '.join(self._tiers)}"
            )
        return tier

    # ------------------------------------------------------------------ periods

    def next_deadline(self) -> float | None:
        """When `advance` next has something to do; None before the first observation."""
        if self._first_seen is None:
            return None
        if self._next is None:
            ends = [self._end(per, self._open[per]) for per in self._pers]
            self._next = min(*ends, self._review_due(self._review_k))
        return self._next

    def advance(self, now: float, emitter: Emitter) -> None:
        """Close every period ending at or before `now` and emit due reviews, in time order
        (periods ending together: finest first; a period closing at the same instant as a
        review comes first)."""
        if self._first_seen is None:
            return
        self._next = None
        if not math.isfinite(now):
            raise CommitmentError(f"expected a finite epoch time, got {now!r}")
        while True:
            # The period ending first (finest first at a tie), then the review.
            per, end = self._pers[0], self._end(self._pers[0], self._open[self._pers[0]])
            for other in self._extra:
                other_end = self._end(other, self._open[other])
                if other_end < end:
                    per, end = other, other_end
            review = self._review_due(self._review_k)
            if end <= now and end <= review:
                self._close(per, self._open[per], end, emitter)
                self._open[per] = end
            elif review <= now:
                name = self._policy.agreement.name
                emitter.emit(
                    "agreement.review_due",
                    at=review,
                    cause=f"review:{self._review_k}",
                    subject=name,
                    agreement=name,
                    due=emitter.fmt(review),
                )
                self._review_k += 1
            else:
                return

    def _close(self, per: str, start: float, end: float, emitter: Emitter) -> None:
        mode: Mode = "partial" if start < self._partial_before[per] else "evaluate"
        bucket = self._bucket(per, start)
        rows = self._rows(per, bucket, self._counters, mode)
        self._decided[per, start] = rows
        label = self._periods.label(per, start)
        if per == "week":
            self._top_reason = top = reason_streak(self._top_reason, bucket, mode)
            if top[1] >= RECURRING_WEEKS:
                self._recurring[start] = top
                emitter.emit(
                    "rejections.recurring",
                    at=end,
                    cause=f"period:{label}",
                    subject=top[0],
                    reason=top[0],
                    period=label,
                    weeks=top[1],
                    side="marketing",
                )
        for row in rows:
            if row.status != "missed":
                continue
            step = self._step(row.consecutive)
            emitter.emit(
                "period.breached",
                at=end,
                cause=f"period:{label}",
                subject=row.commitment,
                commitment=row.commitment,
                side=row.side,
                period=label,
                consecutive=row.consecutive,
                action=row.action,
                notify=list(step.notify) if step else [],
                target=row.target,
                actual=row.actual,
            )
        if per == "week" and self._summaries and mode == "evaluate":  # not a partial week
            # The scorecard as of the close: the week before (for a trend), this one and
            # the one beginning (in progress), and the trends.
            summary = weekly_summary(self.to_json(end, SUMMARY_PERIODS), label)
            if summary is not None:
                emitter.out.append(summary)

    def _step(self, n: int) -> PeriodStep | None:
        steps = [s for s in self._policy.escalation.period if s.consecutive <= n]
        return steps[-1] if steps else None

    def _rows(
        self, per: str, week: PeriodCounts | None, counters: dict[str, int], mode: Mode
    ) -> list[Row]:
        """The rows of one period; in "evaluate" mode `counters` is updated in place."""
        week = week or PeriodCounts()
        rows: list[Row] = []
        for spec in self._specs:
            if spec.per != per:
                continue
            actual, size = measure(spec, week)
            n = counters.get(spec.key, 0)
            status: Status
            if mode != "evaluate":
                status = mode
            elif actual is None:
                status = "n/a"
            elif actual >= spec.target:
                status, n = "met", 0
            else:
                status, n = "missed", n + 1
            counters[spec.key] = n
            step = self._step(n) if status == "missed" else None
            action = step.action if step else None
            rows.append(
                Row(
                    spec.key, spec.side, spec.target, actual, status, n, action, spec.unit,
                    size, spec.basis,
                )
            )
        return rows

    # ------------------------------------------------------------------ views

    def scorecard(self, now: float) -> list[WeekCard]:
        """Every period from the first to the one containing `now` (maybe in progress):
        weeks, and months or quarters when a commitment is evaluated per month or
        quarter; ordered by end (finest first at a tie)."""
        if self._first_seen is None:
            return []
        counters = dict(self._counters)
        spans: list[tuple[float, int, str, float]] = []
        for rank, per in enumerate(self._pers):
            start = self._first[per]
            while start <= now:
                end = self._end(per, start)
                spans.append((end, rank, per, start))
                start = end
        spans.sort()
        funnels = self.funnel.cards([(start, end) for end, _, _, start in spans], now)
        top = self._top_reason
        cards: list[WeekCard] = []
        for (end, _, per, start), funnel in zip(spans, funnels, strict=True):
            week = self._bucket(per, start) or PeriodCounts()
            partial = start < self._partial_before[per]
            in_progress = end > now and (per, start) not in self._decided
            rows = self._decided.get((per, start))
            mode: Mode = "in progress" if in_progress else "partial" if partial else "evaluate"
            if rows is None:
                rows = self._rows(per, week, counters, mode)
            recurring = self._recurring.get(start) if per == "week" else None
            if per == "week" and start >= self._open["week"] and mode == "evaluate":
                top = reason_streak(top, week, mode)  # ended, not closed yet
                recurring = top if top[1] >= RECURRING_WEEKS else None
            first = self._cal.local_date(start)
            cards.append(
                WeekCard(
                    label=self._periods.label(per, start),
                    start=start,
                    end=end,
                    first_day=first,
                    last_day=self._periods.last_day(per, start),
                    partial=partial,
                    in_progress=in_progress,
                    rows=rows,
                    speed=speeds(week, self._tiers),
                    rejection_reasons=dict(
                        sorted(week.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
                    ),
                    mqls=week.mqls,
                    breaches=breaches(week, self._per_lead),
                    closed_untouched=week.untouched,
                    rejections_attempted=sum(week.reasons.values()) + week.refused_rejections,
                    rejections_refused=week.refused_rejections,
                    dispositions_attempted=week.dispositioned + week.refused_rejections,
                    reps={rep: (c[0], c[1], c[2]) for rep, c in sorted(week.reps.items())},
                    per=per,
                    funnel=funnel,
                    recurring=recurring,
                )
            )
        return cards

    def to_json(self, now: float, periods: int | None = None) -> dict[str, Any]:
        """The scorecard as JSON-able data (docs/scorecard.md); times RFC 3339 in the policy
        zone; `periods`: only the last so many periods of each kind (trends: up to 12)."""
        return scorecard_json(
            self._policy.agreement.name, self._cal.timezone, now, self.scorecard(now),
            TimeFormat(self._cal.tz), periods,
        )  # fmt: skip

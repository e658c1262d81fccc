"""The funnel by MQL cohort: how far each MQL got (SAL, SQL, opportunity, won), and the
rates between the stages, per scorecard period.

The pool side records, per MQL (each MQL cycle of a lead is one MQL, as in the MQL
count): its instant, tier, source, segment and score at the handoff; what happened to
it since (touched, follow-up cadence completed, dispositioned and how, within the
disposition window or not); and the furthest stage it reached through
`lead.stage_changed`. A period's funnel counts the MQLs of that period (its cohort),
whatever the time their later stages came: a cohort's numbers grow as it matures.

Rules (docs/policy.md, "The funnel"):

* Stages are ordered sal < sql < opportunity < won. Reaching a stage counts every stage
  before it (an `opportunity` without an `sql` passed SQL); a stage reported again or
  an earlier stage after a later one changes nothing. An accepted disposition is the
  SAL (sales accepted the lead).
* `lost` closes the lead's opportunity at whatever stage it reached; a later stage
  event re-opens it. `lost` counts leads whose last stage event is `lost`.
* Amounts are never added across currencies: `won_amount` (and `pipeline_amount`, the
  opportunities' amounts) is currency -> sum. A lead's amount for a stage is the last
  one reported for that stage (a correction replaces, it does not add up).
* A stage event for a lead that never became an MQL (sales-sourced, unknown) belongs to
  no cohort: it is counted as `outside_cohorts` in the period of the event, nothing else.

Pure: no clock; every instant is an argument.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mypy_extensions import mypyc_attr

#: The stages of the funnel after the MQL, in order.
STAGES: Final = ("sal", "sql", "opportunity", "won")
LOST: Final = "lost"
#: The lead attributes the funnel reads at the MQL (carried to the pool stage).
FUNNEL_FIELDS: Final = ("source", "segment", "score")
#: Rates between stages: name -> (numerator stage, denominator stage).
RATES: Final = {
    "mql_to_sal": ("sal", "mqls"),
    "sal_to_sql": ("sql", "sal"),
    "sql_to_opportunity": ("opportunity", "sql"),
    "mql_to_opportunity": ("opportunity", "mqls"),
    "opportunity_to_won": ("won", "opportunity"),
}
#: The funnel's other shares: name -> what the numerator and the denominator count.
QUALITY: Final = ("quality_acceptance", "follow_up_completion", "disposition_within_window")
BY: Final = ("source", "tier", "segment")
NONE: Final = "(none)"


# allow_interpreted_subclasses: compiled, a serializable class built from interpreted code
# does not run its __init__ otherwise (as routing.lead.Lead).
@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class _Mql:
    """One MQL and what became of it."""

    __slots__ = (
        "amounts", "at", "cadence_done", "dispositioned", "done_at", "due", "lost", "outcome",
        "reached", "score", "segment", "source", "tier", "touched",
    )  # fmt: skip

    def __init__(self, at: float, tier: str, fields: Mapping[str, Any]) -> None:
        self.at = at
        self.tier = tier
        source, segment, score = fields.get("source"), fields.get("segment"), fields.get("score")
        self.source = str(source) if source is not None else NONE
        self.segment = str(segment) if segment is not None else NONE
        self.score: float | None = None
        if isinstance(score, float) or (isinstance(score, int) and not isinstance(score, bool)):
            self.score = float(score)
        self.reached = 0  # 1 + index in STAGES of the furthest stage reached (0: none)
        self.lost = False
        self.touched = False
        self.cadence_done = False
        self.dispositioned = False
        self.outcome: str | None = None
        self.due: float | None = None  # the MQL's own disposition window ends (None: none)
        self.done_at: float | None = None  # dispositioned then
        # stage -> (amount, currency); None until an amount comes (most MQLs have none, and a
        # dict per MQL would be one more container for the cyclic collector to walk)
        self.amounts: dict[str, tuple[float, str]] | None = None


@mypyc_attr(native_class=False)  # compiled, a frozen native class cannot be unpickled
@dataclass(frozen=True, slots=True)
class Share:
    """`num` of `n`; `actual` is None when `n` is 0."""

    num: int
    n: int

    @property
    def actual(self) -> float | None:
        return self.num / self.n if self.n else None


@mypyc_attr(native_class=False)  # compiled, a frozen native class cannot be unpickled
@dataclass(frozen=True, slots=True)
class Slice:
    """The MQLs of one source, tier or segment value in a cohort."""

    mqls: int
    dispositioned: int
    accepted: int
    opportunity: int
    won: int

    @property
    def acceptance(self) -> Share:
        return Share(self.accepted, self.dispositioned)

    @property
    def conversion(self) -> Share:
        """MQL -> opportunity."""
        return Share(self.opportunity, self.mqls)


@mypyc_attr(native_class=False)  # compiled, a frozen native class cannot be unpickled
@dataclass(frozen=True, slots=True)
class FunnelCard:
    """One period's cohort. `counts`: mqls and each stage's count (leads that reached
    it); `won_amount`, `pipeline_amount`: currency -> sum; `score`: (MQLs with a score,
    their mean score at the handoff); `by`: dimension -> value -> slice."""

    counts: dict[str, int]
    lost: int
    won_amount: dict[str, float]
    pipeline_amount: dict[str, float]
    score: tuple[int, float | None]
    quality: dict[str, Share]
    by: dict[str, dict[str, Slice]]
    outside_cohorts: int = 0

    def rate(self, name: str) -> Share:
        if name in RATES:
            num, den = RATES[name]
            return Share(self.counts[num], self.counts[den])
        return self.quality[name]


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class Funnel:
    """Every MQL's way down the funnel; the cohorts' cards on request."""

    def __init__(self) -> None:
        self.mqls: list[_Mql] = []  # in recording order (MQL instants, non-decreasing mostly)
        self.latest: dict[str, _Mql] = {}  # lead id -> its latest MQL
        self.outside: list[float] = []  # instants of stage events outside every cohort

    # --- recording ---------------------------------------------------------------------
    def mql(self, lead_id: str, t: float, tier: str, fields: Mapping[str, Any]) -> None:
        rec = _Mql(t, tier, fields)
        self.mqls.append(rec)
        self.latest[lead_id] = rec

    def touched(self, lead_id: str, cadence_done: bool) -> None:
        rec = self.latest.get(lead_id)
        if rec is not None:
            rec.touched = True
            rec.cadence_done = rec.cadence_done or cadence_done

    def window(self, lead_id: str, due: float | None) -> None:
        """The MQL's disposition window (its first, the tier's: a reassignment's new
        window does not count here) ends at `due`; None: it has none (disqualified)."""
        rec = self.latest.get(lead_id)
        if rec is not None:
            rec.due = due

    def dispositioned(self, lead_id: str, t: float, outcome: str) -> None:
        rec = self.latest.get(lead_id)
        if rec is None:
            return
        rec.dispositioned = True
        rec.outcome = outcome
        rec.done_at = t
        if outcome == "accepted":
            rec.reached = max(rec.reached, 1)

    def stage(
        self, lead_id: str, t: float, stage: str, amount: float | None, currency: str | None
    ) -> None:
        """`stage` is one of STAGES or LOST (the event contract checked it)."""
        rec = self.latest.get(lead_id)
        if rec is None:
            self.outside.append(t)
            return
        if stage == LOST:
            rec.lost = True
        else:
            rec.lost = False
            rec.reached = max(rec.reached, STAGES.index(stage) + 1)
        if amount is not None and currency is not None:
            if rec.amounts is None:
                rec.amounts = {}
            rec.amounts[stage] = (amount, currency)

    # --- views -------------------------------------------------------------------------
    def cards(self, spans: list[tuple[float, float]], now: float) -> list[FunnelCard]:
        """The card of each cohort [start, end) in `spans`, as of `now`."""
        ordered = sorted(self.mqls, key=lambda r: r.at)
        ats = [r.at for r in ordered]
        outside = sorted(self.outside)
        out = []
        for start, end in spans:
            cohort = ordered[bisect_left(ats, start) : bisect_left(ats, end)]
            n_out = bisect_left(outside, end) - bisect_left(outside, start)
            out.append(_card(cohort, n_out, now))
        return out


def _sums(cohort: list[_Mql], stage: str, reached: int) -> dict[str, float]:
    sums: dict[str, float] = {}
    for rec in cohort:
        if rec.reached >= reached and rec.amounts is not None and stage in rec.amounts:
            amount, currency = rec.amounts[stage]
            sums[currency] = sums.get(currency, 0.0) + amount
    return dict(sorted(sums.items()))


def _slices(cohort: list[_Mql], dim: str) -> dict[str, Slice]:
    groups: dict[str, list[_Mql]] = {}
    for rec in cohort:
        groups.setdefault(getattr(rec, dim), []).append(rec)
    return {
        value: Slice(
            mqls=len(recs),
            dispositioned=sum(r.dispositioned for r in recs),
            accepted=sum(r.outcome == "accepted" for r in recs),
            opportunity=sum(r.reached >= 3 for r in recs),
            won=sum(r.reached >= 4 for r in recs),
        )
        for value, recs in sorted(groups.items())
    }


def _in_window(rec: _Mql, now: float) -> bool | None:
    """Dispositioned within its window: True, False; None while that is not known yet
    (the window is open and no disposition came) or without a window."""
    if rec.due is None:
        return None
    if rec.done_at is not None and rec.done_at <= rec.due:
        return True
    return False if rec.done_at is not None or rec.due <= now else None


def _card(cohort: list[_Mql], outside: int, now: float) -> FunnelCard:
    counts = {"mqls": len(cohort)}
    for i, stage in enumerate(STAGES, start=1):
        counts[stage] = sum(r.reached >= i for r in cohort)
    scores = [r.score for r in cohort if r.score is not None]
    timed = [w for w in (_in_window(r, now) for r in cohort) if w is not None]
    quality = {
        "quality_acceptance": Share(
            sum(r.outcome == "accepted" for r in cohort), sum(r.dispositioned for r in cohort)
        ),
        "follow_up_completion": Share(
            sum(r.cadence_done for r in cohort), sum(r.touched for r in cohort)
        ),
        "disposition_within_window": Share(sum(timed), len(timed)),
    }
    return FunnelCard(
        counts=counts,
        lost=sum(r.lost for r in cohort),
        won_amount=_sums(cohort, "won", 4),
        pipeline_amount=_sums(cohort, "opportunity", 3),
        score=(len(scores), sum(scores) / len(scores) if scores else None),
        quality=quality,
        by={dim: _slices(cohort, dim) for dim in BY},
        outside_cohorts=outside,
    )


__all__ = ["BY", "FUNNEL_FIELDS", "QUALITY", "RATES", "STAGES", "Funnel", "FunnelCard", "Share"]

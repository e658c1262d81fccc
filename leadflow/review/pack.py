"""The review pack as data (`build_pack`): JSON-able, rendered by :mod:`.pack_text` and
:mod:`.pack_html`."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from leadflow.review import baseline as bl
from leadflow.review.card import read_card
from leadflow.review.history import Run


def build_pack(
    run: Run, months: int = 3, until: date | None = None, margin: float = 0.05
) -> dict[str, Any]:
    card = read_card(run.card)
    ends = "the end of the history's last week"
    if until is not None:
        ends = f"--until {until.isoformat()}"
    elif run.reviews:
        until = date.fromisoformat(run.reviews[-1][:10])
        ends = f"the review due {until.isoformat()} (agreement.review_due)"
    p = bl.period(card, months, until)
    base = bl.commitment_baselines(card, p)
    return {
        "agreement": card.agreement,
        "policy": run.loaded.policy_file,
        "history": run.history,
        "timezone": card.timezone,
        "as_of": card.as_of,
        "months": months,
        "period": {
            "first_day": p.first_day.isoformat(),
            "last_day": p.last_day.isoformat(),
            "weeks": [w.label for w in p.weeks],
            "used": [w.label for w in p.used],
            "judged": p.judged,
            "ends": ends,
        },
        "volume": {
            "mqls": sum(w.mqls for w in p.used),
            "weeks": len(p.used),
        },
        "commitments": base,
        "funnel": bl.funnel_baselines(card, p),
        "has_funnel": card.has_funnel,
        "ladder": bl.ladder(run.periods, p),
        "reviews_due": list(run.reviews),
        "proposals": bl.proposals(base, p, margin),
        "margin": margin,
        "reasons": bl.reasons_rose(p),
        "arrivals": arrival_pattern(run, p),
        "capacity": None,
    }


def arrival_pattern(run: Run, p: bl.Period) -> dict[str, Any]:
    """The MQLs of the period by weekday and hour (policy zone), tier and segment: the
    shape the capacity scenario is built from."""
    first = p.first_day
    last = p.last_day
    days: Counter[int] = Counter()
    hours: Counter[int] = Counter()
    tiers: Counter[str] = Counter()
    segments: Counter[str] = Counter()
    n = 0
    for at, tier, segment in run.mqls:
        local = datetime.fromtimestamp(at, run.zone)
        if not first <= local.date() <= last:
            continue
        n += 1
        days[local.weekday()] += 1
        hours[local.hour] += 1
        tiers[tier] += 1
        segments[segment] += 1
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return {
        "mqls": n,
        "weekday": {names[d]: days[d] for d in range(7)},
        "hour": {f"{h:02d}": hours[h] for h in range(24)},
        "tier": dict(sorted(tiers.items())),
        "segment": dict(sorted(segments.items())),
    }

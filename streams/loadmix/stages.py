"""The CRM's side of a generated lead's life: after an accepted disposition, some leads move
on to SQL, opportunity and won (or lost), reported as `lead.stage_changed` events in
business hours, so the scorecard's funnel has something to count."""

from __future__ import annotations

import numpy as np

from streams.loadmix.batch import Batch
from streams.loadmix.timekit import DAY_S, Clock, rng_for

#: the share of the leads at a stage that reach the next one (sql, opportunity, won)
P_SQL = 0.6
P_OPPORTUNITY = 0.5
P_WON = 0.35
#: deal sizes: log-normal around this median, in USD
MEDIAN_AMOUNT = 24_000.0


def stage_batch(lead_ids: list[str], accepted_at: np.ndarray, clock: Clock, seed: int) -> Batch:
    """Stage events of the leads accepted at `accepted_at` (epoch seconds, one per id): each
    stage a few business days after the one before; an opportunity carries its amount, and a
    deal that is not won is lost."""
    rng = rng_for(seed, "stages")
    n = len(lead_ids)
    sql = rng.random(n) < P_SQL
    opp = sql & (rng.random(n) < P_OPPORTUNITY)
    won = opp & (rng.random(n) < P_WON)
    amount = np.round(rng.lognormal(np.log(MEDIAN_AMOUNT), 0.6, n), -2)
    gaps = rng.lognormal(np.log(3 * DAY_S), 0.6, (n, 3)).astype(np.int64) + 1
    times: list[int] = []
    bodies: list[str] = []
    prev = accepted_at.astype(np.int64)
    for stage, reached, col in (("sql", sql, 0), ("opportunity", opp, 1), ("won", won, 2)):
        sel = np.flatnonzero(reached)
        t = clock.snap_business(prev[sel] + gaps[sel, col], rng)
        prev[sel] = t
        for i, at in zip(sel.tolist(), t.tolist(), strict=True):
            extra = (f',"amount":{amount[i]:.0f},"currency":"USD"'
                     if stage in ("opportunity", "won") else "")  # fmt: skip
            times.append(at)
            bodies.append(f'"lead_id":"{lead_ids[i]}","stage":"{stage}"{extra}}}')
    lost = np.flatnonzero(opp & ~won)
    t_lost = clock.snap_business(prev[lost] + gaps[lost, 2], rng)
    for i, at in zip(lost.tolist(), t_lost.tolist(), strict=True):
        times.append(at)
        bodies.append(f'"lead_id":"{lead_ids[i]}","stage":"lost"}}')
    return Batch("lead.stage_changed", np.array(times, dtype=np.int64), bodies)

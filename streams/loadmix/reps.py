"""Generated rep events: `rep.status` (shift start/end, lunch, PTO, offline) and `rep.upserted`.

A few reps report their status every working day (available at shift start, sometimes away
at lunch, offline at shift end); every rep takes PTO on about 2% of working days; a few go
away or offline during a day. `at` and `until` carry the offset of the rep's own zone.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from streams.loadmix.batch import Batch, body
from streams.loadmix.team import GenTeam
from streams.loadmix.timekit import HOUR_S, MIN_S, NY, Clock, rng_for

# (local seconds, rep id, status, local seconds of `until` or -1), grouped by zone
_Row = tuple[int, str, str, int]


def make_rep_events(
    team: GenTeam, clock: Clock, start_idx: int, n_days: int, seed: int
) -> list[Batch]:
    rng = rng_for(seed, "rep-status")
    rows: dict[str, list[_Row]] = defaultdict(list)
    days = list(range(start_idx, start_idx + n_days))
    n_reporting = max(1, round(0.05 * len(team.reps)))
    reporting = set(rng.choice(len(team.reps), size=n_reporting, replace=False).tolist())
    for index, rep in enumerate(team.reps):
        tz = rep.tz or NY
        out = rows[tz]
        open_s, close_s = rep.shift[0] * HOUR_S, rep.shift[1] * HOUR_S
        u = rng.random((n_days, 8))
        pto_left = 0
        was_offline = False
        for k, day in enumerate(days):
            if not clock.is_bday[day]:
                continue
            midnight = int(clock.day_start_local(day))
            if pto_left > 0:
                pto_left -= 1
                continue
            if u[k, 0] < 0.009:  # a PTO spell of 1-5 working days starts today
                length = int(rng.choice([1, 1, 1, 2, 3, 5]))
                end_day = day
                left = length
                while left > 0 and end_day < clock.n_days - 1:
                    end_day += 1
                    if clock.is_bday[end_day]:
                        left -= 1
                # until: the start of the first working day after the spell
                until = int(clock.day_start_local(end_day)) + open_s - 30 * MIN_S
                out.append((midnight + open_s - int(u[k, 1] * 90 * MIN_S), rep.id, "pto", until))
                pto_left = length - 1
                was_offline = False
                continue
            start = midnight + open_s
            if index in reporting or was_offline:
                out.append((start - 600 + int(u[k, 2] * 900), rep.id, "available", -1))
                was_offline = False
            if index in reporting:
                if u[k, 3] < 0.25:  # lunch
                    away = midnight + 12 * HOUR_S + int(u[k, 4] * HOUR_S)
                    back = away + 30 * MIN_S + int(u[k, 5] * 30 * MIN_S)
                    if u[k, 6] < 0.5:
                        out.append((away, rep.id, "away", back))
                    else:
                        out.append((away, rep.id, "away", -1))
                        out.append((back, rep.id, "available", -1))
                out.append((midnight + close_s + int(u[k, 7] * 20 * MIN_S), rep.id, "offline", -1))
                continue
            if u[k, 3] < 0.01:  # a meeting or an errand: away with a known return
                away = start + HOUR_S + int(u[k, 4] * 5 * HOUR_S)
                out.append((away, rep.id, "away", away + 30 * MIN_S + int(u[k, 5] * 90 * MIN_S)))
            elif u[k, 3] < 0.014:  # sick: offline for the rest of the day, back tomorrow
                out.append((start + 2 * HOUR_S + int(u[k, 4] * 4 * HOUR_S), rep.id, "offline", -1))
                was_offline = True
    batches: list[Batch] = []
    for tz in sorted(rows):
        data = rows[tz]
        local = np.array([r[0] for r in data], dtype=np.int64)
        until_local = np.array([max(r[3], 0) for r in data], dtype=np.int64)
        until_text = clock.format(clock.to_utc(until_local, tz), tz)
        bodies = []
        for (_, rep_id, status, until), until_s in zip(data, until_text, strict=True):
            if until >= 0:
                bodies.append(f'"rep_id":"{rep_id}","status":"{status}","until":"{until_s}"}}')
            else:
                bodies.append(f'"rep_id":"{rep_id}","status":"{status}"}}')
        batches.append(Batch("rep.status", clock.to_utc(local, tz), bodies, tz=tz))
    batches.append(_roster_changes(team, clock, start_idx, n_days, seed))
    return batches


def _roster_changes(team: GenTeam, clock: Clock, start_idx: int, n_days: int, seed: int) -> Batch:
    """New reps joining mid-quarter and existing reps changing pools, weight or capacity."""
    rng = rng_for(seed, "rep-upserts")
    n = max(4, len(team.reps) // 100)
    bdays = [d for d in range(start_idx + 14, start_idx + n_days) if clock.is_bday[d]]
    if not bdays:  # a span of two weeks or less: changes from its first business day on
        bdays = [d for d in range(start_idx, start_idx + n_days) if clock.is_bday[d]] or [start_idx]
    when = np.sort(rng.choice(bdays, size=n, replace=True))
    width = max(4, len(str(len(team.reps))))
    local = clock.day_start_local(when) + 8 * HOUR_S + rng.integers(0, HOUR_S, n)
    bodies = []
    for k in range(n):
        if k % 2 == 0:  # a new hire
            rep_id = f"rep-{len(team.reps) + k // 2 + 1:0{width}d}"
            rec: dict[str, object] = {
                "rep_id": rep_id,
                "pools": ["commercial"] if k % 4 == 0 else ["bench", "commercial"],
                "weight": 0.5,
                "capacity": {"max_new_per_day": 8},
                "team_lead": team.reps[-1].team_lead,
            }
            if k % 6 == 2:
                days = {d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")}
                rec["hours"] = {"timezone": "America/Chicago", **days}
        else:  # a change for an existing rep
            rep = team.reps[int(rng.integers(0, len(team.reps)))]
            pools = list(rep.pools)
            if "bench" not in pools:
                pools.append("bench")
            rec = {"rep_id": rep.id, "pools": pools, "weight": 2.0 if rep.weight < 2 else 1.0,
                   "team_lead": rep.team_lead}
            if k % 3 == 0:
                rec["capacity"] = {"max_open": 50, "max_new_per_day": 20}
        bodies.append(body(rec))
    return Batch("rep.upserted", clock.to_utc(local), bodies, may_arrive_late=False)

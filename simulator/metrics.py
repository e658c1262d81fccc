"""What one replication measured, read from the core's decisions and the core's lead records.

Leads that became MQLs before start + warm-up are simulated but not measured. Shares and
speed come from the core: a lead met its first-touch window unless the core emitted
`sla.breached` for it; speed-to-lead is the core's `first_touch_at - mql_at`.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from routing.engine import Engine
from routing.lead import MQL
from routing.router import PoolState
from routing.sla import FIRST_TOUCH
from routing.tally import Tally
from simulator.scenario import Scenario

DECAY = {"w": 0.98390, "h1": 3.662, "h2": 638.2}


def decay(minutes: np.ndarray) -> np.ndarray:
    """q(t) = w 2^(-t/h1) + (1-w) 2^(-t/h2), t in calendar minutes (reference README)."""
    w, h1, h2 = DECAY["w"], DECAY["h1"], DECAY["h2"]
    return w * np.exp2(-minutes / h1) + (1.0 - w) * np.exp2(-minutes / h2)


def bucket_seconds(span_s: float) -> int:
    """Series buckets: hourly up to two weeks, 4-hourly beyond."""
    return 3600 if span_s <= 14 * 86400 else 4 * 3600


def add_span(area: list[float], origin: float, size: int, a: float, b: float, v: float) -> None:
    """Add v * (length of [a, b) inside each bucket) to the buckets' areas."""
    if v == 0 or b <= a:
        return
    i = int((a - origin) // size)
    while a < b and i < len(area):
        edge = origin + (i + 1) * size
        stop = b if b < edge else edge
        if i >= 0:
            area[i] += v * (stop - a)
        a, i = stop, i + 1


class Track:
    """One pool's queue over time: its depth since when, its peak, and the area under
    it per bucket (depth x seconds)."""

    __slots__ = ("area", "depth", "pool", "qmax", "since")

    def __init__(self, pool: PoolState, start: float, buckets: int) -> None:
        self.pool = pool
        self.depth = 0
        self.since = start
        self.qmax = 0
        self.area = [0.0] * buckets


class Collector:
    def __init__(self, scenario: Scenario, engine: Engine) -> None:
        self.scenario = scenario
        self.engine = engine
        self.start, self.end = scenario.start, scenario.end
        warmup = scenario.spec.report.warmup
        self.measure_from = self.start + (warmup.seconds if warmup is not None else 0.0)
        self.size = bucket_seconds(self.end - self.start)
        self.buckets = math.ceil((self.end - self.start) / self.size)
        pools = list(engine.router.pools)
        self.pools = [(name, engine.router.pools[name]) for name in pools]
        self.tracks = [Track(pool, self.start, self.buckets) for _, pool in self.pools]
        self.surge_from: dict[str, float] = {}
        self.periods: list[dict[str, Any]] = []
        self.ft_breached: set[str] = set()
        # Tally: a Counter whose `+= 1` costs a dict's (routing/tally.py).
        self.tier_counts: dict[str, Counter[str]] = {
            t.name: Tally() for t in engine.policy.tiers
        }
        self.sla_counts: Counter[tuple[str, str]] = Tally()
        self.outcomes: Counter[str] = Tally()
        self.assigned_pool: Counter[str] = Tally()
        self.assigned_rep: Counter[str] = Tally()
        self.absent: dict[str, list[tuple[float, float]]] = {}
        self.period_breaches = 0
        # The daily digests and weekly summaries the core emitted (routing/briefings.py),
        # from the end of the warm-up: role -> digests, role -> items; rep -> [digests, items].
        self.digests: Counter[str] = Tally()
        self.digest_items: Counter[str] = Tally()
        self.rep_digests: dict[str, list[int]] = {}
        self.summaries = 0

    def set_absences(self, absent: dict[str, list[tuple[float, float]]]) -> None:
        self.absent = absent

    # --- decisions ----------------------------------------------------------------------
    def decided(self, kind: str, d: dict[str, Any], t: float) -> None:
        """A decision of the core, of type KIND, at t: the ones measured here."""
        if kind == "sla.breached":
            self._breached(d, t)
        elif kind == "sla.met":
            self._met(d, t)
        elif kind == "lead.assigned":
            self._assigned(d, t)
        elif kind == "lead.reassigned":
            self._reassigned(d, t)
        elif kind == "sla.escalated":
            self._escalated(d, t)
        elif kind == "surge.entered":
            self._surge_in(d, t)
        elif kind == "surge.exited":
            self._surge_out(d, t)
        elif kind == "period.breached":
            self._period(d, t)
        elif kind == "digest.due":
            self._digest(d, t)
        elif kind == "summary.weekly" and t >= self.measure_from:
            self.summaries += 1

    def _measured(self, lead_id: str) -> str | None:
        lead = self.engine.leads.get(lead_id)
        if lead is None or lead.mql_at is None or lead.mql_at < self.measure_from:
            return None
        return lead.tier

    def _breached(self, d: dict[str, Any], t: float) -> None:
        tier = self._measured(d["lead_id"])
        if tier is None:
            return
        if d["sla"] == FIRST_TOUCH:
            self.ft_breached.add(d["lead_id"])
            self.tier_counts[tier]["breaches"] += 1
        self.sla_counts[(d["sla"], "breached")] += 1

    def _met(self, d: dict[str, Any], t: float) -> None:
        if self._measured(d["lead_id"]) is not None:
            self.sla_counts[(d["sla"], "met")] += 1

    def _escalated(self, d: dict[str, Any], t: float) -> None:
        tier = self._measured(d["lead_id"])
        if tier is not None:
            self.tier_counts[tier]["escalations"] += 1

    def _assigned(self, d: dict[str, Any], t: float) -> None:
        if t >= self.measure_from:
            self.assigned_pool[d["pool"]] += 1
            self.assigned_rep[d["rep_id"]] += 1

    def _reassigned(self, d: dict[str, Any], t: float) -> None:
        self._assigned(d, t)
        tier = self._measured(d["lead_id"])
        if tier is not None:
            self.tier_counts[tier]["reassignments"] += 1

    def _surge_in(self, d: dict[str, Any], t: float) -> None:
        self.surge_from[d["pool"]] = t

    def _surge_out(self, d: dict[str, Any], t: float) -> None:
        since = self.surge_from.pop(d["pool"], None)
        if since is not None:
            self.periods.append({"pool": d["pool"], "start": since, "end": t})

    def _period(self, d: dict[str, Any], t: float) -> None:
        self.period_breaches += 1

    def _digest(self, d: dict[str, Any], t: float) -> None:
        if t < self.measure_from:
            return
        role: str = d["role"]
        items = len(d["items"])
        self.digests[role] += 1
        self.digest_items[role] += items
        if role == "rep":
            row = self.rep_digests.setdefault(d["recipient"], [0, 0])
            row[0] += 1
            row[1] += items

    def notifications(self) -> dict[str, Any] | None:
        """What the core told people on a schedule, or None when the policy asks for no
        digest and no weekly summary. `per_working_day`: a rep's digests over the working
        days they had in the measured span."""
        n = self.engine.policy.notifications
        if n is None or (n.digest is None and n.weekly_summary is None):
            return None
        reps = {}
        for rep_id in self.engine.router.reps:
            digests, items = self.rep_digests.get(rep_id, [0, 0])
            days = self._available(rep_id)[1]
            reps[rep_id] = {"digests": digests, "items": items, "working_days": days,
                            "per_working_day": digests / days if days else None}
        return {
            "digests": sum(self.digests.values()),
            "digest_items": sum(self.digest_items.values()),
            "by_role": {role: {"digests": self.digests[role], "items": self.digest_items[role]}
                        for role in sorted(self.digests)},
            "reps": reps,
            "weekly_summaries": self.summaries,
        }

    def dispositioned(self, lead_id: str, reason: str) -> None:
        if self._measured(lead_id) is not None:
            self.outcomes[reason] += 1

    def queues(self, t: float) -> None:
        for track in self.tracks:
            now = track.pool.queue.depth
            if now != track.depth:
                add_span(track.area, self.start, self.size, track.since, t, track.depth)
                track.depth, track.since = now, t
                if now > track.qmax:
                    track.qmax = now

    # --- the end -----------------------------------------------------------------------
    def finish(self, end: float, busy: dict[str, float]) -> dict[str, Any]:
        self.queues(end)
        for track in self.tracks:
            add_span(track.area, self.start, self.size, track.since, end, track.depth)
        for pool, since in sorted(self.surge_from.items()):
            self.periods.append({"pool": pool, "start": since, "end": end})
        engine = self.engine
        tiers: dict[str, dict[str, Any]] = {}
        waits: list[float] = []
        mql_times: list[float] = []
        backlog = 0
        for lead in engine.leads.values():
            if lead.mql_at is None:
                continue
            mql_times.append(lead.mql_at)
            if lead.state == MQL and lead.first_touch_at is None:
                backlog += 1
            if lead.mql_at < self.measure_from:
                continue
            row = tiers.setdefault(
                lead.tier, {"leads": 0, "within": 0, "determined": 0, "minutes": [], "untouched": 0}
            )
            row["leads"] += 1
            if lead.first_touch_at is not None:
                minutes = (lead.first_touch_at - lead.mql_at) / 60.0
                row["minutes"].append(minutes)
                waits.append(minutes)
                row["determined"] += 1
                if lead.id not in self.ft_breached:
                    row["within"] += 1
            else:
                row["untouched"] += 1
                waits.append((end - lead.mql_at) / 60.0)  # censored at the horizon
                if lead.id in self.ft_breached:
                    row["determined"] += 1
        for name, counts in self.tier_counts.items():
            row = tiers.setdefault(
                name, {"leads": 0, "within": 0, "determined": 0, "minutes": [], "untouched": 0}
            )
            row.update({k: counts[k] for k in ("breaches", "escalations", "reassignments")})
        alpha = self.scenario.spec.report.pipeline_alpha
        q = decay(np.asarray(waits, dtype=float)) ** alpha if waits else np.zeros(0)
        lost = float(1.0 - q.mean() / decay(np.zeros(1))[0] ** alpha) if len(q) else 0.0
        told = self.notifications()
        return {
            "tiers": tiers,
            "pools": self._pools(busy),
            "reps": self._reps(busy),
            "arrivals": np.histogram(
                mql_times,
                bins=self.buckets,
                range=(self.start, self.start + self.buckets * self.size),
            )[0].tolist(),
            "mqls_per_week": self._weeks(mql_times),
            "sla": {f"{sla}.{what}": n for (sla, what), n in self.sla_counts.items()},
            "outcomes": dict(self.outcomes),
            "pipeline_lost": lost,
            "periods": self.periods,
            "period_breaches": self.period_breaches,
            "backlog_end": backlog,
            **({} if told is None else {"notifications": told}),
        }

    def _available(self, rep_id: str) -> tuple[float, int]:
        """Working seconds and working days of a rep within the horizon, absences taken off."""
        rep = self.engine.router.reps[rep_id]
        cal = rep.calendar
        start = max(self.start, self.measure_from)
        seconds = cal.between(start, self.end)
        days = 0
        t = cal.next_local_midnight(start - 1.0)
        while t < self.end:
            if cal.is_working_day(cal.local_date(t)):
                days += 1
            t = cal.next_local_midnight(t)
        for a, b in self.absent.get(rep_id, ()):
            if b > start:
                seconds -= cal.between(max(a, start), min(b, self.end))
                days -= 1
        return seconds, days

    def _reps(self, busy: dict[str, float]) -> dict[str, dict[str, Any]]:
        out = {}
        for rep_id, rep in self.engine.router.reps.items():
            seconds, days = self._available(rep_id)
            out[rep_id] = {
                "pools": list(rep.pools),
                "busy_s": busy.get(rep_id, 0.0),
                "available_s": seconds,
                "days": days,
                "assigned": self.assigned_rep[rep_id],
            }
        return out

    def _pools(self, busy: dict[str, float]) -> dict[str, dict[str, Any]]:
        span = self.end - self.start
        cal = self.engine.cal
        days = 0
        t = cal.next_local_midnight(self.measure_from - 1.0)
        while t < self.end:
            days += cal.is_working_day(cal.local_date(t))
            t = cal.next_local_midnight(t)
        out = {}
        hours: dict[str, Any] = {}  # float sums; 0 (an int, as JSON) for a pool never in surge
        for p in self.periods:
            hours[p["pool"]] = hours.get(p["pool"], 0) + (p["end"] - p["start"]) / 3600.0
        for (name, pool), track in zip(self.pools, self.tracks, strict=True):
            reps = [r.id for r in pool.reps]
            avail = [self._available(r)[0] for r in reps]
            surge = [0.0] * self.buckets
            for p in self.periods:
                if p["pool"] == name:
                    add_span(surge, self.start, self.size, p["start"], p["end"], 1.0)
            out[name] = {
                "reps": len(reps),
                "busy_s": sum(busy.get(r, 0.0) for r in reps),
                "available_s": sum(avail),
                "assigned": self.assigned_pool[name],
                "days": days,
                "queue_mean": sum(track.area) / span,
                "queue_max": track.qmax,
                "queue": [a / self.size for a in track.area],
                "surge": [s / self.size for s in surge],
                "surge_hours": hours.get(name, 0),
            }
        return out

    def _weeks(self, mql_times: list[float]) -> list[int]:
        weeks = max(1, int((self.end - self.start) // (7 * 86400)))
        counts, _ = np.histogram(
            mql_times, bins=weeks, range=(self.start, self.start + weeks * 7 * 86400)
        )
        return [int(c) for c in counts]

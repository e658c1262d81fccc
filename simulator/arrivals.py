"""Arrival sources: when leads arrive and what they look like. Sources add up.

Each source draws from its own generators (times and mix; per-lead outcome draws), so the
arrivals of a replication do not depend on the staffing (common random numbers).
Times are whole epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from routing.errors import EventError
from routing.events import InputEvent, LeadEngaged, LeadUpserted, parse_event
from simulator.leadgen import TierTemplate, require_tiers
from simulator.scenario import Mix, Poisson, Replay, Scenario, Spike
from simulator.streams import Streams

WEEK_S = 7 * 86400


class Arrival:
    """One lead arriving (generated: `fields`), or one recorded input event (`event`).
    A plain class: compiled, a dataclass is built through Python's `__init__` protocol,
    and there is one of these per lead."""

    __slots__ = ("engagements", "event", "fields", "lead_id", "t", "tier")

    def __init__(
        self,
        t: int,
        lead_id: str,
        tier: str,
        fields: dict[str, Any] | None,
        engagements: int,
        event: InputEvent | None = None,
    ) -> None:
        self.t = t
        self.lead_id = lead_id
        self.tier = tier  # the tier the fields were made for ("" for a replayed event)
        self.fields = fields
        self.engagements = engagements
        self.event = event


@dataclass
class Arrivals:
    items: list[Arrival]  # sorted by time, ties in source order
    outcomes: dict[str, list[float]]  # lead id -> uniforms for its touches and disposition
    warnings: list[str]


def generate(
    scenario: Scenario, templates: dict[str, TierTemplate], streams: Streams, draws: int
) -> Arrivals:
    """Every source's arrivals for one replication, merged in time order."""
    tz = ZoneInfo(scenario.loaded.policy.calendar.timezone)
    sources = scenario.spec.arrivals
    default_segments = next((s.mix.segment for s in sources if isinstance(s, Poisson)), {})
    items: list[Arrival] = []
    outcomes: dict[str, list[float]] = {}
    warnings: list[str] = []
    for index, source in enumerate(sources):
        rng = streams.arrivals(index)
        where = f"{scenario.file}: arrivals[{index}] ({source.name})"
        if isinstance(source, Replay):
            got, ids, notes = _replay(scenario, source, index)
            warnings += notes
        else:
            if isinstance(source, Poisson):
                times = _poisson_times(source, scenario.start, scenario.end, tz, rng)
            else:
                times = _spike_times(source, rng)
            got = _leads(source.mix, default_segments, times, templates, rng, index, where)
            ids = [a.lead_id for a in got]
        items += got
        if ids:
            table = streams.outcomes(index).random((len(ids), draws)).tolist()
            outcomes.update(zip(ids, table, strict=True))
    items.sort(key=lambda a: a.t)  # stable: ties keep source order
    return Arrivals(items, outcomes, warnings)


def _poisson_times(
    source: Poisson, start: float, end: float, tz: ZoneInfo, rng: np.random.Generator
) -> np.ndarray:
    """A Poisson process with a rate constant within each hour: the count of each hour is
    Poisson, its arrivals uniform within it (exact for a piecewise-constant rate)."""
    day_w, hour_w = source.day_weights(), source.hour_weights()
    per_week = sum(day_w, 0.0) * sum(hour_w, 0.0)
    first = int(start // 3600) * 3600
    hours = np.arange(first, end, 3600, dtype=np.int64)
    rates = np.empty(len(hours))
    for i, h in enumerate(hours.tolist()):
        local = datetime.fromtimestamp(h, tz)
        rates[i] = day_w[local.weekday()] * hour_w[local.hour]
    rates *= source.mqls_per_week / per_week if per_week else 0.0
    counts = rng.poisson(rates)
    times = np.repeat(hours, counts) + rng.integers(0, 3600, int(counts.sum()))
    return times[(times >= start) & (times < end)]


def _spike_times(source: Spike, rng: np.random.Generator) -> np.ndarray:
    at = int(source.at.timestamp())
    span = max(1, int(source.over.seconds))
    return np.sort(at + rng.integers(0, span, source.mqls))


def _leads(
    mix: Mix,
    default_segments: dict[str, float],
    times: np.ndarray,
    templates: dict[str, TierTemplate],
    rng: np.random.Generator,
    index: int,
    where: str,
) -> list[Arrival]:
    n = len(times)
    tiers = list(mix.tier) or list(templates)[-1:]
    shares = list(mix.tier.values()) or [1.0]
    require_tiers(templates, tiers, where)
    tier_of = rng.choice(len(tiers), size=n, p=shares) if n else np.zeros(0, dtype=int)
    segments = mix.segment or default_segments
    seg_names = list(segments)
    seg_of = (
        rng.choice(len(seg_names), size=n, p=list(segments.values())).tolist()
        if seg_names and n
        else [None] * n
    )
    picks = rng.random((n, 2))  # where in each range score and fit fall
    source = where.rsplit("(", 1)[-1].rstrip(")")
    kinds = [templates[name] for name in tiers]
    # The drawn integers of every lead, one column per range of its tier's template.
    width = max((len(t.ranges) for t in kinds), default=0)
    drawn = np.zeros((n, width), dtype=np.int64)
    for ti, template in enumerate(kinds):
        mask = tier_of == ti
        for j, (lo, hi) in enumerate(template.ranges.values()):
            drawn[mask, j] = lo + (picks[mask, j % 2] * (hi - lo + 1)).astype(np.int64)
    # Each template's parts read once (it is an interpreted dataclass).
    names = [list(t.ranges) for t in kinds]
    tier_names = [t.tier for t in kinds]
    fixed = [t.fixed for t in kinds]
    engagements = [t.engagements for t in kinds]
    out: list[Arrival] = []
    rows: list[list[int]] = drawn.tolist()
    tier_list: list[int] = tier_of.tolist()
    prefix = f"{index}."
    for k, t in enumerate(times.tolist()):
        ti = tier_list[k]
        si = seg_of[k]
        row = rows[k]
        fields: dict[str, Any] = {"source": source}
        for j, name in enumerate(names[ti]):  # a row is as wide as the widest template
            fields[name] = row[j]
        if si is not None:
            fields["segment"] = seg_names[si]
        fields.update(fixed[ti])
        out.append(Arrival(int(t), prefix + str(k), tier_names[ti], fields, engagements[ti]))
    return out


def _replay(
    scenario: Scenario, source: Replay, index: int
) -> tuple[list[Arrival], list[str], list[str]]:
    """The lead events of a recorded file, moved into the scenario's time. Rep work is
    simulated, so recorded touches, dispositions and rep events are skipped (and counted)."""
    path = scenario.base_dir / source.file
    events: list[tuple[int, LeadUpserted | LeadEngaged]] = []
    notes: list[str] = []
    skipped = 0
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                event = parse_event(line)
            except EventError as exc:
                notes.append(f"{path}:{number}: skipped, {exc}")
                continue
            if not isinstance(event, LeadUpserted | LeadEngaged):
                skipped += 1
                continue
            events.append((number, event))
    if skipped:
        notes.append(
            f"{path}: {skipped} recorded touch, disposition or rep event(s) skipped "
            "(the simulation makes its reps' own)"
        )
    if not events:
        return [], [], notes
    first = min(e.at.timestamp() for _, e in events)
    weeks = -((first - scenario.start) // WEEK_S)  # whole weeks: weekday and hour are kept
    shift = weeks * WEEK_S
    out: list[Arrival] = []
    ids: list[str] = []
    seen: set[str] = set()
    for number, event in events:
        moved = event.at.timestamp() + shift
        t = int(scenario.start + (moved - scenario.start) / source.speed)
        if not scenario.start <= t < scenario.end:
            continue
        lead_id = f"r{index}.{event.lead_id}"
        at = datetime.fromtimestamp(t, UTC) + timedelta(0)
        copy = event.model_copy(
            update={"at": at, "lead_id": lead_id, "event_id": f"r{index}:{number}"}
        )
        if lead_id not in seen:
            seen.add(lead_id)
            ids.append(lead_id)
        out.append(Arrival(t, lead_id, "", None, 0, copy))
    return out, ids, notes

"""An endless live mix for `leadflow loadgen`: the benchmark generator, chunk by chunk,
for the roster and reason codes of the policy the worker runs.

Each chunk is two business days of generated lead lifecycles (upserts, engagements incl.
pricing visits, email opens and demo requests, touches, dispositions with the policy's
reasons, some deferred) and rep events (status changes, roster updates), in arrival
order with the generator's late arrivals, duplicates and malformed lines. Lead and event
ids carry the run id and chunk number, so runs and chunks never collide; rep ids are the
policy team's. The stream's own event time only orders it: the load generator stamps
each event with the wall clock when it sends it (`restamp`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import orjson

from routing.policy.loader import LoadedPolicy
from routing.policy.team import Team
from streams.loadmix.leads import REJECT_P, REJECT_REASONS, Taxonomy, make_leads
from streams.loadmix.reps import make_rep_events
from streams.loadmix.stream import Mixed, assemble
from streams.loadmix.team import GenRep, GenTeam
from streams.loadmix.timekit import Clock, rng_for

FIRST_MONDAY = date(2026, 1, 5)
TAIL_DAYS = 30  # touches and dispositions run past the chunk's last arrival
TIME_FIELDS = ("until", "defer_until")


@dataclass(frozen=True)
class MixEvent:
    """One line of the mix: what it is, its Kafka key (lead or rep id) and its JSON text."""

    kind: str
    key: str
    line: str
    event_id: str | None


def taxonomy_of(loaded: LoadedPolicy) -> Taxonomy:
    """The reason codes of the policy's disposition commitment (the generator's by default)."""
    disposition = loaded.policy.sales_commits.disposition
    if disposition is None:
        return Taxonomy()
    reasons = disposition.reasons
    accepted = reasons.accepted[0] if reasons.accepted else "accepted"
    listed = [r for r in reasons.rejected if r != "unresponsive"]
    if not listed:  # any reason goes
        return Taxonomy(accepted=accepted)
    if set(listed) == set(REJECT_REASONS):
        weights: tuple[float, ...] | None = REJECT_P
        listed = list(REJECT_REASONS)
    else:
        weights = None
    unresponsive = "unresponsive" if "unresponsive" in reasons.rejected else None
    return Taxonomy(accepted, tuple(listed), weights, unresponsive)


def roster_of(team: Team) -> GenTeam:
    """The generator's view of a real roster: ids, pools, team leads, own hours."""
    reps = []
    for rep in team.reps:
        tz = rep.hours.timezone if rep.hours is not None else None
        reps.append(
            GenRep(
                id=rep.id,
                pools=tuple(rep.pools),
                team_lead=rep.team_lead or "",
                weight=rep.weight,
                tz=tz,
                shift=_shift(rep.hours.days() if rep.hours is not None else {}),
            )
        )
    managers = {name: lead.sales_manager or "" for name, lead in team.team_leads.items()}
    return GenTeam(reps, managers)


def _shift(days: dict[str, str | list[str]]) -> tuple[int, int]:
    """Whole hours of a rep's first working span ("08:00-16:00" → (8, 16)); 9-17 if none."""
    for spans in days.values():
        span = spans if isinstance(spans, str) else spans[0]
        start, _, end = span.partition("-")
        return int(start.split(":")[0]), max(int(start.split(":")[0]) + 1, int(end.split(":")[0]))
    return 9, 17


class LiveMix:
    """Chunks of `leads_per_chunk` leads over two business days each, forever."""

    def __init__(
        self,
        loaded: LoadedPolicy,
        *,
        seed: int,
        run_id: str,
        leads_per_chunk: int = 200,
        noise: bool = True,
    ) -> None:
        if not loaded.team.reps:
            raise ValueError(f"{loaded.policy_file}: the team has no reps to generate events for")
        self.team = roster_of(loaded.team)
        self.taxonomy = taxonomy_of(loaded)
        calendar = loaded.policy.calendar
        self.tz = calendar.timezone
        self.holidays = list(calendar.holidays)
        self.seed = seed
        self.run_id = run_id
        self.leads_per_chunk = leads_per_chunk
        self.noise = noise

    def chunk(self, k: int) -> Mixed:
        seed = int(rng_for(self.seed, f"chunk-{k}").integers(0, 2**31))
        start = FIRST_MONDAY + timedelta(days=7 * (k % 48))
        clock = Clock(start, 2 + TAIL_DAYS, self.holidays, tz=self.tz)
        start_idx = clock.day_index(start)
        prefix = f"{self.run_id}-{k}-"
        _, batches = make_leads(
            self.leads_per_chunk, self.team, clock, start_idx, 2, seed,
            id_prefix=f"L-{prefix}", taxonomy=self.taxonomy,
        )  # fmt: skip
        batches += make_rep_events(self.team, clock, start_idx, 2, seed)
        return assemble(batches, clock, seed, id_prefix=f"ev-{prefix}", noise=self.noise)

    def __iter__(self) -> Iterator[MixEvent]:
        """The chunks in order; the next one is generated in a thread while this one is
        consumed, so a paced sender does not stall on generation."""
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="loadmix") as pool:
            ahead = pool.submit(self.chunk, 0)
            k = 0
            while True:
                mixed = ahead.result()
                k += 1
                ahead = pool.submit(self.chunk, k)
                for kind, key, line in zip(mixed.kinds, mixed.keys, mixed.lines, strict=True):
                    yield MixEvent(kind, key, line, _event_id(line))


def _event_id(line: str) -> str | None:
    head = '{"event_id":"'
    if not line.startswith(head):
        return None
    return line[len(head) :].partition('"')[0]


def format_instant(epoch_s: float) -> str:
    """RFC 3339 in UTC with milliseconds: 2026-11-22T07:01:02.345+00:00."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")


def restamp(line: str, now_s: float | None = None, *, shift_s: float | None = None) -> bytes:
    """The line with `at` = `now_s` (and `until`/`defer_until` moved along, keeping their
    distance from `at`), or every timestamp moved by `shift_s`. Lines that are not JSON
    objects with a readable `at` go out as they are: they are meant to be bad input."""
    try:
        rec = orjson.loads(line)
        at = datetime.fromisoformat(rec["at"]).timestamp()
    except (orjson.JSONDecodeError, TypeError, KeyError, ValueError):
        return line.encode()
    delta = (now_s - at) if now_s is not None else (shift_s or 0.0)
    rec["at"] = format_instant(at + delta)
    for name in TIME_FIELDS:
        value = rec.get(name)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                rec[name] = format_instant(datetime.fromisoformat(value).timestamp() + delta)
    return orjson.dumps(rec)

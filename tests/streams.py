"""Random but valid-ish input streams for property and golden tests.

One builder writes every stream; what varies is where its choices come from:

- `event_streams()`: a hypothesis strategy (choices are draws, so failures shrink);
- `generated_stream(rng, ...)`: a seeded `random.Random` passed in (never the global one),
  for large deterministic streams (the generated golden file).

A stream is a list of JSON lines (strings) over a few days for the example team (10 reps
in pools enterprise / commercial / bench): lead upserts (sometimes disqualifying email or
role, sometimes incomplete), engagements, touches by random reps, dispositions with valid
and invalid reasons, rep status changes (some with `until`), exact re-sends of earlier
lines (same event_id), malformed and blank lines. Event time mostly increases, with some
late (out-of-order) events and ties.

`overloaded=True` pairs a stream with `overloaded_policy()` (lower capacity, lower surge
thresholds) and sends campaign bursts into the commercial pool, so surges happen.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

import yaml
from hypothesis import strategies as st

from routing.policy.loader import LoadedPolicy, load_policy, policy_from_dict
from tests.replaying import EXAMPLES

T = TypeVar("T")
NY = ZoneInfo("America/New_York")

REPS = tuple(f"rep-{i:02d}" for i in range(1, 11))
UNKNOWN_REP = "rep-99"
SEGMENTS = ("enterprise", "mid_market", "smb")
ACTIVITIES = (
    "demo_request",
    "email_open",
    "email_open",
    "pricing_page_visit",
    "content_download",
    "webinar_attended",
)
CHANNELS = ("call", "email", "linkedin", "sms", "meeting")
OUTCOMES = ("connected", "voicemail", "no_answer", "replied", "bounced")
STATUSES = ("available", "available", "available", "away", "away", "offline", "pto")
ACCEPTED = ("accepted",)
REJECTED = (
    "wrong_persona",
    "no_budget",
    "too_small",
    "wrong_industry",
    "competitor",
    "duplicate",
    "bad_data",
    "unresponsive",
)
INVALID_REASONS = ("maybe_later", "ACCEPTED", "lost")
ROLES = ("VP Operations", "Director IT", "Head of Sales", "CFO", "Analyst", "Engineer")
SOURCES = ("webinar", "paid_search", "website", "event", "referral")
MALFORMED = (
    "this is not json",
    "{",
    '{"event_id":"m1","type":"lead.upserted","at":"not-a-time","lead_id":"L-X"}',
    '{"event_id":"m2","type":"lead.exploded","at":"2026-01-13T10:00:00-05:00"}',
    '{"event_id":"m3","at":"2026-01-13T10:00:00-05:00","lead_id":"L-X"}',
    '{"event_id":"m4","type":"lead.upserted","at":"2026-01-13T10:00:00","lead_id":"L-X"}',
    '{"event_id":"m5","type":"lead.upserted","at":"1999-01-13T10:00:00Z","lead_id":"L-X"}',
    '{"type":"lead.engaged","at":"2026-01-13T10:00:00-05:00","lead_id":"L-X","activity":"x"}',
    '{"event_id":"m6","type":"lead.upserted","at":"2026-01-13T10:00:00Z","lead_id":"L-X",'
    '"score":"high"}',
    '{"event_id":"m7","type":"lead.upserted","at":"2026-01-13T10:00:00Z","lead_id":"L-X",'
    '"score":150}',
    '{"event_id":"m8","type":"lead.touched","at":"2026-01-13T10:00:00Z","lead_id":"L-X",'
    '"rep_id":"rep-01","channel":"fax","outcome":"connected"}',
    '{"event_id":"m9","type":"rep.status","at":"2026-01-13T10:00:00Z","rep_id":"rep-01",'
    '"status":"asleep"}',
    "[1, 2, 3]",
    "null",
)
BLANK = ("", "   ", "\t")


# --- where choices come from -----------------------------------------------------------
class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...  # inclusive
    def pick(self, items: Sequence[T]) -> T: ...
    def chance(self, p: float) -> bool: ...


class RandomChooser:
    """Choices from a seeded `random.Random` that the caller owns."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def pick(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


class DrawChooser:
    """Choices drawn by hypothesis; everything shrinks towards the plain case (the first
    item, the smallest number, the rare branch not taken)."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return int(self.draw(st.integers(lo, hi)))

    def pick(self, items: Sequence[T]) -> T:
        return items[self.draw(st.integers(0, len(items) - 1))]

    def chance(self, p: float) -> bool:
        return bool(self.draw(st.integers(0, 999)) >= round((1.0 - p) * 1000))


# --- policies ----------------------------------------------------------------------------
@cache
def example_policy() -> LoadedPolicy:
    return load_policy(EXAMPLES / "policy.yaml")


def overloaded_policy_raw() -> dict[str, Any]:
    """The example policy with little capacity per rep and an easy surge, the example team
    inline (its per-rep overrides still apply: rep-03 max 8 new a day, rep-07 25): the
    commercial pool overloads under the generator's campaign bursts."""
    raw = yaml.safe_load((EXAMPLES / "policy.yaml").read_text(encoding="utf-8"))
    raw["agreement"]["name"] = "Sales & Marketing SLA (overloaded test variant)"
    raw["routing"]["capacity"] = {"max_open": 6, "max_new_per_day": 5}
    raw["surge"]["enter"] = {"queued_per_available_rep": 2}
    raw["surge"]["exit"] = {"queued_per_available_rep": 0.5, "for": "20m"}
    raw["surge"]["actions"]["capacity"] = {"max_open": 9, "max_new_per_day": 8}
    raw["team"] = yaml.safe_load((EXAMPLES / "team.yaml").read_text(encoding="utf-8"))
    return raw


@cache
def overloaded_policy() -> LoadedPolicy:
    return policy_from_dict(overloaded_policy_raw(), name="overloaded")


POLICIES: dict[str, Callable[[], LoadedPolicy]] = {
    "example": example_policy,
    "overloaded": overloaded_policy,
}


# --- the builder --------------------------------------------------------------------------
@dataclass
class _LeadFacts:
    """What the generator believes about a lead (it never sees the engine's decisions)."""

    id: str
    segment: str
    likely_mql: bool = False
    engaged: int = 0


@dataclass
class StreamBuilder:
    c: Chooser
    start: datetime
    mean_step_s: int
    lead_prefix: str = "L"
    # Relative weights of the kinds of step (see `step`).
    weights: tuple[tuple[str, int], ...] = (
        ("arrival", 14),
        ("upsert", 16),
        ("engage", 20),
        ("touch", 16),
        ("disposition", 12),
        ("status", 14),
        ("resend", 6),
        ("malformed", 6),
    )
    quiet_nights: bool = False  # steps outside 07:00-19:00 New York are 6x longer
    lines: list[str] = field(default_factory=list)
    leads: list[_LeadFacts] = field(default_factory=list)
    t: datetime = field(init=False)
    seq: int = 0

    def __post_init__(self) -> None:
        self.t = self.start

    # --- time ---------------------------------------------------------------------------
    def tick(self, step_s: int | None = None) -> datetime:
        """The next event's time: mostly later than the last, sometimes a tie, sometimes
        late (earlier than events already sent)."""
        c = self.c
        if step_s is None:
            if c.chance(0.08):
                step_s = 0
            else:
                step_s = c.integer(1, 2 * self.mean_step_s)
                if self.quiet_nights and not 7 <= self.t.astimezone(NY).hour < 19:
                    step_s *= 6
        self.t += timedelta(seconds=step_s)
        if c.chance(0.06):
            return self.t - timedelta(seconds=c.integer(60, 3 * 3600))  # a late event
        return self.t

    def stamp(self, moment: datetime) -> str:
        if self.c.chance(0.15):
            return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return moment.astimezone(NY).isoformat()

    # --- output --------------------------------------------------------------------------
    def send(self, kind: str, moment: datetime, **fields: Any) -> None:
        self.seq += 1
        event = {"event_id": f"g{self.seq}", "type": kind, "at": self.stamp(moment), **fields}
        self.lines.append(json.dumps(event, separators=(",", ":")))

    # --- leads ---------------------------------------------------------------------------
    def new_lead(self, segment: str | None = None) -> _LeadFacts:
        c = self.c
        lead = _LeadFacts(
            f"{self.lead_prefix}-{len(self.leads) + 1:04d}", segment or c.pick(SEGMENTS)
        )
        self.leads.append(lead)
        return lead

    def some_lead(self, fresh: float = 0.3) -> _LeadFacts:
        if not self.leads or self.c.chance(fresh):
            return self.new_lead()
        # Mostly recent leads: streams are about leads in flight.
        lo = max(0, len(self.leads) - 25)
        return self.leads[self.c.integer(lo, len(self.leads) - 1)]

    def upsert(self, lead: _LeadFacts, moment: datetime, full: bool = False) -> None:
        c = self.c
        fields: dict[str, Any] = {"lead_id": lead.id}
        complete = full or c.chance(0.8)
        if complete or c.chance(0.5):
            fields["name"] = f"Person {lead.id}"
        if c.chance(0.04):
            fields["email"] = f"x{lead.id}@competitor.example"
        elif complete or c.chance(0.5):
            fields["email"] = f"{lead.id.lower()}@acme{c.integer(1, 9)}.example"
        if complete or c.chance(0.5):
            fields["company"] = f"Acme {c.integer(1, 50)}"
        if c.chance(0.04):
            fields["role"] = c.pick(("student", "Student"))
        elif complete or c.chance(0.5):
            fields["role"] = c.pick(ROLES)
        if complete or c.chance(0.5):
            fields["source"] = c.pick(SOURCES)
        if complete or c.chance(0.7):
            fields["score"] = c.integer(35, 100)
        if complete or c.chance(0.7):
            fields["fit"] = c.integer(55, 100)
        if c.chance(0.05):
            lead.segment = c.pick(SEGMENTS)
        if complete or c.chance(0.7):
            fields["segment"] = lead.segment
        if c.chance(0.3):
            fields["region"] = c.pick(("na", "emea", "apac"))
        if c.chance(0.08):
            fields["demo_requested"] = c.chance(0.7)
        if fields.get("score", 0) >= 50 and fields.get("fit", 0) >= 70:
            lead.likely_mql = True
        self.send("lead.upserted", moment, **fields)

    def engage(self, lead: _LeadFacts, moment: datetime) -> None:
        lead.engaged += 1
        self.send("lead.engaged", moment, lead_id=lead.id, activity=self.c.pick(ACTIVITIES))

    def touch(self, lead: _LeadFacts, moment: datetime) -> None:
        c = self.c
        self.send(
            "lead.touched",
            moment,
            lead_id=lead.id,
            rep_id=c.pick(REPS),
            channel=c.pick(CHANNELS),
            outcome=c.pick(OUTCOMES),
        )

    def disposition(self, lead: _LeadFacts, moment: datetime) -> None:
        c = self.c
        outcome = c.pick(("accepted", "accepted", "rejected", "rejected", "deferred"))
        fields: dict[str, Any] = {"lead_id": lead.id, "rep_id": c.pick(REPS), "outcome": outcome}
        roll = c.integer(0, 9)
        if roll == 0:
            pass  # no reason: refused for a rejection
        elif roll == 1:
            fields["reason"] = c.pick(INVALID_REASONS)
        elif outcome == "accepted":
            fields["reason"] = "accepted"
        elif outcome == "rejected":
            fields["reason"] = c.pick(REJECTED)
        else:
            fields["reason"] = c.pick(("timing", "budget_next_quarter"))
        if outcome == "deferred" and c.chance(0.8):
            until = moment + timedelta(minutes=c.integer(30, 2880))
            fields["defer_until"] = self.stamp(until)
        self.send("lead.dispositioned", moment, **fields)

    def status(self, moment: datetime) -> None:
        c = self.c
        rep_id = UNKNOWN_REP if c.chance(0.03) else c.pick(REPS)
        status = c.pick(STATUSES)
        fields: dict[str, Any] = {"rep_id": rep_id, "status": status}
        if c.chance(0.35):
            fields["until"] = self.stamp(moment + timedelta(minutes=c.integer(10, 1800)))
        self.send("rep.status", moment, **fields)

    def resend(self) -> None:
        sent = [line for line in self.lines if line.startswith('{"event_id"')]
        if sent:
            self.lines.append(self.c.pick(sent[-40:]))

    def malformed(self) -> None:
        c = self.c
        self.lines.append(c.pick(BLANK) if c.chance(0.2) else c.pick(MALFORMED))

    # --- one step of a stream -------------------------------------------------------------
    def step(self) -> None:
        c = self.c
        roll = c.integer(0, sum(w for _, w in self.weights) - 1)
        kind = self.weights[-1][0]
        for kind, weight in self.weights:  # noqa: B007 (the loop picks `kind`)
            if roll < weight:
                break
            roll -= weight
        if kind == "arrival":  # a complete lead that engages at once: an MQL, most likely
            lead = self.new_lead()
            self.upsert(lead, self.tick(), full=True)
            self.engage(lead, self.tick(c.integer(0, 300)))
        elif kind == "upsert":
            lead = self.some_lead(fresh=0.5)
            self.upsert(lead, self.tick(), full=lead.engaged == 0 and c.chance(0.5))
        elif kind == "engage":
            self.engage(self.some_lead(fresh=0.1), self.tick())
        elif kind == "touch":
            self.touch(self.some_lead(fresh=0.05), self.tick())
        elif kind == "disposition":
            likely = [x for x in self.leads[-30:] if x.likely_mql]
            lead = c.pick(likely) if likely and c.chance(0.85) else self.some_lead(0.05)
            self.disposition(lead, self.tick())
        elif kind == "status":
            self.status(self.tick())
        elif kind == "resend":
            self.resend()
        else:
            self.malformed()

    def burst(self, n: int, within_s: int) -> None:
        """A campaign: n complete, engaged commercial leads in a short stretch."""
        c = self.c
        for _ in range(n):
            lead = self.new_lead(segment=c.pick(("mid_market", "smb")))
            self.upsert(lead, self.tick(c.integer(0, max(1, within_s // n))), full=True)
            self.engage(lead, self.tick(c.integer(0, 60)))


# --- the two front doors --------------------------------------------------------------
BASE = datetime(2026, 1, 12, 7, 0, tzinfo=NY)  # a Monday with a plain working week after it


@st.composite
def event_streams(
    draw: Callable[[st.SearchStrategy[Any]], Any], max_events: int = 70, squeeze: float = 0.0
) -> Stream:
    """A stream of 0..max_events steps over a few days, for one of POLICIES. With
    probability `squeeze` the stream starts with most of the team on PTO (little capacity:
    queues, hand-backs, surges and pending reassignments are likely)."""
    c = DrawChooser(draw)
    policy = draw(st.sampled_from(sorted(POLICIES)))
    start = BASE + timedelta(days=c.integer(0, 3), minutes=15 * c.integer(0, 40))
    builder = StreamBuilder(c, start, mean_step_s=60 * c.integer(2, 60))
    if squeeze and c.chance(squeeze):
        for rep_id in REPS:
            if c.chance(0.7):
                builder.send("rep.status", start, rep_id=rep_id, status="pto")
    n = c.integer(min(10, max_events), max_events)
    for _ in range(n):
        if policy == "overloaded" and c.chance(0.05):
            builder.burst(c.integer(3, 10), 1800)
        else:
            builder.step()
    return Stream(policy, builder.lines)


def generated_stream(
    rng: random.Random, events: int = 3000, overloaded: bool = True, days: int = 5
) -> list[str]:
    """A large deterministic stream (about `events` lines) over `days` working days from
    Mon 2026-01-12: background traffic all day, plus (overloaded) a campaign burst into
    the commercial pool on most mornings."""
    c = RandomChooser(rng)
    span_s = days * 86400
    builder = StreamBuilder(
        c,
        BASE,
        mean_step_s=max(1, span_s * 7 // (events * 12)),
        weights=(
            ("arrival", 8),
            ("upsert", 20),
            ("engage", 24),
            ("touch", 20),
            ("disposition", 16),
            ("status", 4),
            ("resend", 4),
            ("malformed", 4),
        ),
        quiet_nights=True,
    )
    day_starts = [BASE + timedelta(days=d) for d in range(days)]
    next_burst = 0
    while len(builder.lines) < events:
        if (
            overloaded
            and next_burst < len(day_starts)
            and builder.t >= day_starts[next_burst] + timedelta(hours=3)
        ):
            if next_burst % 4 != 3:  # a quiet day now and then, so surges also end
                builder.burst(c.integer(30, 60), 2 * 3600)
            next_burst += 1
        builder.step()
    return builder.lines[:events]


@dataclass(frozen=True)
class Stream:
    policy: str  # a key of POLICIES
    lines: list[str]

    def loaded(self) -> LoadedPolicy:
        return POLICIES[self.policy]()

    def __repr__(self) -> str:  # readable falsifying examples
        body = "\n".join(self.lines)
        return f"Stream(policy={self.policy!r}, {len(self.lines)} lines)\n{body}"


def log_reader(
    log: Sequence[bytes],
) -> Callable[[int, int], AsyncIterator[tuple[int, bytes, int | None]]]:
    """A log (the routing log, or one input partition) as a stage reads a range of it after
    a restart (streams.stage_state.ReadRange): offset, record, no Kafka timestamp."""

    def for_partition(start: int, end: int) -> AsyncIterator[tuple[int, bytes, int | None]]:
        async def records() -> AsyncIterator[tuple[int, bytes, int | None]]:
            for offset in range(start, end):
                yield offset, log[offset], None

        return records()

    return for_partition


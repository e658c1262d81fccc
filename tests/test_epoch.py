"""Epoch seconds of input instants: `routing.outputs.epoch` is `datetime.timestamp()`, to
the same float, for the instants events carry (parsed, simulated, any zone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.events import parse_event
from routing.outputs import epoch

OFFSETS = ["Z", "+00:00", "-05:00", "-04:00", "+05:30", "+14:00", "-12:00", "+05:45"]


@settings(max_examples=500, deadline=None)
@given(
    t=st.integers(min_value=946_684_800, max_value=4_102_444_800),  # 2000 .. 2100
    micro=st.sampled_from([0, 0, 1, 500_000, 999_999, 123_456]),
    offset=st.sampled_from(OFFSETS),
)
def test_parsed_instants_give_what_timestamp_gives(t: int, micro: int, offset: str) -> None:
    local = datetime.fromtimestamp(t, UTC).replace(tzinfo=None, microsecond=micro)
    text = local.isoformat() + offset
    event = parse_event(
        f'{{"type":"lead.engaged","event_id":"e","lead_id":"L","activity":"x","at":"{text}"}}'
    )
    assert type(epoch(event.at)) is float
    assert epoch(event.at) == event.at.timestamp()


@settings(max_examples=500, deadline=None)
@given(t=st.floats(min_value=946_684_800, max_value=4_102_444_800, allow_nan=False))
def test_simulated_instants_in_utc_give_what_timestamp_gives(t: float) -> None:
    moment = datetime.fromtimestamp(t, UTC)  # what the simulator builds
    assert epoch(moment) == moment.timestamp()
    fixed = moment.astimezone(timezone(timedelta(hours=-3, minutes=-30, microseconds=-7)))
    assert epoch(fixed) == fixed.timestamp()


def test_zones_whose_offset_depends_on_the_date_take_the_exact_path() -> None:
    tz = ZoneInfo("America/New_York")
    for text in ("2026-03-08T01:59:59", "2026-03-08T03:00:00", "2026-11-01T01:30:00"):
        for fold in (0, 1):
            moment = datetime.fromisoformat(text).replace(tzinfo=tz, fold=fold)
            assert epoch(moment) == moment.timestamp()

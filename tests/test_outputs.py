"""Decisions' times: RFC 3339 in the policy's zone, exact across DST, fast path or not."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.outputs import Emitter, TimeFormat

ZONES = ["America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Europe/London", "UTC"]


def exact(t: float, zone: str) -> str:
    moment = datetime.fromtimestamp(round(t, 3), ZoneInfo(zone))
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    t=st.integers(min_value=1_704_067_200, max_value=1_830_297_600),  # 2024 .. 2028
    fraction=st.sampled_from([0.0, 0.0, 0.25, 0.5]),
)
def test_time_format_matches_the_zone_database(zone: str, t: int, fraction: float) -> None:
    fmt = TimeFormat(ZoneInfo(zone))
    assert fmt(t + fraction) == exact(t + fraction, zone)
    assert fmt(t + fraction) == exact(t + fraction, zone)  # cached: the same text


@settings(max_examples=600, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    t=st.floats(min_value=1_704_067_200, max_value=1_830_297_600, allow_nan=False),
)
def test_fractional_seconds_round_to_milliseconds_as_datetime_does(zone: str, t: float) -> None:
    """Simulated times are arbitrary floats: the fast path must round them exactly as
    `datetime.fromtimestamp(round(t, 3))` does (half to even), carries included."""
    fmt = TimeFormat(ZoneInfo(zone))
    for u in (t, int(t) + 0.9995, int(t) + 0.0005, int(t) + 0.0015, int(t) + 0.999_999_9):
        assert fmt(u) == exact(u, zone)


def test_dst_change_in_new_york_is_written_with_both_offsets() -> None:
    fmt = TimeFormat(ZoneInfo("America/New_York"))
    before = datetime.fromisoformat("2026-03-08T01:59:59-05:00").timestamp()
    assert fmt(before) == "2026-03-08T01:59:59-05:00"
    assert fmt(before + 1) == "2026-03-08T03:00:00-04:00"


def test_emitter_ids_derive_from_cause_type_and_subject() -> None:
    em = Emitter(TimeFormat(ZoneInfo("UTC")))
    em.emit("sla.breached", 0.0, "L-1#1/first_touch/1@breach", "L-1", lead_id="L-1", rep_id=None)
    out = em.take()
    assert out == [
        {
            "event_id": "L-1#1/first_touch/1@breach:sla.breached:L-1",
            "type": "sla.breached",
            "at": "1970-01-01T00:00:00+00:00",
            "lead_id": "L-1",
        }
    ]
    assert em.take() == []

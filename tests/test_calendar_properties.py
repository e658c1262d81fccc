"""Properties of BusinessCalendar over several zones and calendars (hypothesis).

Instants range over 2024-2028 and are drawn often from the weeks around each
zone's DST transitions and from local :00/:30 boundaries, where bugs live.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.calendar import WEEKDAYS, BusinessCalendar

ZONES = (
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Los_Angeles",
)
WORKWEEK = ("mon", "tue", "wed", "thu", "fri")
HOLIDAYS = [date(y, 1, 1) for y in range(2024, 2030)] + [date(y, 12, 25) for y in range(2024, 2030)]
HOLIDAYS += [date(2026, 1, 19), date(2026, 11, 26), date(2026, 11, 27), date(2025, 3, 31)]
HOURS: dict[str, dict[str, str | list[str]]] = {
    "office": dict.fromkeys(WORKWEEK, "09:00-17:00"),
    "always": dict.fromkeys(WEEKDAYS, "00:00-24:00"),
    "split": {
        **{day: ["08:30-12:00", "13:00-17:30"] for day in WORKWEEK},
        "sat": "10:00-14:00",
    },
    # Ranges that touch the small hours, where DST gaps and folds happen.
    "night": {day: ["00:00-02:30", "20:00-24:00"] for day in WEEKDAYS},
}
KINDS_WITH_HOLIDAYS = {"office", "split"}

LO = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
HI = int(datetime(2029, 1, 1, tzinfo=UTC).timestamp())
DAY = 86400.0
MAX_ADD = 30 * DAY  # 30 business days of a 24/7 calendar; 90 of an 8-hour one
TOL = 1e-6

PROPS = settings(max_examples=200, deadline=None)


@cache
def calendar(zone: str, kind: str) -> BusinessCalendar:
    holidays = HOLIDAYS if kind in KINDS_WITH_HOLIDAYS else []
    return BusinessCalendar(zone, HOURS[kind], holidays)


@cache
def transitions(zone: str) -> tuple[int, ...]:
    """UTC epochs (to the day) where the zone's offset changes in 2024-2028."""
    tz = ZoneInfo(zone)
    found: list[int] = []
    previous = datetime.fromtimestamp(LO, tz).utcoffset()
    for t in range(LO, HI, 86400):
        offset = datetime.fromtimestamp(t, tz).utcoffset()
        if offset != previous:
            found.append(t)
        previous = offset
    return tuple(found)


calendars = st.tuples(st.sampled_from(ZONES), st.sampled_from(sorted(HOURS))).map(
    lambda zk: calendar(*zk)
)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> float:
    """An instant in 2024-2028: anywhere, near a DST switch, or on a local half hour."""
    how = draw(st.sampled_from(["any", "dst", "half_hour"]))
    if how == "dst" and transitions(zone):
        base = draw(st.sampled_from(transitions(zone)))
        t = base + draw(st.integers(-4 * 86400, 4 * 86400))
    elif how == "half_hour" or how == "dst":
        t = draw(st.integers(LO // 1800, HI // 1800)) * 1800
        if how == "dst":  # zone without DST: shift to any second
            t += draw(st.integers(0, 1799))
    else:
        t = draw(st.integers(LO, HI))
    frac = draw(st.one_of(st.just(0.0), st.floats(0, 1, exclude_max=True)))
    return float(t) + frac


@st.composite
def cal_and_instants(draw: st.DrawFn, count: int) -> tuple[BusinessCalendar, list[float]]:
    cal = draw(calendars)
    return cal, [draw(instants(cal.timezone)) for _ in range(count)]


business_seconds = st.one_of(
    st.just(0.0),
    st.integers(0, int(MAX_ADD) // 900).map(lambda n: n * 900.0),
    st.floats(0, MAX_ADD, allow_nan=False, allow_subnormal=False),
)


def is_working_instant(cal: BusinessCalendar, r: float) -> bool:
    """Inside a working interval, or exactly at one's end (never in closed time)."""
    d = cal.local_date(r)
    spans = cal.intervals_on(d) + cal.intervals_on(d - timedelta(days=1))
    return any(start <= r <= end for start, end in spans)


def is_closing(cal: BusinessCalendar, r: float) -> bool:
    d = cal.local_date(r)
    for day in (d, d - timedelta(days=1)):
        spans = cal.intervals_on(day)
        if spans and spans[-1][1] == r:
            return True
    return False


# ---------------------------------------------------------------- add / between


@PROPS
@given(cal_and_instants(1), business_seconds)
def test_add_then_between_returns_the_duration(
    ct: tuple[BusinessCalendar, list[float]], s: float
) -> None:
    cal, (t,) = ct
    r = cal.add(t, s)
    assert r >= t
    assert abs(cal.between(t, r) - s) <= TOL


@PROPS
@given(cal_and_instants(1), business_seconds)
def test_add_never_lands_in_closed_time_and_is_earliest(
    ct: tuple[BusinessCalendar, list[float]], s: float
) -> None:
    cal, (t,) = ct
    r = cal.add(t, s)
    if s == 0:
        assert r == t
        return
    assert is_working_instant(cal, r)
    if s >= 1e-3 and r - 1e-3 >= t:
        # One millisecond earlier, not all of s has elapsed yet.
        assert cal.between(t, r - 1e-3) < s


@PROPS
@given(cal_and_instants(1), business_seconds, business_seconds)
def test_add_is_monotonic_in_the_duration(
    ct: tuple[BusinessCalendar, list[float]], s1: float, s2: float
) -> None:
    cal, (t,) = ct
    s1, s2 = sorted((s1, s2))
    assert cal.add(t, s1) <= cal.add(t, s2)


@PROPS
@given(cal_and_instants(2), business_seconds)
def test_add_is_monotonic_in_the_start(ct: tuple[BusinessCalendar, list[float]], s: float) -> None:
    cal, ts = ct
    t1, t2 = sorted(ts)
    assert cal.add(t1, s) <= cal.add(t2, s)


@PROPS
@given(cal_and_instants(3))
def test_between_is_additive(ct: tuple[BusinessCalendar, list[float]]) -> None:
    cal, (a, b, c) = ct
    total = cal.between(a, c)
    assert abs(cal.between(a, b) + cal.between(b, c) - total) <= TOL
    assert cal.between(c, a) == -total
    lo, hi = sorted((a, c))
    assert 0 <= cal.between(lo, hi) <= hi - lo


# ---------------------------------------------------------------- state queries


@PROPS
@given(cal_and_instants(1))
def test_open_state_matches_the_days_intervals(ct: tuple[BusinessCalendar, list[float]]) -> None:
    cal, (t,) = ct
    assert cal.local_date(t) == cal.to_datetime(t).date()
    spans = cal.intervals_on(cal.local_date(t))
    assert cal.is_open(t) == any(start <= t < end for start, end in spans)


@PROPS
@given(cal_and_instants(1))
def test_state_until_is_the_next_change(ct: tuple[BusinessCalendar, list[float]]) -> None:
    cal, (t,) = ct
    is_open, until = cal.state_until(t)
    assert is_open == cal.is_open(t)
    assert until > t
    if until == float("inf"):
        assert is_open
        return
    assert cal.is_open(until) != is_open
    # Constant on [t, until): all working time if open, none if closed.
    assert cal.between(t, until) == (until - t if is_open else 0.0)


@PROPS
@given(cal_and_instants(1))
def test_next_open(ct: tuple[BusinessCalendar, list[float]]) -> None:
    cal, (t,) = ct
    n = cal.next_open(t)
    assert n >= t
    assert cal.is_open(n)
    assert cal.between(t, n) == 0
    assert (n == t) == cal.is_open(t)


# ---------------------------------------------------------------- day-based


@PROPS
@given(cal_and_instants(1))
def test_end_of_business_day_is_a_closing_after_t(
    ct: tuple[BusinessCalendar, list[float]],
) -> None:
    cal, (t,) = ct
    r = cal.end_of_business_day(t)
    assert r > t
    assert is_closing(cal, r)
    # It closes the day t is in, or the day the calendar next opens.
    d = cal.local_date(t)
    spans = cal.intervals_on(d)
    if spans and spans[0][0] <= t < spans[-1][1]:
        assert r == spans[-1][1]
    else:
        assert r == cal.intervals_on(cal.local_date(cal.next_open(t)))[-1][1]


@PROPS
@given(cal_and_instants(1), st.integers(0, 25))
def test_add_days_moves_forward_onto_working_time(
    ct: tuple[BusinessCalendar, list[float]], days: int
) -> None:
    cal, (t,) = ct
    r = cal.add_days(t, days)
    if days == 0:
        assert r == t
        return
    assert r > t
    assert is_working_instant(cal, r)
    assert cal.add_days(t, days + 1) > r

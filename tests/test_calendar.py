"""Business calendar: pinned instants for hours, holidays, weekends and DST."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing.calendar import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    parse_hours,
    to_epoch,
)

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
WORKWEEK = ("mon", "tue", "wed", "thu", "fri")
HOLIDAYS_2026 = [
    date(2026, 1, 1),
    date(2026, 1, 19),
    date(2026, 2, 16),
    date(2026, 5, 25),
    date(2026, 7, 3),
    date(2026, 9, 7),
    date(2026, 11, 26),
    date(2026, 11, 27),
    date(2026, 12, 25),
]
H = 3600.0


def ny(*args: int) -> float:
    return to_epoch(datetime(*args, tzinfo=NY))  # type: ignore[misc]


def la(*args: int) -> float:
    return to_epoch(datetime(*args, tzinfo=LA))  # type: ignore[misc]


@pytest.fixture(scope="module")
def office() -> BusinessCalendar:
    """The reference policy's calendar: New York, Mon-Fri 09-17, 2026 holidays."""
    return BusinessCalendar(
        "America/New_York", dict.fromkeys(WORKWEEK, "09:00-17:00"), HOLIDAYS_2026
    )


@pytest.fixture(scope="module")
def always() -> BusinessCalendar:
    return BusinessCalendar("America/New_York", dict.fromkeys(WEEKDAYS, "00:00-24:00"))


@pytest.fixture(scope="module")
def split() -> BusinessCalendar:
    return BusinessCalendar(
        "America/New_York", {day: ["13:00-17:00", "09:00-12:00"] for day in WORKWEEK}
    )


# ---------------------------------------------------------------- parse_hours


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-17:00", (540, 1020)),
        ("00:00-24:00", (0, 1440)),
        ("9:30-12:15", (570, 735)),
        (" 08:00 - 16:00 ", (480, 960)),
        ("23:59-24:00", (1439, 1440)),
    ],
)
def test_parse_hours(text: str, expected: tuple[int, int]) -> None:
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("9-17", "HH:MM-HH:MM"),
        ("09:00", "HH:MM-HH:MM"),
        ("09:00-17:00-18:00", "HH:MM-HH:MM"),
        ("", "HH:MM-HH:MM"),
        ("17:00-09:00", "end must be after the start"),
        ("09:00-09:00", "end must be after the start"),
        ("09:60-17:00", "minutes 00-59"),
        ("25:00-26:00", "hours 00-23"),
        ("09:00-24:30", "24:00 as an end"),
        ("24:00-24:00", "24:00"),
    ],
)
def test_parse_hours_errors_name_the_text(text: str, why: str) -> None:
    with pytest.raises(CalendarError) as info:
        parse_hours(text)
    message = str(info.value)
    assert repr(text) in message
    assert '"HH:MM-HH:MM"' in message
    assert why in message


# ---------------------------------------------------------------- construction errors


def test_unknown_timezone_is_named() -> None:
    with pytest.raises(CalendarError, match="Mars/Olympus_Mons"):
        BusinessCalendar("Mars/Olympus_Mons", {"mon": "09:00-17:00"})


def test_unknown_weekday_is_named() -> None:
    with pytest.raises(CalendarError, match="'monday'"):
        BusinessCalendar("UTC", {"monday": "09:00-17:00"})


def test_bad_hours_name_the_day_and_text() -> None:
    with pytest.raises(CalendarError, match=r"'tue'.*'17:00-09:00'"):
        BusinessCalendar("UTC", {"mon": "09:00-17:00", "tue": "17:00-09:00"})


def test_overlapping_ranges_are_refused() -> None:
    with pytest.raises(CalendarError, match="overlap"):
        BusinessCalendar("UTC", {"mon": ["09:00-13:00", "12:00-17:00"]})


def test_calendar_without_hours_is_refused() -> None:
    with pytest.raises(CalendarError, match="no working hours"):
        BusinessCalendar("UTC", {})
    with pytest.raises(CalendarError, match="no working hours"):
        BusinessCalendar("UTC", {"mon": []})


def test_holidays_must_be_dates() -> None:
    with pytest.raises(CalendarError, match="2026-01-01"):
        BusinessCalendar("UTC", {"mon": "09:00-17:00"}, ["2026-01-01"])  # type: ignore[list-item]


def test_adjacent_ranges_merge_and_ranges_are_sorted() -> None:
    cal = BusinessCalendar("UTC", {"mon": ["12:00-17:00", "09:00-12:00"]})
    assert cal.weekly_hours == {"mon": ((540, 1020),)}
    monday = date(2026, 1, 5)
    start = to_epoch(datetime(2026, 1, 5, 9, tzinfo=UTC))
    assert cal.intervals_on(monday) == ((start, start + 8 * H),)


def test_to_epoch_refuses_naive_datetimes() -> None:
    with pytest.raises(CalendarError, match="naive"):
        to_epoch(datetime(2026, 1, 6, 9))


def test_to_datetime_round_trips(office: BusinessCalendar) -> None:
    t = ny(2026, 3, 9, 11)
    dt = office.to_datetime(t)
    assert dt == datetime(2026, 3, 9, 11, tzinfo=NY)
    assert dt.utcoffset() == timedelta(hours=-4)
    assert to_epoch(dt) == t


# ---------------------------------------------------------------- intervals and dates


def test_intervals_on_working_day_weekend_and_holiday(office: BusinessCalendar) -> None:
    assert office.intervals_on(date(2026, 1, 6)) == ((ny(2026, 1, 6, 9), ny(2026, 1, 6, 17)),)
    assert office.intervals_on(date(2026, 1, 10)) == ()  # Saturday
    assert office.intervals_on(date(2026, 1, 19)) == ()  # MLK day
    assert office.is_working_day(date(2026, 1, 20))
    assert not office.is_working_day(date(2026, 1, 19))


def test_local_date_midnights_and_week_start(office: BusinessCalendar) -> None:
    t = ny(2026, 3, 8, 23, 30)  # Sunday, after spring forward
    assert office.local_date(t) == date(2026, 3, 8)
    assert office.local_date(ny(2026, 3, 9, 0, 0)) == date(2026, 3, 9)
    assert office.local_date(ny(2026, 3, 8, 23, 59, 59)) == date(2026, 3, 8)
    assert office.next_local_midnight(t) == ny(2026, 3, 9)
    assert office.next_local_midnight(ny(2026, 3, 7, 12)) - ny(2026, 3, 7, 12) == 12 * H
    assert office.week_start(t) == ny(2026, 3, 2)
    assert office.week_start(ny(2026, 3, 9)) == ny(2026, 3, 9)
    # Local date is not the UTC date: 21:00 EST is already tomorrow in UTC.
    assert office.local_date(ny(2026, 1, 6, 21)) == date(2026, 1, 6)


# ---------------------------------------------------------------- 24/7 across DST


def test_spring_forward_day_is_23_hours(always: BusinessCalendar) -> None:
    assert always.between(ny(2026, 3, 8), ny(2026, 3, 9)) == 23 * H
    ((start, end),) = always.intervals_on(date(2026, 3, 8))
    assert (start, end) == (ny(2026, 3, 8), ny(2026, 3, 9))
    assert end - start == 23 * H


def test_fall_back_day_is_25_hours(always: BusinessCalendar) -> None:
    assert always.between(ny(2026, 11, 1), ny(2026, 11, 2)) == 25 * H


def test_adding_across_spring_forward(always: BusinessCalendar) -> None:
    result = always.add(ny(2026, 3, 8, 0, 30), 3 * H)
    assert always.to_datetime(result).isoformat() == "2026-03-08T04:30:00-04:00"


def test_always_open_never_changes_state(always: BusinessCalendar) -> None:
    assert always.state_until(ny(2026, 3, 8, 1)) == (True, math.inf)
    assert always.next_open(ny(2026, 7, 4, 3)) == ny(2026, 7, 4, 3)


def test_twenty_four_seven_with_a_holiday_closes_at_its_midnight() -> None:
    cal = BusinessCalendar(
        "America/New_York", dict.fromkeys(WEEKDAYS, "00:00-24:00"), [date(2026, 7, 4)]
    )
    assert cal.state_until(ny(2026, 7, 1, 12)) == (True, ny(2026, 7, 4))
    assert cal.state_until(ny(2026, 7, 4, 12)) == (False, ny(2026, 7, 5))
    assert cal.add(ny(2026, 7, 3, 23), 2 * H) == ny(2026, 7, 5, 1)


def test_range_in_the_dst_gap_uses_fold_zero() -> None:
    # 02:30 does not exist on 2026-03-08 in New York; fold=0 reads it as EST (= 03:30 EDT).
    cal = BusinessCalendar("America/New_York", {"sun": "02:30-05:00"})
    ((start, end),) = cal.intervals_on(date(2026, 3, 8))
    assert start == to_epoch(datetime(2026, 3, 8, 7, 30, tzinfo=UTC))
    assert cal.to_datetime(start).isoformat() == "2026-03-08T03:30:00-04:00"
    assert end - start == 1.5 * H


def test_ranges_that_overlap_after_the_dst_gap_are_merged() -> None:
    # 02:45 (fold=0) is 07:45 UTC, after 03:00 EDT (07:00 UTC): the ranges overlap in UTC.
    cal = BusinessCalendar("America/New_York", {"sun": ["01:00-02:45", "03:00-04:00"]})
    spans = cal.intervals_on(date(2026, 3, 8))
    assert spans == ((ny(2026, 3, 8, 1), ny(2026, 3, 8, 4)),)
    assert cal.between(ny(2026, 3, 8), ny(2026, 3, 9)) == 2 * H
    assert cal.state_until(ny(2026, 3, 8, 1)) == (True, ny(2026, 3, 8, 4))


def test_range_in_the_dst_fold_uses_its_first_occurrence() -> None:
    cal = BusinessCalendar("America/New_York", {"sun": "01:30-03:00"})
    ((start, end),) = cal.intervals_on(date(2026, 11, 1))
    assert cal.to_datetime(start).isoformat() == "2026-11-01T01:30:00-04:00"
    assert end - start == 2.5 * H


# ---------------------------------------------------------------- Mon-Fri 9-17


def test_add_within_the_day(office: BusinessCalendar) -> None:
    assert office.add(ny(2026, 1, 6, 10), 4 * H) == ny(2026, 1, 6, 14)
    assert office.add(ny(2026, 1, 6, 13), 4 * H) == ny(2026, 1, 6, 17)  # exactly at closing
    assert office.add(ny(2026, 1, 6, 13), 4 * H + 1) == ny(2026, 1, 7, 9, 0, 1)


def test_add_zero_does_not_move(office: BusinessCalendar) -> None:
    saturday = ny(2026, 1, 10, 12)
    assert office.add(saturday, 0) == saturday
    with pytest.raises(CalendarError, match="negative"):
        office.add(saturday, -1)


def test_add_from_closed_time_starts_at_next_opening(office: BusinessCalendar) -> None:
    assert office.add(ny(2026, 1, 6, 7), 1 * H) == ny(2026, 1, 6, 10)
    assert office.add(ny(2026, 1, 6, 18), 1 * H) == ny(2026, 1, 7, 10)


def test_dst_weekend_with_business_hours(office: BusinessCalendar) -> None:
    # Fri 15:00 EST + 4 business hours: 2 h on Friday, 2 h on Monday (now EDT).
    result = office.add(ny(2026, 3, 6, 15), 4 * H)
    assert result == ny(2026, 3, 9, 11)
    assert office.to_datetime(result).isoformat() == "2026-03-09T11:00:00-04:00"
    assert office.between(ny(2026, 3, 6, 15), result) == 4 * H


def test_holiday_monday_is_skipped(office: BusinessCalendar) -> None:
    # MLK day 2026-01-19.
    assert office.add(ny(2026, 1, 16, 16), 4 * H) == ny(2026, 1, 20, 12)
    assert office.between(ny(2026, 1, 16, 16), ny(2026, 1, 20, 12)) == 4 * H


def test_thanksgiving_thursday_and_friday_are_skipped(office: BusinessCalendar) -> None:
    assert office.add(ny(2026, 11, 25, 16), 2 * H) == ny(2026, 11, 30, 10)


def test_weekend(office: BusinessCalendar) -> None:
    assert office.next_open(ny(2026, 1, 10, 12)) == ny(2026, 1, 12, 9)
    assert office.between(ny(2026, 1, 9, 16), ny(2026, 1, 12, 10)) == 2 * H
    assert office.between(ny(2026, 1, 12, 10), ny(2026, 1, 9, 16)) == -2 * H
    assert office.between(ny(2026, 1, 10, 1), ny(2026, 1, 11, 23)) == 0


def test_long_spans(office: BusinessCalendar) -> None:
    # 20 business days from Mon 2026-02-02 09:00; Presidents' Day (02-16) is a holiday.
    start = ny(2026, 2, 2, 9)
    end = office.add(start, 20 * 8 * H)
    assert end == ny(2026, 3, 2, 17)
    assert office.between(start, end) == 160 * H
    # A whole year of 2026: 261 weekdays minus 9 holidays.
    assert office.between(ny(2026, 1, 1), ny(2027, 1, 1)) == (261 - 9) * 8 * H


def test_is_open_and_next_open(office: BusinessCalendar) -> None:
    assert office.is_open(ny(2026, 1, 6, 9))  # opening is inclusive
    assert office.is_open(ny(2026, 1, 6, 16, 59, 59))
    assert not office.is_open(ny(2026, 1, 6, 17))  # closing is exclusive
    assert not office.is_open(ny(2026, 1, 19, 12))  # holiday
    assert office.next_open(ny(2026, 1, 6, 12)) == ny(2026, 1, 6, 12)
    assert office.next_open(ny(2026, 1, 6, 17)) == ny(2026, 1, 7, 9)
    assert office.next_open(ny(2026, 1, 16, 17)) == ny(2026, 1, 20, 9)  # over MLK weekend


def test_state_until(office: BusinessCalendar) -> None:
    assert office.state_until(ny(2026, 1, 6, 12)) == (True, ny(2026, 1, 6, 17))
    assert office.state_until(ny(2026, 1, 6, 17)) == (False, ny(2026, 1, 7, 9))
    assert office.state_until(ny(2026, 1, 16, 20)) == (False, ny(2026, 1, 20, 9))


def test_instants_far_apart_are_handled(office: BusinessCalendar) -> None:
    # The calendar's internal window must grow backwards and forwards correctly.
    assert office.add(ny(2019, 6, 14, 16), 2 * H) == ny(2019, 6, 17, 10)
    assert office.add(ny(2031, 6, 13, 16), 2 * H) == ny(2031, 6, 16, 10)
    assert office.is_open(ny(2026, 1, 6, 12))


# ---------------------------------------------------------------- another zone


def test_rep_in_los_angeles() -> None:
    cal = BusinessCalendar(
        "America/Los_Angeles", dict.fromkeys(WORKWEEK, "08:00-16:00"), HOLIDAYS_2026
    )
    assert cal.is_open(ny(2026, 1, 6, 18, 30))  # 15:30 in LA
    assert not cal.is_open(ny(2026, 1, 6, 19, 30))  # 16:30 in LA
    assert not cal.is_open(ny(2026, 1, 6, 10, 30))  # 07:30 in LA
    # Holidays apply on the LA date: MLK day 08:00-16:00 LA is closed...
    assert not cal.is_open(la(2026, 1, 19, 12))
    # ...while 2026-01-19 22:00 in New York is still Monday 19:00 in LA: closed,
    # and the next opening is Tuesday 08:00 LA (11:00 New York).
    assert cal.next_open(ny(2026, 1, 19, 22)) == ny(2026, 1, 20, 11)
    assert cal.local_date(ny(2026, 1, 20, 2)) == date(2026, 1, 19)


# ---------------------------------------------------------------- end_of_business_day


def test_end_of_business_day(office: BusinessCalendar) -> None:
    assert office.end_of_business_day(ny(2026, 1, 6, 11, 31)) == ny(2026, 1, 6, 17)
    assert office.end_of_business_day(ny(2026, 1, 6, 9)) == ny(2026, 1, 6, 17)
    assert office.end_of_business_day(ny(2026, 1, 6, 7)) == ny(2026, 1, 6, 17)
    assert office.end_of_business_day(ny(2026, 1, 6, 17, 21)) == ny(2026, 1, 7, 17)
    assert office.end_of_business_day(ny(2026, 1, 6, 17)) == ny(2026, 1, 7, 17)
    assert office.end_of_business_day(ny(2026, 1, 10, 12)) == ny(2026, 1, 12, 17)


def test_end_of_business_day_before_holiday_monday(office: BusinessCalendar) -> None:
    assert office.end_of_business_day(ny(2026, 1, 16, 15)) == ny(2026, 1, 16, 17)
    assert office.end_of_business_day(ny(2026, 1, 16, 18)) == ny(2026, 1, 20, 17)


def test_end_of_business_day_lunch_gap_counts_as_inside(split: BusinessCalendar) -> None:
    assert split.end_of_business_day(ny(2026, 1, 6, 12, 30)) == ny(2026, 1, 6, 17)


def test_end_of_business_day_twenty_four_seven(always: BusinessCalendar) -> None:
    assert always.end_of_business_day(ny(2026, 3, 8, 12)) == ny(2026, 3, 9)
    assert always.end_of_business_day(ny(2026, 3, 9)) == ny(2026, 3, 10)


# ---------------------------------------------------------------- add_days


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ((2026, 1, 6, 17, 21), 2, (2026, 1, 8, 17)),  # Tue after hours -> Thu close
        ((2026, 1, 6, 9), 1, (2026, 1, 6, 17)),  # at opening: day 1 is today
        ((2026, 1, 6, 10, 2), 3, (2026, 1, 9, 10, 2)),  # same offset, 3 days later
        ((2026, 1, 9, 10), 1, (2026, 1, 12, 10)),  # Fri -> Mon
        ((2026, 1, 6, 7), 1, (2026, 1, 6, 17)),  # before opening
        ((2026, 1, 10, 12), 1, (2026, 1, 12, 17)),  # Saturday
        ((2026, 1, 16, 10), 1, (2026, 1, 20, 10)),  # over MLK Monday
        ((2026, 1, 16, 17), 2, (2026, 1, 21, 17)),  # exactly at closing = after hours
        ((2026, 3, 6, 15), 1, (2026, 3, 9, 15)),  # across the DST weekend, wall time kept
        ((2026, 11, 25, 12), 1, (2026, 11, 30, 12)),  # over Thanksgiving
        ((2026, 1, 6, 10), 10, (2026, 1, 21, 10)),  # 10d over MLK
    ],
)
def test_add_days(
    office: BusinessCalendar,
    start: tuple[int, ...],
    days: int,
    expected: tuple[int, ...],
) -> None:
    assert office.add_days(ny(*start), days) == ny(*expected)


def test_add_zero_days_does_not_move(office: BusinessCalendar) -> None:
    assert office.add_days(ny(2026, 1, 10, 12), 0) == ny(2026, 1, 10, 12)


def test_add_days_refuses_negative_and_fractional(office: BusinessCalendar) -> None:
    with pytest.raises(CalendarError, match="whole number"):
        office.add_days(ny(2026, 1, 6, 12), -1)
    # Compiled (mypyc), the declared `int` is checked at the call: a TypeError instead.
    with pytest.raises((CalendarError, TypeError), match=r"whole number|int object expected"):
        office.add_days(ny(2026, 1, 6, 12), 1.5)  # type: ignore[arg-type]


def test_add_days_with_a_split_day(split: BusinessCalendar) -> None:
    # Offset 3.5 h (09:00-12:00 plus 13:00-13:30) is kept.
    assert split.add_days(ny(2026, 1, 6, 13, 30), 1) == ny(2026, 1, 7, 13, 30)
    # In the lunch gap the offset is the whole morning: the earliest instant with it is 12:00.
    assert split.add_days(ny(2026, 1, 6, 12, 30), 1) == ny(2026, 1, 7, 12)
    assert split.add_days(ny(2026, 1, 6, 18), 1) == ny(2026, 1, 7, 17)
    assert split.between(ny(2026, 1, 6, 8), ny(2026, 1, 6, 18)) == 7 * H
    assert split.add(ny(2026, 1, 6, 11), 2 * H) == ny(2026, 1, 6, 14)
    assert split.add(ny(2026, 1, 6, 11), 1 * H) == ny(2026, 1, 6, 12)  # not 13:00


def test_add_days_clamps_to_a_shorter_day() -> None:
    cal = BusinessCalendar("UTC", {"thu": "09:00-17:00", "fri": "09:00-13:00"})

    def utc(*args: int) -> float:
        return to_epoch(datetime(*args, tzinfo=UTC))  # type: ignore[misc]

    assert cal.add_days(utc(2026, 1, 8, 15), 1) == utc(2026, 1, 9, 13)
    assert cal.add_days(utc(2026, 1, 8, 10), 1) == utc(2026, 1, 9, 10)
    assert cal.add_days(utc(2026, 1, 9, 12), 1) == utc(2026, 1, 15, 12)


def test_add_days_twenty_four_seven(always: BusinessCalendar) -> None:
    assert always.add_days(ny(2026, 1, 6, 0), 1) == ny(2026, 1, 7)  # midnight = opening
    assert always.add_days(ny(2026, 1, 6, 10), 2) == ny(2026, 1, 8, 10)


# ---------------------------------------------------------------- guards


def test_calendar_with_no_working_time_ahead_raises_instead_of_hanging() -> None:
    first = date(2026, 1, 5)
    holidays = [first + timedelta(days=i) for i in range(8000)]
    cal = BusinessCalendar("UTC", {"mon": "09:00-17:00"}, holidays)
    t = to_epoch(datetime(2026, 1, 5, tzinfo=UTC))
    with pytest.raises(CalendarError, match="no working hours within"):
        cal.next_open(t)
    with pytest.raises(CalendarError, match="no working hours within"):
        cal.add(t, 1)
    with pytest.raises(CalendarError, match="no working hours within"):
        cal.add_days(t, 1)


def test_absurd_spans_raise(office: BusinessCalendar) -> None:
    t = ny(2026, 1, 6, 12)
    with pytest.raises(CalendarError, match="too long"):
        office.add(t, 1e12)
    with pytest.raises(CalendarError):
        office.between(t, t + 1e13)
    with pytest.raises(CalendarError):
        office.is_open(math.nan)

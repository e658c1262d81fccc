"""Parsing policy durations: "30s", "5m", "4h", "2d", "13w"."""

from __future__ import annotations

import dataclasses

import pytest

from routing.durations import Duration, DurationError, parse_duration


@pytest.mark.parametrize(
    ("text", "count", "unit", "seconds"),
    [
        ("30s", 30, "s", 30),
        ("5m", 5, "m", 300),
        ("1h", 1, "h", 3600),
        ("4h", 4, "h", 14400),
        ("48h", 48, "h", 172800),
        ("2d", 2, "d", 172800),
        ("10d", 10, "d", 864000),
        ("13w", 13, "w", 13 * 604800),
        ("1.5h", 1.5, "h", 5400),
        ("0.5d", 0.5, "d", 43200),
        ("0m", 0, "m", 0),
    ],
)
def test_parses_every_unit(text: str, count: float, unit: str, seconds: float) -> None:
    duration = parse_duration(text)
    assert duration == Duration(count=count, unit=unit, text=text)
    assert duration.seconds == seconds
    assert str(duration) == text


def test_surrounding_whitespace_is_stripped() -> None:
    duration = parse_duration("  5m\n")
    assert duration.seconds == 300
    assert duration.text == "5m"


def test_is_days_only_for_days_and_weeks() -> None:
    assert [parse_duration(t).is_days for t in ("1s", "1m", "1h", "1d", "1w")] == [
        False,
        False,
        False,
        True,
        True,
    ]


def test_business_days_counts_a_week_as_five_working_days() -> None:
    assert parse_duration("2d").business_days() == 2
    assert parse_duration("1.5d").business_days() == 1.5
    assert parse_duration("13w").business_days() == 65


@pytest.mark.parametrize("text", ["30s", "5m", "4h"])
def test_business_days_refuses_sub_day_units(text: str) -> None:
    with pytest.raises(DurationError, match="working time, not working days") as info:
        parse_duration(text).business_days()
    assert repr(text) in str(info.value)


def test_duration_is_frozen() -> None:
    duration = parse_duration("5m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        duration.count = 6  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    ["5y", "", "   ", "m", "5", "5 m", "5mm", "h4", "1e3s", "5M", "five minutes", "5.m.", "∞h"],
)
def test_rejects_malformed_text_with_the_expected_form(text: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    message = str(info.value)
    assert 'expected a duration like "5m", "4h", "2d" or "13w" (units s, m, h, d, w)' in message
    assert repr(text) in message


def test_error_example_from_the_spec() -> None:
    with pytest.raises(DurationError) as info:
        parse_duration("5y")
    assert str(info.value) == (
        'expected a duration like "5m", "4h", "2d" or "13w" (units s, m, h, d, w), got \'5y\''
    )


def test_negative_durations_are_refused() -> None:
    with pytest.raises(DurationError, match="cannot be negative"):
        parse_duration("-5m")


@pytest.mark.parametrize("value", [5, 2.5, "5", "2.5"])
def test_bare_numbers_ask_for_a_unit(value: str | float) -> None:
    with pytest.raises(DurationError, match="add a unit") as info:
        parse_duration(value)
    assert "m" in str(info.value).split("add a unit")[1]


@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_refused(value: bool) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(value)
    assert "add a unit" not in str(info.value)


def test_non_string_values_are_refused() -> None:
    with pytest.raises(DurationError, match="NoneType"):
        parse_duration(None)  # type: ignore[arg-type]


def test_duration_error_is_a_value_error() -> None:
    assert issubclass(DurationError, ValueError)

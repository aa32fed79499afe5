"""The one duration wording (clinical.durations), on both sides of every unit boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinical.durations import format_duration, format_hours, format_minutes, plain_duration


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0 min"),
        (timedelta(seconds=1), "1 s"),
        (timedelta(seconds=59), "59 s"),
        (timedelta(seconds=60), "1 min"),
        (timedelta(seconds=61), "1 min 1 s"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(minutes=59), "59 min"),
        (timedelta(minutes=59, seconds=59), "59 min 59 s"),
        (timedelta(minutes=60), "1 h"),
        (timedelta(minutes=61), "1 h 1 min"),
        (timedelta(minutes=90), "1 h 30 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=2, minutes=30), "2 h 30 min"),
        (timedelta(hours=23, minutes=59), "23 h 59 min"),
        (timedelta(hours=24), "1 day"),
        (timedelta(hours=24, minutes=1), "1 day 1 min"),
        (timedelta(hours=27), "1 day 3 h"),
        (timedelta(days=1, hours=3, minutes=20), "1 day 3 h 20 min"),  # nothing is dropped
        (timedelta(hours=47, minutes=59), "1 day 23 h 59 min"),
        (timedelta(hours=48), "2 days"),
        (timedelta(days=3), "3 days"),
        (timedelta(days=1200), "1,200 days"),
    ],
)
def test_format_duration(value, text):
    assert format_duration(value) == text


def test_a_part_second_rounds_up_so_a_time_past_a_limit_never_reads_as_the_limit():
    assert format_duration(timedelta(minutes=5, microseconds=1)) == "5 min 1 s"
    assert format_duration(timedelta(microseconds=1)) == "1 s"
    assert format_duration(timedelta(minutes=5)) == "5 min"


@pytest.mark.parametrize("minutes", [30, 90, 150, 24 * 60, 1439, 1440, 1441, 3 * 24 * 60, 5000])
def test_never_a_decimal_and_never_a_clock_time(minutes):
    text = format_minutes(minutes)
    assert "." not in text
    assert ":" not in text


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (15, "15 min"), (59, "59 min"), (60, "1 h"), (150, "2 h 30 min"), (4320, "3 days")],
)
def test_format_minutes(minutes, text):
    assert format_minutes(minutes) == text


@pytest.mark.parametrize(
    ("hours", "text"), [(12, "12 h"), (23, "23 h"), (24, "1 day"), (36, "1 day 12 h"), (168, "7 days")]
)
def test_format_hours(hours, text):
    assert format_hours(hours) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=1, minutes=30), "1 hour 30 minutes"),
        (timedelta(hours=24), "1 day"),
        (timedelta(hours=48), "2 days"),
    ],
)
def test_plain_duration_for_patients(value, text):
    assert plain_duration(value) == text


def test_a_negative_duration_is_refused():
    with pytest.raises(ValueError, match="negative"):
        format_duration(timedelta(seconds=-1))


@pytest.mark.parametrize("count", [1.5, "30", True, None])
def test_minutes_and_hours_are_whole_numbers(count):
    with pytest.raises(TypeError):
        format_minutes(count)
    with pytest.raises(TypeError):
        format_hours(count)


def test_the_run_rules_wait_text_is_the_same_wording():
    from clinical.run_rules import describe_wait  # kept for challenges/run/services.py

    assert describe_wait(timedelta(minutes=12, seconds=29, microseconds=1)) == "12 min 30 s"
    assert describe_wait(timedelta(hours=27)) == "1 day 3 h"

"""The countdown's wording and colour thresholds (clinical.countdown): never a bare "19:25" that reads as a clock
time; "Due now" for the first minute; amber up to 10 min overdue, red beyond."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from clinical.countdown import DUE_NOW_FOR, OVERDUE_RED_AFTER, Urgency, countdown_text, urgency

S = timedelta(seconds=1)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (19 * MIN + 25 * S, "19 min 25 s left"),
        (19 * MIN + 5 * S, "19 min 05 s left"),
        (19 * MIN, "19 min left"),
        (timedelta(milliseconds=300), "1 s left"),  # rounded up: "0 s left" would read as due
        (45 * S, "45 s left"),
        (timedelta(hours=1, minutes=5), "1 h 05 min left"),
        (timedelta(days=1), "1 day 0 h left"),
        (timedelta(days=2, hours=23, minutes=59, seconds=59), "2 days 23 h left"),  # fits a phone's card
        (timedelta(0), "Due now"),
        (-59 * S, "Due now"),
        (-MIN, "overdue 1 min"),
        (-(10 * MIN), "overdue 10 min"),
        (-(10 * MIN + 59 * S), "overdue 10 min"),  # whole minutes, rounded down
        (-timedelta(hours=1, minutes=5, seconds=30), "overdue 1 h 05 min"),
        (-timedelta(days=1, hours=3), "overdue 1 day 3 h"),
    ],
)
def test_countdown_wording(left, text):
    assert countdown_text(left) == text


@pytest.mark.parametrize("seconds", [-4000, -700, -601, -600, -61, -60, -1, 0, 1, 59, 61, 599, 3599, 3600, 90000])
def test_a_countdown_never_looks_like_a_clock_time(seconds):
    text = countdown_text(timedelta(seconds=seconds))
    assert not re.search(r"\d:\d\d", text)
    assert text == "Due now" or text.endswith(" left") or text.startswith("overdue ")


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (S, Urgency.WAITING),
        (timedelta(0), Urgency.DUE),
        (-(DUE_NOW_FOR - S), Urgency.DUE),
        (-DUE_NOW_FOR, Urgency.OVERDUE),  # amber from one minute past the due time
        (-OVERDUE_RED_AFTER, Urgency.OVERDUE),  # amber up to and including 10 min
        (-(OVERDUE_RED_AFTER + S), Urgency.LATE),  # red beyond
        (-timedelta(hours=3), Urgency.LATE),
    ],
)
def test_urgency_thresholds(left, expected):
    assert urgency(left) == expected


def test_the_thresholds_are_one_minute_and_ten_minutes():
    assert DUE_NOW_FOR == timedelta(minutes=1)
    assert OVERDUE_RED_AFTER == timedelta(minutes=10)

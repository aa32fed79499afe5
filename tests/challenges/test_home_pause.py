"""clinical.home_plan: every symptom pauses a home plan for the watch window; usual symptoms are a baseline."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from clinical.home_plan import symptom_baseline, symptom_pause_until

TZ = ZoneInfo("Europe/London")
DOSE = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
WATCH = timedelta(hours=48)


def pause(findings, usual=None, released_at=None, first=DOSE):
    return symptom_pause_until(findings, first_dose_at=first, watch=WATCH, usual=usual or {}, released_at=released_at)


def test_no_step_taken_no_pause():
    assert pause([("mcas_itch", 2, DOSE)], first=None) is None


def test_a_symptom_after_the_step_pauses_for_the_watch_window():
    at = DOSE + timedelta(hours=3)
    assert pause([("mcas_itch", 1, at)]) == (at, at + WATCH)


def test_a_symptom_at_its_usual_grade_does_not_pause_and_one_above_does():
    at = DOSE + timedelta(hours=3)
    assert pause([("mcas_itch", 1, at)], usual={"mcas_itch": 1}) is None
    assert pause([("mcas_itch", 2, at)], usual={"mcas_itch": 1}) == (at, at + WATCH)


def test_a_symptom_before_the_first_step_is_baseline():
    before, after = DOSE - timedelta(hours=1), DOSE + timedelta(hours=1)
    assert pause([("mcas_itch", 2, before), ("mcas_itch", 2, after)]) is None
    assert symptom_baseline([("mcas_itch", 2, before)], first_dose_at=DOSE, usual={"mcas_itch": 1}) == {"mcas_itch": 2}


def test_the_latest_symptom_sets_the_end():
    first, again = DOSE + timedelta(hours=3), DOSE + timedelta(hours=20)
    assert pause([("mcas_itch", 1, first), ("mcas_headache", 1, again)]) == (again, again + WATCH)


def test_a_release_after_the_last_symptom_lifts_the_pause_and_one_before_it_does_not():
    at = DOSE + timedelta(hours=3)
    assert pause([("mcas_itch", 1, at)], released_at=at) is None
    assert pause([("mcas_itch", 1, at)], released_at=at - timedelta(minutes=1)) == (at, at + WATCH)


def test_absent_is_not_a_symptom():
    assert pause([("mcas_itch", 0, DOSE + timedelta(hours=1))]) is None

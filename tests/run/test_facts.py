"""The facts of a challenge computed from its rows: the patient's age as the stop rules and grading take it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from challenges.run import facts
from challenges.run.models import Challenge
from clinical import vitals
from patients.models import Patient

LONDON = ZoneInfo("Europe/London")
BORN = date(2020, 3, 10)


def _challenge_on(day: date) -> Challenge:
    """An unsaved challenge of a child born 10 Mar 2020, booked for 09:00 on `day` (no database needed)."""
    return Challenge(
        patient=Patient(date_of_birth=BORN), scheduled_at=datetime(day.year, day.month, day.day, 9, tzinfo=LONDON)
    )


@pytest.mark.parametrize(
    ("day", "age", "limit"),
    [(date(2022, 3, 8), 1, 72), (date(2022, 3, 9), 1, 72), (date(2022, 3, 10), 2, 74), (date(2022, 3, 11), 2, 74)],
)
def test_age_is_completed_years_so_the_hypotension_limit_moves_on_the_birthday(day, age, limit):
    """NIAID/FAAN low systolic BP for age (70 + 2 x completed years): not a day early (days / 365.25 was)."""
    age_years = facts.age_years(_challenge_on(day))
    assert age_years == Decimal(age)
    assert isinstance(age_years, Decimal)
    assert vitals.systolic_hypotension_limit(int(age_years)) == limit  # the one table stop rules and grading read

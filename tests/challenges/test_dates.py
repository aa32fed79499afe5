"""One day format, one date-time format, and age in completed months and years (clinical.dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinical.dates import completed_months, completed_years, format_age, format_clock, format_day, format_when

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def test_format_day():
    assert format_day(date(2026, 12, 10)) == "Thu 10 Dec 2026"
    assert format_day(date(2026, 3, 2)) == "Mon 2 Mar 2026"


def test_format_day_refuses_a_moment():
    with pytest.raises(TypeError):
        format_day(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON))


def test_format_when_in_the_moments_own_zone():
    assert format_when(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)) == "Mon 2 Mar 2026 09:00"
    assert format_when(datetime(2026, 12, 31, 23, 5, tzinfo=NEW_YORK)) == "Thu 31 Dec 2026 23:05"


def test_format_when_in_the_clinics_zone():
    moment = datetime(2027, 1, 1, 4, 5, tzinfo=UTC)  # 23:05 the evening before in New York
    assert format_when(moment, NEW_YORK) == "Thu 31 Dec 2026 23:05"
    assert format_clock(moment, NEW_YORK) == "23:05"
    assert format_when(datetime(2026, 7, 1, 8, 0, tzinfo=UTC), LONDON) == "Wed 1 Jul 2026 09:00"  # BST


def test_a_moment_without_a_zone_is_refused():
    naive = datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001 - the input under test
    with pytest.raises(ValueError, match="zone"):
        format_when(naive)


# --- age: completed months and years --------------------------------------------------------------------------

BORN = date(2020, 3, 10)


@pytest.mark.parametrize(
    ("on", "years"),
    [
        (date(2022, 3, 8), 1),
        (date(2022, 3, 9), 1),  # the day before the birthday: not yet 2 (the review's one-day-early case)
        (date(2022, 3, 10), 2),  # the birthday
        (date(2022, 3, 11), 2),
        (date(2020, 3, 10), 0),  # the day of birth
    ],
)
def test_completed_years_round_the_birthday(on, years):
    assert completed_years(BORN, on) == years


@pytest.mark.parametrize(
    ("on", "years"),
    [
        (date(2021, 2, 28), 0),  # no 29 Feb in 2021: the birthday comes round the day after 28 Feb
        (date(2021, 3, 1), 1),
        (date(2024, 2, 28), 3),
        (date(2024, 2, 29), 4),  # a leap year: on the day itself
    ],
)
def test_completed_years_for_a_29_february_birth(on, years):
    assert completed_years(date(2020, 2, 29), on) == years


@pytest.mark.parametrize(
    ("born", "on", "months"),
    [
        (date(2026, 1, 15), date(2026, 2, 14), 0),
        (date(2026, 1, 15), date(2026, 2, 15), 1),
        (date(2026, 1, 31), date(2026, 2, 28), 0),  # 31 Feb does not exist: the month is complete on 1 Mar
        (date(2026, 1, 31), date(2026, 3, 1), 1),
        (date(2026, 1, 31), date(2026, 3, 31), 2),
        (date(2024, 12, 10), date(2026, 12, 9), 23),
        (date(2024, 12, 10), date(2026, 12, 10), 24),
    ],
)
def test_completed_months(born, on, months):
    assert completed_months(born, on) == months


def test_years_are_whole_months_over_twelve_for_every_day_of_four_years():
    # Against the plain birthday rule, (month, day) comparison, for a leap-day birth and an ordinary one.
    for born in (date(2020, 2, 29), date(2019, 8, 31)):
        on = born
        while on < born + timedelta(days=4 * 366):
            birthday_passed = (on.month, on.day) >= (born.month, born.day)
            assert completed_years(born, on) == on.year - born.year - (0 if birthday_passed else 1)
            on += timedelta(days=1)


def test_a_day_before_the_birth_is_refused():
    with pytest.raises(ValueError, match="birth"):
        completed_months(BORN, BORN - timedelta(days=1))


@pytest.mark.parametrize(
    ("on", "text"),
    [
        (date(2020, 3, 10), "0 months"),
        (date(2020, 4, 9), "0 months"),
        (date(2020, 4, 10), "1 month"),
        (date(2021, 8, 10), "17 months"),
        (date(2022, 3, 9), "23 months"),  # under 2 years: in months, the unit a paediatric dose is thought of in
        (date(2022, 3, 10), "2 years"),
        (date(2055, 3, 9), "34 years"),
    ],
)
def test_format_age(on, text):
    assert format_age(BORN, on) == text


@pytest.mark.parametrize(
    ("born", "on", "years"),
    [
        (BORN, date(2022, 3, 9), 1),
        (BORN, date(2022, 3, 10), 2),
        (date(2020, 2, 29), date(2021, 2, 28), 0),
        (date(2020, 2, 29), date(2021, 3, 1), 1),
    ],
)
def test_patient_age_on_is_the_same_arithmetic(born, on, years):
    from patients.models import Patient  # unsaved: age_on needs no database

    assert Patient(date_of_birth=born).age_on(on) == years == completed_years(born, on)

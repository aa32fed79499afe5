"""Calendar arithmetic and wording: a person's age, and dates and times as every page, PDF and message shows them.

One format for a day, "Thu 10 Dec 2026", and one for a moment, "Thu 10 Dec 2026 09:30" (24-hour clock, in the
zone the caller names: the clinic's). Day and month names are English abbreviations written out here, so the
text does not depend on the server's locale.

Age is counted in completed months and years, the way a birthday is: a child born on 10 Mar 2020 is 1 year old
on 9 Mar 2022 and 2 years old on 10 Mar 2022. Someone born on 29 Feb has the birthday on 1 Mar in other years
(the day after 28 Feb), so they are never a year older a day early.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Under this age a child's age is said in months: the unit a paediatric dose is thought of in.
AGE_IN_MONTHS_BELOW = 24


def format_day(day: date) -> str:
    """'Thu 10 Dec 2026'."""
    if isinstance(day, datetime):
        raise TypeError("format_day takes a date; use format_when for a moment.")
    return f"{DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def format_clock(moment: datetime, zone: tzinfo | None = None) -> str:
    """'09:30': the time of day, 24-hour, in `zone` (or the moment's own zone)."""
    return f"{_local(moment, zone):%H:%M}"


def format_when(moment: datetime, zone: tzinfo | None = None) -> str:
    """'Thu 10 Dec 2026 09:30': day and time, in `zone` (or the moment's own zone)."""
    local = _local(moment, zone)
    return f"{format_day(local.date())} {local:%H:%M}"


def _local(moment: datetime, zone: tzinfo | None) -> datetime:
    """The moment on the wall clock of `zone`; a moment without a zone is refused (it could be any time)."""
    if moment.utcoffset() is None:
        raise ValueError("A moment to show must include a time zone.")
    return moment.astimezone(zone) if zone is not None else moment


def completed_months(born: date, on: date) -> int:
    """Whole months of age on `on` (the day of the month must have come round)."""
    if on < born:
        raise ValueError(f"{on.isoformat()} is before the date of birth {born.isoformat()}.")
    months = (on.year - born.year) * 12 + on.month - born.month
    # The month is not complete until its day comes round; a day that month lacks (31 Apr, 29 Feb) comes round
    # on the first day after it, like a 29 Feb birthday on 1 Mar.
    return months - 1 if on.day < born.day else months


def completed_years(born: date, on: date) -> int:
    """Whole years of age on `on`: the number of birthdays had."""
    return completed_months(born, on) // 12


def format_age(born: date, on: date) -> str:
    """'35 years', or in months under 2 years ('17 months', '1 month', '0 months')."""
    months = completed_months(born, on)
    if months < AGE_IN_MONTHS_BELOW:
        return f"{months} month{'' if months == 1 else 's'}"
    return f"{months // 12} years"

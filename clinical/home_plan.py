"""The patient's view of a home plan: dates of each step, what is due today, what is locked and why.

Pure: takes plain values and returns frozen dataclasses; selectors feed it from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from clinical.durations import format_duration


@dataclass(frozen=True)
class TakenStep:
    step_number: int
    given_at: datetime  # local time


@dataclass(frozen=True)
class CalendarStep:
    number: int
    planned_on: date
    taken_at: datetime | None
    days_off: int | None  # taken this many days after (+) or before (−) the planned date


def calendar(start: date, intervals_minutes: Sequence[int], taken: Sequence[TakenStep]) -> list[CalendarStep]:
    """Each step's planned date (start + the waits before it, in whole days) and when it was really taken.

    A repeated step is shown by its latest taking.
    """
    taken_by_step = {t.step_number: t for t in taken}
    steps, offset = [], 0
    for index, interval in enumerate(intervals_minutes):
        number = index + 1
        planned_on = start + timedelta(days=offset)
        done = taken_by_step.get(number)
        days_off = (done.given_at.date() - planned_on).days if done else None
        steps.append(CalendarStep(number, planned_on, done.given_at if done else None, days_off))
        offset += interval // (24 * 60)
    return steps


def timing_label(days_off: int | None) -> str:
    """ "on the planned day", "1 day late", "2 days early"."""
    if days_off is None:
        return ""
    if days_off == 0:
        return "on the planned day"
    word = "late" if days_off > 0 else "early"
    return f"{format_duration(timedelta(days=abs(days_off)))} {word}"

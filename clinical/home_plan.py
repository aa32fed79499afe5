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


# docs/clinical-sources.md §11.1: the usual safety framing of a home step. An adult stays for 2 h after each step
# while the patient rests; cofactors that lower the threshold are avoided around a step; no step up when unwell.
REST_HOURS = 2
COFACTORS = ("exercise", "hot baths or showers", "alcohol", "anti-inflammatory painkillers (NSAIDs such as ibuprofen)")


def safety_advice(*, food: str, keep_eating: bool, composite: bool, first_step_in_clinic: bool) -> tuple[str, ...]:
    """What the patient's plan says around each step, in plain words (the plan page and the printed plan)."""
    lines = []
    if first_step_in_clinic:
        lines.append("Your first step is taken in clinic, with the clinic team watching. The next steps are at home.")
    lines += [
        f"After each step, rest and have an adult stay with you for {REST_HOURS} hours.",
        f"For {REST_HOURS} hours before and after a step, avoid {', '.join(COFACTORS[:-1])} and {COFACTORS[-1]}.",
        "Do not take a step while you are unwell (a cold, a fever, a flare of your symptoms): wait, and ask the "
        "clinic.",
    ]
    if keep_eating:
        lines.append(
            f"Between steps, keep eating the last amount of {food} you tolerated every day, until the next step."
        )
    else:
        lines.append(f"Between steps, do not eat {food} apart from the planned steps.")
    if composite:
        lines.append(composite_note(food))
    return tuple(lines)


def composite_note(food: str) -> str:
    """The note for a food made of several ingredients (a cheesecake: milk, egg, wheat)."""
    return (
        f"{food[:1].upper()}{food[1:]} is made of several ingredients: if you react, the reaction cannot be pinned "
        "on one of them, and tolerating it does not show which ingredient is safe."
    )


# --- At home, every symptom pauses the next step (clinical review S1, D4) ---------------------------------------


def symptom_baseline(
    findings: Sequence[tuple[str, int, datetime]], *, first_dose_at: datetime | None, usual: dict[str, int]
) -> dict[str, int]:
    """The grade each item is judged against: the patient's usual severity ("my usual symptoms", MCAS) or what was
    recorded before the first step, whichever is higher."""
    baseline = dict(usual)
    for code, severity, at in findings:
        if first_dose_at is None or at < first_dose_at:
            baseline[code] = max(baseline.get(code, 0), severity)
    return baseline


def symptom_pause_until(
    findings: Sequence[tuple[str, int, datetime]],
    *,
    first_dose_at: datetime | None,
    watch: timedelta,
    usual: dict[str, int],
    released_at: datetime | None,
) -> tuple[datetime, datetime] | None:
    """(last symptom, end of the pause) when a symptom after the first step pauses the next one; None when none does.

    Any symptom worse than its baseline (symptom_baseline) pauses the plan until the watch window has passed from the
    latest such symptom (a recurrence starts it again), or until the clinic releases the step after that symptom. A
    symptom at or below the patient's usual severity is recorded but pauses nothing.
    """
    if first_dose_at is None:
        return None
    baseline = symptom_baseline(findings, first_dose_at=first_dose_at, usual=usual)
    counted = [at for code, severity, at in findings if at >= first_dose_at and severity > baseline.get(code, 0)]
    if not counted:
        return None
    last = max(counted)
    if released_at is not None and released_at >= last:
        return None
    return last, last + watch


@dataclass(frozen=True)
class Maintenance:
    """ "Keep eating N g of FOOD daily until the next step" (X11, docs/clinical-sources.md §11.1)."""

    step_number: int
    amount_text: str  # "2.5 g", "1/2 muffin (30 g)"
    food_label: str

    @property
    def text(self) -> str:
        return f"Keep eating {self.amount_text} of {self.food_label} daily until the next step."


@dataclass(frozen=True)
class RungAmount:
    """A planned step as the maintenance rule needs it (from clinical.plan.StepLine)."""

    number: int
    amount_text: str  # empty for a lip smear (nothing to keep eating)
    food_label: str


def maintenance(rungs: Sequence[RungAmount], last_tolerated: int | None, *, keep_eating: bool) -> Maintenance | None:
    """The amount to keep eating daily: the last tolerated step's, until the next step.

    None when the plan does not ask for it, nothing is tolerated yet, the last tolerated step has no amount (a lip
    smear), or it was the last step (the plan is done: the outcome advice says what to eat from then on).
    A repeated step is tolerated again at its own amount; a plan changed mid-way is read from its current steps.
    """
    if not keep_eating or last_tolerated is None:
        return None
    by_number = {rung.number: rung for rung in rungs}
    rung = by_number.get(last_tolerated)
    if rung is None or not rung.amount_text or last_tolerated >= max(by_number):
        return None
    return Maintenance(rung.number, rung.amount_text, rung.food_label)

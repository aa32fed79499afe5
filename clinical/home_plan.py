"""The patient's view of a home plan: dates of each step, what is due today, what is locked and why.

Pure: takes plain values and returns frozen dataclasses; selectors feed it from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from clinical.durations import format_duration


@dataclass(frozen=True)
class TakenStep:
    step_number: int
    given_at: datetime  # local time


@dataclass(frozen=True)
class CalendarStep:
    number: int
    planned_on: date | None  # None: the plan is paused or has ended, so the step has no date
    taken_at: datetime | None
    days_off: int | None  # taken this many days after (+) or before (−) the planned date


# --- Dates from the plan's real progress (issue 18; interop review 11, clinical review R11) ---------------------


@dataclass(frozen=True)
class ProjectedStep:
    """One taking of a step: done (`taken_at`), or still to come (`due_at`; `on_hold` while the plan does not go
    ahead, when the date is only what it would be and must not be shown to the patient as a date to eat)."""

    number: int
    due_at: datetime  # when it may be taken (for a taken step: when it became due)
    taken_at: datetime | None
    repeat: bool  # a second (or later) taking of a step already taken
    on_hold: bool = False


def after(moment: datetime, minutes: int) -> datetime:
    """`minutes` after `moment`, never earlier than the real elapsed time nor than the same clock time days later.

    Whole days keep the wall-clock time across a clock change (a step at 09:00 stays at 09:00), but when the
    clocks go forward that would come an hour before the app unlocks the step (it waits in elapsed time), so the
    later of the two is taken: a reminder never fires while the step is still locked. A clock time the clocks skip
    (01:30 on the night they go forward) does not exist: it is moved to the real instant, in the hour after the gap.
    """
    zone = moment.tzinfo
    wall = moment + timedelta(minutes=minutes)  # aware + timedelta keeps the zone and adds wall-clock time
    elapsed = moment.astimezone(UTC) + timedelta(minutes=minutes)
    return max(wall.astimezone(UTC), elapsed).astimezone(zone)


def project(
    start: datetime,
    waits_after: Sequence[int],
    taken: Sequence[TakenStep],
    *,
    next_number: int | None,
    next_due: datetime | None,
    going_ahead: bool,
) -> list[ProjectedStep]:
    """Every taking so far and every step still to come, dated from what really happened.

    `start` is the booked start (aware, local); `waits_after[n - 1]` the wait in minutes after step n (the longer of
    the interval and the watch window); `taken` the valid takings in time order; `next_number`/`next_due` the app's
    own next step (clinical.run_rules.next_step, with any symptom pause or "wait longer"), so the printed plan,
    the calendar and the unlock agree. A repeat ("hold and repeat") dates that step again after its wait. A plan
    that does not go ahead (paused, stopped, cancelled) keeps its takings; the steps still to come are on hold.
    """
    rows: list[ProjectedStep] = []
    seen: set[int] = set()
    due = start
    for taking in taken:
        rows.append(ProjectedStep(taking.step_number, due, taking.given_at, repeat=taking.step_number in seen))
        seen.add(taking.step_number)
        due = after(taking.given_at, waits_after[taking.step_number - 1])
    if next_number is None:
        return rows
    if next_due is not None and next_due > due:
        due = next_due
    for number in range(next_number, len(waits_after) + 1):
        repeat = number == next_number and number in seen
        rows.append(ProjectedStep(number, due, None, repeat=repeat, on_hold=not going_ahead))
        due = after(due, waits_after[number - 1])
    return rows


def calendar_from(projection: Sequence[ProjectedStep]) -> list[CalendarStep]:
    """One row per planned step for the patient's "My steps": its latest taking, or the date it is due.

    `planned_on` is None for a step the plan does not date (it is paused or has ended)."""
    latest: dict[int, ProjectedStep] = {}
    for row in projection:
        if row.number not in latest or row.taken_at is not None or latest[row.number].taken_at is None:
            latest[row.number] = row
    steps = []
    for number in sorted(latest):
        row = latest[number]
        planned_on = None if row.on_hold else row.due_at.date()
        days_off = (row.taken_at.date() - planned_on).days if row.taken_at and planned_on else None
        steps.append(CalendarStep(number, planned_on, row.taken_at, days_off))
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

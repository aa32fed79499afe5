"""Rules of a running challenge that need no database: allowed state changes, the next step, the enforced wait.

The services load rows, turn them into these plain values, and act on the answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from clinical.dates import format_clock
from clinical.durations import format_duration

# planned → checked in → dosing → observing → completed, or stopped / cancelled (issue 4).
# Home plans go planned → dosing, and dosing ⇄ paused when symptoms meet a stop rule (issue 5).
TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"checked_in", "dosing", "cancelled"}),
    "checked_in": frozenset({"dosing", "stopped", "cancelled"}),
    "dosing": frozenset({"observing", "paused", "stopped", "completed"}),
    "paused": frozenset({"dosing", "stopped"}),
    "observing": frozenset({"completed", "stopped"}),
    "completed": frozenset(),
    "stopped": frozenset(),
    "cancelled": frozenset(),
}

RECORDING_STATES = frozenset({"checked_in", "dosing", "observing", "paused", "completed", "stopped"})
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks drift; a dose "given" further ahead is a typing slip


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True)
class GivenStep:
    """A dose already given: the planned step it gave, and when."""

    step_number: int
    given_at: datetime


@dataclass(frozen=True)
class NextStep:
    number: int | None  # None when every planned step has been given
    is_repeat: bool
    due_at: datetime | None  # None before the first dose


def next_step(
    given: Sequence[GivenStep], *, interval_after: dict[int, int], planned_steps: int, repeat_requested: bool
) -> NextStep:
    """Which planned step comes next and when it is due.

    `interval_after[n]` is the wait in minutes after step n. A "hold and repeat" decision gives the same step
    again after the same wait.
    """
    if not given:
        return NextStep(number=1 if planned_steps else None, is_repeat=False, due_at=None)
    last = given[-1]
    due_at = last.given_at + timedelta(minutes=interval_after.get(last.step_number, 0))
    if repeat_requested:
        return NextStep(number=last.step_number, is_repeat=True, due_at=due_at)
    number = last.step_number + 1
    if number > planned_steps:
        return NextStep(number=None, is_repeat=False, due_at=None)
    return NextStep(number=number, is_repeat=False, due_at=due_at)


def wait_remaining(due_at: datetime | None, at: datetime) -> timedelta:
    """How long until a dose may be given at `at` (zero when it is due)."""
    if due_at is None or at >= due_at:
        return timedelta(0)
    return due_at - at


def describe_wait(remaining: timedelta) -> str:
    """How long is left, in the one duration wording ("12 min 30 s", "2 h 5 min"): clinical.durations.

    Kept for challenges/run/services.py, which still calls it; new code calls durations.format_duration.
    """
    return format_duration(remaining)


# "Wait longer" after a hold: from 5 min to 4 h (a bound on typing, not a clinical number; the allergist chooses).
MIN_WAIT_MINUTES = 5
MAX_WAIT_MINUTES = 240


def new_evidence(hits_evidence: Sequence[Sequence[str]], already_alerted: set[str]) -> bool:
    """True when a rule hit carries evidence that no earlier alert showed (so a new alert is due)."""
    return any(item not in already_alerted for evidence in hits_evidence for item in evidence)


def vitals_prompt(
    *,
    last_dose_at: datetime | None,
    last_dose_number: int | None,
    last_vitals_at: datetime | None,
    alert_raised_at: datetime | None,
) -> str:
    """What vital signs are due now, in words ('' when none): at a reaction (a stop alert or hold raised since the
    last reading), and before each next dose (none since the last dose), as PRACTALL-style sheets record them per
    dose (clinical review V2). A prompt, not a block: the nurse may be busy treating."""
    if alert_raised_at is not None and (last_vitals_at is None or last_vitals_at < alert_raised_at):
        return f"Record vital signs now: a stop rule or hold was raised at {format_clock(alert_raised_at)}."
    if last_dose_at is not None and (last_vitals_at is None or last_vitals_at < last_dose_at):
        since = f"dose {last_dose_number} at {format_clock(last_dose_at)}"
        return f"Record vital signs before the next dose: none since {since}."
    return ""

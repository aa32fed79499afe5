"""Premedication a protocol plans on purpose (MCAS practice): its timing, its dose by age, and the check of a step.

A premedication item has one of three timings (docs/clinical-sources.md §5.3, §5.5):

- an established regimen: a medicine the patient already takes, for at least N weeks, and keeps taking. Oral
  cromolyn and ketotifen build their effect over weeks, so a dose started on the day of a step does not count. The
  plan warns when the patient's medication list lacks it (`missing_regimens`); nothing is recorded per step.
- x minutes before each step: the patient takes it, records when, and a step is checked against it
  (`step_problems`): not taken since the last step, or taken less than x minutes before, is a problem.
- x minutes before the first dose only: checked for the first step alone.

Each timed item says what happens to a problem: REFUSE (the step is not recorded) or FLAG (recorded, and the
clinician is told). Where a drug's label gives a dose by age, the item names that rule and the dose follows the
patient's age (`dose_for_age`); under the label's youngest age there is no dose and the clinician decides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from clinical.durations import format_duration, format_minutes
from clinical.errors import DomainError
from clinical.units import format_quantity

REGIMEN = "regimen"
BEFORE_EACH_STEP = "before_each_step"
BEFORE_FIRST_DOSE = "before_first_dose"
TIMINGS = (REGIMEN, BEFORE_EACH_STEP, BEFORE_FIRST_DOSE)

REFUSE = "refuse"
FLAG = "flag"
IF_NOT_TAKEN_LABELS: dict[str, str] = {
    REFUSE: "Refuse the step until it is taken in time",
    FLAG: "Record the step and flag it for the clinician",
}

# Problem codes: also the DomainError codes when the item refuses.
PREMED_NOT_TAKEN = "premedication_not_taken"
PREMED_TOO_SOON = "premedication_too_soon"

MAX_ESTABLISHED_WEEKS = 52  # a sanity bound on protocol data [project choice]


class PremedicationError(DomainError, ValueError):
    """Bad premedication data (an unknown timing, dose rule or action)."""


# --- the dose by age, from the label ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBand:
    """A label dose for completed years of age from `min_years` to `max_years` (None: no upper bound)."""

    min_years: int
    max_years: int | None
    dose_mg: Decimal

    def covers(self, age_years: int) -> bool:
        return self.min_years <= age_years and (self.max_years is None or age_years <= self.max_years)


@dataclass(frozen=True)
class DoseRule:
    label: str
    bands: tuple[AgeBand, ...]
    how_to_take: str  # for the patient
    short_note: str  # for a clinician's sheet


FIXED = ""  # the dose as written on the item
CROMOLYN_ORAL = "cromolyn_oral"
# Oral cromolyn sodium (Gastrocrom oral concentrate, 100 mg in each 5 mL ampule): 100 mg for children aged 2-12,
# 200 mg from 13 years, four times a day about 30 min before meals; the ampule's contents are taken in water only,
# never mixed with fruit juice, milk or food (FDA label, docs/clinical-sources.md §5.5).
DOSE_RULES: dict[str, DoseRule] = {
    CROMOLYN_ORAL: DoseRule(
        label="Oral cromolyn sodium by age (label): 100 mg aged 2-12, 200 mg from 13",
        bands=(AgeBand(2, 12, Decimal(100)), AgeBand(13, None, Decimal(200))),
        how_to_take="Squeeze the ampule into half a glass of water, stir and drink it all. Do not mix it with fruit "
        "juice, milk or food.",
        short_note="dissolved in water only",
    ),
}
DOSE_RULE_LABELS: dict[str, str] = {FIXED: "The dose as written", **{k: r.label for k, r in DOSE_RULES.items()}}


def dose_for_age(rule: str, age_years: int) -> Decimal | None:
    """The label dose in mg for this age, or None when the label gives none (too young: the clinician decides)."""
    if rule not in DOSE_RULES:
        raise PremedicationError(f"Unknown dose rule: {rule!r}.", code="bad_dose_rule")
    if isinstance(age_years, bool) or not isinstance(age_years, int) or age_years < 0:
        raise PremedicationError("Age must be a whole number of years.", code="bad_age")
    band = next((b for b in DOSE_RULES[rule].bands if b.covers(age_years)), None)
    return band.dose_mg if band is not None else None


@dataclass(frozen=True)
class PlannedDose:
    """The dose to show for one patient: `text` ("100 mg"), how to take it, and whether the clinician must decide."""

    text: str
    how_to_take: str = ""
    clinician_decides: bool = False
    short_note: str = ""


def planned_dose(rule: str, written: str, age_years: int | None) -> PlannedDose:
    """The item's dose for this patient: by the label's age bands where it has a rule, else the dose as written."""
    if rule == FIXED:
        return PlannedDose(written)
    if age_years is None:
        raise PremedicationError("A dose by age needs the patient's age.", code="bad_age")
    dose = dose_for_age(rule, age_years)
    how, short = DOSE_RULES[rule].how_to_take, DOSE_RULES[rule].short_note
    if dose is None:
        youngest = min(band.min_years for band in DOSE_RULES[rule].bands)
        return PlannedDose(f"no label dose under {youngest} years: the allergist decides", how, True, short)
    return PlannedDose(format_quantity(dose, "mg"), how, False, short)


# --- the plan against the patient's medication list ------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One planned premedication item, as the checks need it. `key` names it (the stored row's id)."""

    key: int
    drug: str
    med_class: str
    timing: str
    minutes_before: int = 0
    established_weeks: int = 0
    required: bool = True
    if_not_taken: str = REFUSE

    def __post_init__(self) -> None:
        if self.timing not in TIMINGS:
            raise PremedicationError(f"Unknown premedication timing: {self.timing!r}.", code="bad_timing")
        if self.if_not_taken not in IF_NOT_TAKEN_LABELS:
            raise PremedicationError(f"Unknown action: {self.if_not_taken!r}.", code="bad_action")
        if not 0 <= self.established_weeks <= MAX_ESTABLISHED_WEEKS:
            raise PremedicationError("Established weeks out of range.", code="bad_weeks")
        if self.minutes_before < 0:
            raise PremedicationError("Minutes before must not be negative.", code="bad_minutes")

    @property
    def timed(self) -> bool:
        return self.timing != REGIMEN


@dataclass(frozen=True)
class CurrentMedication:
    name: str
    med_class: str


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.casefold()))


def _on_list(item: Item, medications: Sequence[CurrentMedication]) -> bool:
    """The item is on the list: a medication of the same class, or (class "other") one that shares its name's words."""
    if item.med_class != "other":
        return any(med.med_class == item.med_class for med in medications)
    name = _words(item.drug) - {"usual", "oral", "the"}
    return any(name and name <= _words(med.name) for med in medications)


def missing_regimens(items: Sequence[Item], medications: Sequence[CurrentMedication]) -> list[Item]:
    """Established-regimen items that the patient's current medication list lacks (the plan warns about each)."""
    return [item for item in items if item.timing == REGIMEN and item.required and not _on_list(item, medications)]


def regimen_text(item: Item) -> str:
    """ "an established regimen, for at least 4 weeks", or "the patient's current regimen"."""
    if item.established_weeks:
        weeks = item.established_weeks
        return f"an established regimen, for at least {weeks} week{'' if weeks == 1 else 's'}"
    return "the patient's current regimen"


# --- a step against the premedication taken --------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A step that breaks a timed item: `code` is PREMED_NOT_TAKEN or PREMED_TOO_SOON, `action` REFUSE or FLAG."""

    code: str
    action: str
    item_key: int
    message: str
    ready_at: datetime | None = None  # too soon: the first moment the step could have been taken


def step_problems(
    items: Sequence[Item],
    taken: Mapping[int, Sequence[datetime]],
    *,
    step_at: datetime,
    first_step: bool,
    since: datetime | None,
) -> list[Problem]:
    """What is wrong with a step given at `step_at`, for each required timed item.

    `taken` maps an item's key to the times it was recorded as taken. A dose counts for this step when it was taken
    after the last step (`since`; None for the first step) and not after this one; the latest such dose must be at
    least `minutes_before` before the step (30 min before: 30 min passes, 29 min 59 s does not).
    """
    problems = []
    for item in items:
        if not item.required or not item.timed or (item.timing == BEFORE_FIRST_DOSE and not first_step):
            continue
        lead = timedelta(minutes=item.minutes_before)
        window = [t for t in taken.get(item.key, ()) if t <= step_at and (since is None or t > since)]
        when = "each step" if item.timing == BEFORE_EACH_STEP else "the first step"
        planned = f"{format_minutes(item.minutes_before)} before {when}" if item.minutes_before else f"before {when}"
        if not window:
            message = f"{item.drug} is not recorded as taken for this step (planned {planned})."
            problems.append(Problem(PREMED_NOT_TAKEN, item.if_not_taken, item.key, message))
            continue
        gap = step_at - max(window)
        if gap < lead:
            message = (
                f"{item.drug} was taken {format_duration(gap) if gap else 'at the same time'} before this step; the "
                f"plan says at least {format_minutes(item.minutes_before)} ({planned})."
            )
            problems.append(Problem(PREMED_TOO_SOON, item.if_not_taken, item.key, message, max(window) + lead))
    return problems


def first_refusal(problems: Sequence[Problem]) -> Problem | None:
    """The first problem whose item refuses the step, if any (the others are flags)."""
    return next((p for p in problems if p.action == REFUSE), None)

"""Challenge results computed from the doses actually given (docs/clinical-sources.md §6.1, 6.2), never typed in.

Terms (docs/clinical-sources.md §6.2): the eliciting dose is the dose at which the reaction began (Utrecht); NOAEL,
the highest
tolerated dose, is the highest dose given without an observed reaction; both are reported discrete and cumulative
(Blom et al. 2022). Amounts are what the patient actually ate, so a partly eaten dose counts as eaten.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypedDict

from clinical.errors import DomainError
from clinical.units import UNIT_ALIASES


class OutcomeError(DomainError, ValueError):
    """Dose records that cannot give a result."""


class OutcomeVerdict(StrEnum):
    """The outcome the figures suggest (docs/clinical-sources.md §6.1; TrakCare "Tolerated / Not tolerated /
    Equivocal / Dose not
    reached"). Its values are those of challenges.models.Outcome, the outcome the allergist confirms and stores."""

    PASSED = "passed"
    FAILED = "failed"
    EQUIVOCAL = "equivocal"
    DOSE_NOT_REACHED = "dose_not_reached"


@dataclass(frozen=True)
class GivenDose:
    """A dose as actually eaten: protein in mg and the food amount in its own unit."""

    number: int
    protein_mg: Decimal
    food_amount: Decimal
    food_unit: str
    given_at: datetime
    entered_in_error: bool = False


@dataclass(frozen=True)
class ChallengeResult:
    """The dose figures for a report (docs/clinical-sources.md §6.4 item 8); None means "does not apply"."""

    eliciting_dose_mg: Decimal | None
    eliciting_food_amount: Decimal | None
    eliciting_dose_number: int | None
    cumulative_at_reaction_mg: Decimal | None
    highest_tolerated_mg: Decimal | None
    highest_tolerated_cumulative_mg: Decimal | None
    total_protein_mg: Decimal
    total_food_amount: Decimal
    food_unit: str
    first_symptom_at: datetime | None
    minutes_from_last_dose_to_first_symptom: int | None


class _Totals(TypedDict):
    """The ChallengeResult fields that count every valid dose, whatever the reaction."""

    total_protein_mg: Decimal
    total_food_amount: Decimal
    food_unit: str


def compute_result(doses: Sequence[GivenDose], *, reaction_onset: datetime | None) -> ChallengeResult:
    """Eliciting dose, NOAEL (discrete and cumulative), totals and time to first symptom from the doses given.

    The eliciting dose is the last valid dose given at or before `reaction_onset` (the first reaction finding).
    Doses marked entered-in-error are ignored. Doses given after the onset count in the totals only.
    """
    valid = _valid_doses(doses)
    totals: _Totals = {
        "total_protein_mg": _sum(d.protein_mg for d in valid),
        "total_food_amount": _sum(d.food_amount for d in valid),
        "food_unit": _food_unit(valid),
    }
    if reaction_onset is None:
        return ChallengeResult(
            eliciting_dose_mg=None,
            eliciting_food_amount=None,
            eliciting_dose_number=None,
            cumulative_at_reaction_mg=None,
            highest_tolerated_mg=max((d.protein_mg for d in valid), default=None),
            highest_tolerated_cumulative_mg=_sum(d.protein_mg for d in valid) if valid else None,
            first_symptom_at=None,
            minutes_from_last_dose_to_first_symptom=None,
            **totals,
        )
    # Valid doses are in time order (checked), so those given by the onset are a prefix.
    given = [d for d in valid if d.given_at <= reaction_onset]
    eliciting = given[-1] if given else None
    tolerated = given[:-1]
    return ChallengeResult(
        eliciting_dose_mg=eliciting.protein_mg if eliciting else None,
        eliciting_food_amount=eliciting.food_amount if eliciting else None,
        eliciting_dose_number=eliciting.number if eliciting else None,
        cumulative_at_reaction_mg=_sum(d.protein_mg for d in given) if given else None,
        highest_tolerated_mg=max((d.protein_mg for d in tolerated), default=None),
        highest_tolerated_cumulative_mg=_sum(d.protein_mg for d in tolerated) if tolerated else None,
        first_symptom_at=reaction_onset,
        minutes_from_last_dose_to_first_symptom=_minutes_between(eliciting.given_at, reaction_onset)
        if eliciting
        else None,
        **totals,
    )


def suggest_outcome(
    *,
    doses_given: int,
    planned_steps: int,
    min_top_dose_mg: Decimal | None,
    highest_dose_mg: Decimal | None,
    stop_hits: bool,
    stopped_early: bool,
    reaction_after_placebo: bool = False,
) -> str:
    """Suggested outcome category for the allergist to confirm (docs/clinical-sources.md §6.1), first match wins.

    1. No dose given -> dose_not_reached: nothing was eaten, so nothing can be concluded.
    2. A stop rule was met after a placebo dose of a blinded challenge (`reaction_after_placebo`, known once
       unblinded) -> equivocal: a reaction to placebo is not a reaction to the food, so the test is indeterminate
       (docs/clinical-sources.md §1.8).
    3. A stop rule was met (`stop_hits`) -> failed: objective signs or repeated subjective symptoms (Utrecht,
       docs/clinical-sources.md §3.2, 6.1), including a reaction in the observation period after the last dose.
    4. Top dose reached -> passed (the caller counts active doses only, never placebo): every planned step given
       or, when the protocol sets a minimum top dose (ASCIA: 1 tsp peanut butter), the highest dose eaten reaches it.
       With a minimum set, it alone decides, so a half-eaten last dose does not pass by step count.
    5. `stopped_early` -> equivocal. `stopped_early` means the clinician stopped dosing on clinical judgement
       although no rule was met; doubtful symptoms are the usual reason (Niggemann 2010, docs/clinical-sources.md
       §3.2), so
       whether a reaction occurred is unclear (TrakCare "Equivocal").
    6. Otherwise -> dose_not_reached: ended before the top dose for a non-clinical reason such as refusal, time or
       illness (docs/clinical-sources.md §6.1; TrakCare "Dose not reached"). Callers pass stopped_early=False for these.
    """
    if type(doses_given) is not int or doses_given < 0:
        raise OutcomeError(f"Doses given must be a whole number, 0 or more, not {doses_given!r}.", code="bad_count")
    if type(planned_steps) is not int or planned_steps < 1:
        raise OutcomeError(f"Planned steps must be a whole number, 1 or more, not {planned_steps!r}.", code="bad_count")
    if doses_given == 0:
        return OutcomeVerdict.DOSE_NOT_REACHED
    if stop_hits and reaction_after_placebo:
        return OutcomeVerdict.EQUIVOCAL
    if stop_hits:
        return OutcomeVerdict.FAILED
    if _top_dose_reached(doses_given, planned_steps, min_top_dose_mg, highest_dose_mg):
        return OutcomeVerdict.PASSED
    if stopped_early:
        return OutcomeVerdict.EQUIVOCAL
    return OutcomeVerdict.DOSE_NOT_REACHED


def _top_dose_reached(
    doses_given: int, planned_steps: int, min_top_dose_mg: Decimal | None, highest_dose_mg: Decimal | None
) -> bool:
    """True if the protocol's minimum top dose was eaten, or, with no minimum, every planned step was given."""
    if min_top_dose_mg is not None:
        return highest_dose_mg is not None and highest_dose_mg >= min_top_dose_mg
    return doses_given >= planned_steps


def _sum(values: Iterable[Decimal]) -> Decimal:
    """Exact Decimal sum (starts from Decimal 0 so an empty sum is a Decimal too)."""
    return sum(values, Decimal(0))


def _minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from start to end, rounded down (4 min 59 s -> 4)."""
    return int((end - start).total_seconds() // 60)


def _valid_doses(doses: Sequence[GivenDose]) -> list[GivenDose]:
    """Doses not entered in error, checked and in dose-number order."""
    valid = sorted((d for d in doses if not d.entered_in_error), key=lambda d: d.number)
    for dose in valid:
        _check_dose(dose)
    numbers = [d.number for d in valid]
    if len(set(numbers)) != len(numbers):
        raise OutcomeError("Two valid doses have the same number; mark one as entered in error.", code="duplicate_dose")
    for earlier, later in zip(valid, valid[1:], strict=False):
        if later.given_at < earlier.given_at:
            raise OutcomeError(
                f"Dose {later.number} is recorded as given before dose {earlier.number}; check the times.",
                code="dose_order",
            )
    return valid


def _check_dose(dose: GivenDose) -> None:
    """Refuse a dose whose number or amounts cannot be right."""
    if type(dose.number) is not int or dose.number < 1:
        raise OutcomeError(f"Dose number must be 1 or more, not {dose.number!r}.", code="bad_dose_number")
    for name, value in (("protein", dose.protein_mg), ("food amount", dose.food_amount)):
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise OutcomeError(
                f"Dose {dose.number}: {name} must be a Decimal of 0 or more, not {value!r}.", code="bad_amount"
            )


def _food_unit(valid: Sequence[GivenDose]) -> str:
    """The one food unit of the valid doses ("" if none); mixed units cannot be added up."""
    units = {UNIT_ALIASES.get(d.food_unit, d.food_unit) for d in valid}
    if len(units) > 1:
        raise OutcomeError(f"Food amounts are in different units ({', '.join(sorted(units))}).", code="mixed_units")
    return units.pop() if units else ""


# --- Advice follows the outcome (docs/clinical-sources.md §6.3) ------------------------------------------------

EAT_REGULARLY = "eat_regularly"
STRICT_AVOIDANCE = "strict_avoidance"
RECHALLENGE = "rechallenge"

_DEFAULT_ADVICE: dict[str, str] = {
    OutcomeVerdict.PASSED: EAT_REGULARLY,
    OutcomeVerdict.FAILED: STRICT_AVOIDANCE,
    OutcomeVerdict.EQUIVOCAL: RECHALLENGE,
    OutcomeVerdict.DOSE_NOT_REACHED: RECHALLENGE,
}

# Advice that contradicts the outcome, and why.
_CONTRADICTIONS: dict[tuple[str, str], str] = {
    (OutcomeVerdict.FAILED, EAT_REGULARLY): (
        "A failed challenge cannot be followed by “eat the food regularly”: the food caused a reaction. "
        "Choose strict avoidance, or a re-challenge."
    ),
    (OutcomeVerdict.PASSED, STRICT_AVOIDANCE): (
        "A passed challenge cannot be followed by “strict avoidance”: the food was tolerated. Choose eat the food "
        "regularly, or record another outcome."
    ),
}


def default_advice(outcome: str) -> str:
    """The advice a form starts from for this outcome: never "eat regularly" after a failed challenge."""
    try:
        return _DEFAULT_ADVICE[outcome]
    except KeyError:
        raise OutcomeError(f"Unknown outcome {outcome!r}.", code="unknown_outcome") from None


def default_adrenaline_prescription(outcome: str, *, systemic_reaction: bool) -> bool:
    """A failed challenge with a systemic reaction (beyond the skin, or anaphylaxis) starts from "prescribe
    adrenaline"; the allergist may change it."""
    return outcome == OutcomeVerdict.FAILED and systemic_reaction


def advice_conflict(outcome: str, advice: str) -> str | None:
    """Why this advice contradicts this outcome, or None when it does not."""
    return _CONTRADICTIONS.get((outcome, advice))


def highest_symptom_free_mg(doses: Sequence[tuple[Decimal, bool]]) -> Decimal | None:
    """The highest active dose (mg protein) eaten before the first dose followed by a symptom: what an equivocal
    result can still say was tolerated (clinical review O4). `doses` in the order given, (protein mg, symptoms
    after it); placebo doses are left out by the caller. None when the first dose was followed by a symptom."""
    free: list[Decimal] = []
    for protein_mg, symptoms in doses:
        if symptoms:
            break
        free.append(protein_mg)
    return max(free, default=None)


# --- which form was tolerated (X9, P4) --------------------------------------------------------------------------

# docs/clinical-sources.md §1.6, §1.7: passing baked milk or egg (extensively heated in a wheat matrix), or
# hard-boiled egg, says nothing about the less-heated forms; each stays avoided until it is challenged.
_KEEP_AVOIDING: dict[tuple[str, str], str] = {
    ("milk", "baked"): (
        "fresh milk, yogurt, cheese (including cheese on pizza), milk puddings, and shop-bought bakes that list milk "
        "as the first or second ingredient"
    ),
    ("egg", "baked"): "hard-boiled, scrambled, fried, soft-boiled and raw egg (mayonnaise, mousse, raw batter)",
    (
        "egg",
        "boiled",
    ): "raw and lightly cooked egg (soft-boiled, runny or scrambled egg, mayonnaise, mousse, raw batter)",
}
_FORM_NAMES = {("milk", "baked"): "baked milk", ("egg", "baked"): "baked egg", ("egg", "boiled"): "hard-boiled egg"}


def is_partial_form(*, allergen: str, processing: str) -> bool:
    """A heated form (baked milk or egg, hard-boiled egg) whose tolerance says nothing of the less-heated forms."""
    return (allergen, processing) in _KEEP_AVOIDING


def form_advice(*, allergen: str, processing: str, food_label: str, processing_text: str = "") -> str:
    """After a passed challenge with a heated form of milk or egg: the form tolerated and what to keep avoiding.

    "Tolerated: baked milk (Baked-milk muffin, baked at 180 °C for 30 min in a wheat matrix). Keep eating it in this
    form regularly. Keep avoiding fresh milk, yogurt, … until each form is challenged." Empty for any other food,
    whose advice needs no form qualifier.
    """
    key = (allergen, processing)
    if key not in _KEEP_AVOIDING:
        return ""
    detail = f"{food_label}, {processing_text}" if processing_text else food_label
    return (
        f"Tolerated: {_FORM_NAMES[key]} ({detail}). Keep eating it in this form regularly. "
        f"Keep avoiding {_KEEP_AVOIDING[key]} until each form is challenged."
    )


# --- structured discharge advice (clinical review R6; docs/clinical-sources.md §15.3) -----------------------------

KEEP_EATING_MAX_LENGTH = 200  # characters: "a normal portion 2-3 times a week", not a document
FORM_ADVICE_MAX_LENGTH = 600  # characters: the longest form_advice() text with a long food name and processing


@dataclass(frozen=True)
class DischargeAdvice:
    """What the clinician ticked or wrote at discharge. Every tick starts unticked and every text empty: nothing is
    recorded as said or done until the clinician records it."""

    rest_of_day: bool = False  # avoid exercise and more of the food for the rest of the day (after a negative one)
    keep_eating: str = ""  # how much and how often to keep eating the food
    form_advice: str = ""  # which form was tolerated and which forms to keep avoiding
    action_plan_given: bool = False  # a written allergy action plan was given
    autoinjector_trained: bool = False  # shown how to use an adrenaline auto-injector
    follow_up_on: date | None = None  # the follow-up appointment or the re-challenge


def discharge_advice_problem(
    *, outcome: str, advice: str, discharge: DischargeAdvice, challenge_day: date
) -> OutcomeError | None:
    """Why these discharge items contradict the outcome or the calendar, or None.

    - How much to keep eating, with strict avoidance advised (or after a failed challenge): the food is avoided.
    - "Avoid the food for the rest of the day" after anything but a passed (negative) challenge: that item is the
      advice after a negative challenge (docs/clinical-sources.md §15.3); after a reaction the food is avoided.
    - A follow-up or re-challenge date before the challenge day.
    """
    avoiding = advice == STRICT_AVOIDANCE or outcome == OutcomeVerdict.FAILED
    if discharge.keep_eating.strip() and avoiding:
        return OutcomeError(
            "“How much and how often to keep eating” cannot go with strict avoidance or a failed challenge: "
            "leave it empty, or record another advice.",
            code="keep_eating_with_avoidance",
        )
    if discharge.rest_of_day and outcome != OutcomeVerdict.PASSED:
        return OutcomeError(
            "“Avoid exercise and the food for the rest of the day” is the advice after a passed challenge; "
            "untick it, or record the outcome as passed.",
            code="rest_of_day_not_passed",
        )
    if discharge.follow_up_on is not None and discharge.follow_up_on < challenge_day:
        return OutcomeError(
            "The follow-up or re-challenge date is before the challenge day.", code="follow_up_before_challenge"
        )
    return None


# What an unticked item prints: that nothing was recorded, never that it was not needed.
NOT_RECORDED = {
    "Written action plan given": "not recorded",
    "Auto-injector use trained": "not recorded",
    "Follow-up or re-challenge": "no date recorded",
}


def discharge_advice_lines(
    discharge: DischargeAdvice, *, food_name: str, follow_up_text: str, recorded_only: bool = False
) -> tuple[tuple[str, str], ...]:
    """The discharge items as (label, text), as the report and the referral summary print them. An unticked item
    says "not recorded" (never that it was not needed), or is left out with `recorded_only` (the referral summary,
    which stays short). `follow_up_text` is the follow-up date written out, or ""."""
    food = food_name.lower() or "the food"
    lines = []
    if discharge.rest_of_day:
        lines.append(("Rest of today", f"avoid exercise and do not eat more {food} today"))
    if discharge.keep_eating.strip():
        lines.append(("Keep eating", discharge.keep_eating.strip()))
    if discharge.form_advice.strip():
        lines.append(("Form-specific advice", discharge.form_advice.strip()))
    ticks = (
        ("Written action plan given", discharge.action_plan_given, "yes"),
        ("Auto-injector use trained", discharge.autoinjector_trained, "yes"),
        ("Follow-up or re-challenge", bool(follow_up_text), follow_up_text),
    )
    for label, recorded, text in ticks:
        if recorded or not recorded_only:
            lines.append((label, text if recorded else NOT_RECORDED[label]))
    return tuple(lines)

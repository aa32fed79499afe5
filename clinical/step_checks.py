"""Checks on a protocol's planned steps: errors that block saving and warnings that only inform.

Split from clinical.dosing, whose conversions it uses; every threshold cites docs/clinical-sources.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Final, Literal

# The arithmetic context and display helpers are dosing's own, shared so both modules round alike.
from clinical import fpies
from clinical.dose_preparation import MAX_DEVIATION_PCT, _deviation_pct, _display, _mg
from clinical.dosing import (
    DECIMAL_CONTEXT,
    HOUSEHOLD_MEASURES,
    DosingError,
    FoodSpec,
    food_amount_for_protein,
    protein_for_food_amount,
)
from clinical.durations import format_minutes
from clinical.home_ladder import HOME_MAX_RISE
from clinical.units import format_decimal, format_quantity

# ---------------------------------------------------------------------------------------------------------
# Protocol step checks
# ---------------------------------------------------------------------------------------------------------

KIND_OFC: Final = "ofc"
KIND_FPIES: Final = "fpies"
KIND_HOME: Final = "home"


@dataclass(frozen=True)
class DoseCheckRules:
    """What the step checks expect of one kind of protocol."""

    min_interval_minutes: int  # used when validate_steps is given no minimum
    big_jump_factor: Decimal | None  # warn when a step is more than this times the previous one
    warn_repeats: bool  # warn when a step repeats the previous dose


DOSE_CHECK_RULES: Final[dict[str, DoseCheckRules]] = {
    # docs/clinical-sources.md §1.2: 15-30 min between doses in most diagnostic protocols. docs/clinical-sources.md §2:
    # PRACTALL steps rise
    # about 3.3× (so allergyguide's OIT ">2×" caution does not apply to an OFC); 3.5× flags only unusual jumps.
    KIND_OFC: DoseCheckRules(min_interval_minutes=15, big_jump_factor=Decimal("3.5"), warn_repeats=True),
    # docs/clinical-sources.md §1.5: FPIES gives 3 EQUAL portions over about 1 h, so repeats are the design, not a slip;
    # the 15 min floor is the general OFC one (docs/clinical-sources.md §1.2).
    KIND_FPIES: DoseCheckRules(min_interval_minutes=15, big_jump_factor=None, warn_repeats=False),
    # docs/clinical-sources.md §5.4: home steps 3-5 days apart. docs/clinical-sources.md §11.1: an unsupervised home
    # step rises at most about 3× (home_ladder.HOME_MAX_RISE), so the big-jump warning is on for home plans too.
    KIND_HOME: DoseCheckRules(min_interval_minutes=3 * 24 * 60, big_jump_factor=HOME_MAX_RISE, warn_repeats=True),
}

# docs/clinical-sources.md §2 (allergyguide OIT checks): an amount above 250 g or 250 mL is impractically high.
DEFAULT_SERVING_LIMIT: Final = Decimal(250)
# A step typed in a household measure is converted with the food's own weight for it (FoodSpec.measure_weight):
# 5 g per level teaspoon is ASCIA's figure for peanut butter only (docs/clinical-sources.md §1.3, §2.2).
FOOD_UNITS: Final = ("g", "mL", *HOUSEHOLD_MEASURES)


@dataclass(frozen=True)
class StepInput:
    """One planned step. `interval_minutes` is the wait since the previous dose (ignored for the first)."""

    number: int
    protein_mg: Decimal | None = None
    food_amount: Decimal | None = None
    unit: str = "g"  # unit of food_amount: "g", "mL" or a household measure ("tsp", "slice"…)
    interval_minutes: int | None = None
    role: str = "dose"  # ROLE_DOSE, ROLE_LIP_SMEAR (no quantity) or ROLE_SERVING (FPIES serving after the portions)


ROLE_DOSE: Final = "dose"
ROLE_LIP_SMEAR: Final = "lip_smear"
ROLE_SERVING: Final = "serving"
ROLES: Final = (ROLE_DOSE, ROLE_LIP_SMEAR, ROLE_SERVING)


@dataclass(frozen=True)
class StepIssue:
    """A problem found in a protocol's steps; `code` is stable, `message` names the step and values."""

    level: Literal["error", "warning"]
    code: str
    message: str
    step_number: int | None


@dataclass(frozen=True)
class _Sized:
    """A step reduced to what the checks compare: its size (mg protein, else food) and its food amount."""

    number: int
    size: Decimal
    size_unit: str
    food: Decimal | None
    food_unit: str


def validate_steps(
    steps: Sequence[StepInput],
    *,
    food: FoodSpec | None,
    kind: str,
    min_interval_minutes: int | None,
    serving_limit: Decimal = DEFAULT_SERVING_LIMIT,
) -> list[StepIssue]:
    """Errors and warnings for a protocol's steps, in step order.

    `min_interval_minutes=None` uses the kind's default (DOSE_CHECK_RULES). `serving_limit` is in the food's unit.
    """
    rules = _dose_check_rules(kind)
    minimum = rules.min_interval_minutes if min_interval_minutes is None else min_interval_minutes
    issues = _check_numbering(steps)
    sized: list[_Sized] = []
    portions: list[_Sized] = []  # FPIES: the initial feeding (dose steps), which the caps apply to
    for index, step in enumerate(steps):
        if index > 0:
            issues += _check_interval(step, steps[index - 1], minimum)
        role_issues = _check_role(step, kind, index)
        if role_issues or step.role == ROLE_LIP_SMEAR:
            issues += role_issues
            continue
        step_issues, step_size = _size_step(step, food)
        issues += step_issues
        if step_size is not None:
            if sized and step.role == ROLE_DOSE:
                issues += _compare_steps(sized[-1], step_size, rules)
            sized.append(step_size)
            if step.role == ROLE_DOSE:
                portions.append(step_size)
    if kind == KIND_FPIES:
        issues += _check_fpies_caps(portions, food)
    return issues + _check_cumulative(sized, serving_limit)


def _check_role(step: StepInput, kind: str, index: int) -> list[StepIssue]:
    """A lip smear has no quantity and comes first; a serving step belongs to an FPIES challenge, after a dose."""
    if step.role not in ROLES:
        return [_error("unknown_role", f"Step {step.number} has an unknown kind of step “{step.role}”.", step.number)]
    if step.role == ROLE_LIP_SMEAR:
        if step.protein_mg is not None or step.food_amount is not None:
            message = f"Step {step.number} is a lip smear: it has no quantity (leave the dose and amount empty)."
            return [_error("lip_smear_quantity", message, step.number)]
        if index != 0:
            return [_error("lip_smear_not_first", f"Step {step.number}: a lip smear comes first.", step.number)]
    if step.role == ROLE_SERVING:
        if kind != KIND_FPIES:
            message = f"Step {step.number}: a serving after the portions is a step of an FPIES challenge."
            return [_error("serving_not_fpies", message, step.number)]
        if index == 0:
            message = f"Step {step.number}: the serving comes after the portions have been tolerated."
            return [_error("serving_first", message, step.number)]
    return []


def _check_fpies_caps(portions: Sequence[_Sized], food: FoodSpec | None) -> list[StepIssue]:
    """Errors for FPIES portions above 3 g of protein or 10 g (100 mL) of food (docs/clinical-sources.md §1.5)."""
    protein = sum((p.size for p in portions if p.size_unit == "mg"), Decimal(0))
    amount = sum((p.food for p in portions if p.food is not None), Decimal(0))
    return [_error(issue.code, issue.message, None) for issue in fpies.cap_issues(protein, amount, food)]


def _dose_check_rules(kind: str) -> DoseCheckRules:
    """The rules for a protocol kind; an unknown kind is a programming error."""
    try:
        return DOSE_CHECK_RULES[kind]
    except KeyError:
        known = ", ".join(sorted(DOSE_CHECK_RULES))
        raise DosingError(f"Unknown protocol kind “{kind}”; expected one of {known}.", code="unknown_kind") from None


def _check_numbering(steps: Sequence[StepInput]) -> list[StepIssue]:
    """Steps must be numbered 1, 2, 3… in order, so messages can name them."""
    numbers = [step.number for step in steps]
    if numbers == list(range(1, len(steps) + 1)):
        return []
    found = ", ".join(str(number) for number in numbers)
    return [_error("step_numbers", f"Steps must be numbered 1, 2, 3… in order; found {found}.", None)]


def _check_interval(step: StepInput, previous: StepInput, minimum: int) -> list[StepIssue]:
    """An error if this step comes sooner after the previous one than the minimum allows."""
    interval = step.interval_minutes
    if interval is None or (interval >= minimum and interval >= 0):
        return []
    allow = f"allow at least {format_minutes(max(minimum, 0))} between doses."
    if interval < 0:
        message = f"Step {step.number} has a negative wait ({interval} min) after step {previous.number}; {allow}"
    else:
        message = f"Step {step.number} comes {format_minutes(interval)} after step {previous.number}; {allow}"
    return [_error("interval_too_short", message, step.number)]


def _size_step(step: StepInput, food: FoodSpec | None) -> tuple[list[StepIssue], _Sized | None]:
    """Per-step errors (and the amount-mismatch warning), and the step's size when it has a usable dose."""
    issues = _check_positive(step)
    if issues:
        return issues, None
    if step.food_amount is None:
        if step.protein_mg is None:
            message = f"Step {step.number} has no dose; enter the protein or the amount of food."
            return [_error("dose_missing", message, step.number)], None
        return [], _sized_by_protein(step.number, step.protein_mg, food)
    unit = _normalise_unit(step.unit)
    if unit not in FOOD_UNITS:
        message = f"Step {step.number} has an unknown unit “{step.unit}”; use {', '.join(FOOD_UNITS)}."
        return [_error("unknown_unit", message, step.number)], None
    if food is None:
        return [], _sized_without_food(step, step.food_amount, unit)
    if unit in HOUSEHOLD_MEASURES and not any(name == unit for name, _weight in food.measures):
        message = f"Step {step.number}: {food.measure_error(unit)}"
        return [_error("no_household_weight", message, step.number)], None
    amount = _to_food_unit(step.food_amount, unit, food)
    if amount is None:
        return [_unit_mismatch(step, unit, food)], None
    protein = step.protein_mg if step.protein_mg is not None else protein_for_food_amount(amount, food)
    warnings = _check_amount_matches(step, amount, food)
    return warnings, _Sized(step.number, protein, "mg", amount, food.unit)


def _check_positive(step: StepInput) -> list[StepIssue]:
    """Errors for a dose or food amount of zero or less."""
    issues = []
    if step.protein_mg is not None and step.protein_mg <= 0:
        got = format_quantity(step.protein_mg, "mg")
        message = f"Step {step.number}: the dose must be more than 0 (got {got})."
        issues.append(_error("dose_not_positive", message, step.number))
    if step.food_amount is not None and step.food_amount <= 0:
        got = format_quantity(step.food_amount, _normalise_unit(step.unit))
        message = f"Step {step.number}: the amount of food must be more than 0 (got {got})."
        issues.append(_error("dose_not_positive", message, step.number))
    return issues


def _normalise_unit(unit: str) -> str:
    """ "ml"/"ML" -> "mL", "G" -> "g", "TSP" -> "tsp"; other text unchanged."""
    known = {"g": "g", "ml": "mL", **{name: name for name in HOUSEHOLD_MEASURES}}
    return known.get(unit.strip().lower(), unit.strip())


def _to_food_unit(amount: Decimal, unit: str, food: FoodSpec) -> Decimal | None:
    """amount (g, mL or a household measure) in the food's own unit, or None if that needs a density it lacks."""
    with localcontext(DECIMAL_CONTEXT):
        if unit in HOUSEHOLD_MEASURES:
            return amount * food.measure_weight(unit)
        if unit == food.unit:
            return amount
        if food.density_g_per_ml is None:
            return None
        density = food.density_g_per_ml
        return amount / density if food.is_liquid else amount * density


def _unit_mismatch(step: StepInput, unit: str, food: FoodSpec) -> StepIssue:
    """The error for grams of a liquid or millilitres of a solid without a density to convert them."""
    state = "a liquid" if food.is_liquid else "a solid"
    message = (
        f"Step {step.number} is in {unit} but {food.label} is {state}; enter {food.unit}, or give the food's density."
    )
    return _error("unit_mismatch", message, step.number)


def _check_amount_matches(step: StepInput, amount: Decimal, food: FoodSpec) -> list[StepIssue]:
    """A warning when a step's food amount and protein disagree by more than 5 % (docs/clinical-sources.md §2)."""
    if step.protein_mg is None or step.food_amount is None:
        return []
    holds = protein_for_food_amount(amount, food)
    deviation = _deviation_pct(holds, step.protein_mg)
    if abs(deviation) <= MAX_DEVIATION_PCT:
        return []
    typed = format_quantity(step.food_amount, _normalise_unit(step.unit))
    message = (
        f"Step {step.number}: {typed} of {food.label} holds about {_mg(holds)} of protein, "
        f"{format_decimal(_display(abs(deviation)))} % away from the {_mg(step.protein_mg)} planned."
    )
    return [_warning("amount_mismatch", message, step.number)]


def _sized_by_protein(number: int, protein_mg: Decimal, food: FoodSpec | None) -> _Sized:
    """A step given only as protein; its food amount is known only if the food is."""
    if food is None:
        return _Sized(number, protein_mg, "mg", None, "")
    return _Sized(number, protein_mg, "mg", food_amount_for_protein(protein_mg, food), food.unit)


def _sized_without_food(step: StepInput, amount: Decimal, unit: str) -> _Sized:
    """Without a food spec, steps compare by protein if given, else by the typed amount in its own unit."""
    total_amount = amount if unit in ("g", "mL") else None  # a household measure's weight depends on the food
    if step.protein_mg is not None:
        return _Sized(step.number, step.protein_mg, "mg", total_amount, unit)
    return _Sized(step.number, amount, unit, total_amount, unit)


def _compare_steps(previous: _Sized, current: _Sized, rules: DoseCheckRules) -> list[StepIssue]:
    """Warnings for a step that falls, repeats, or jumps too far from the previous one."""
    if previous.size_unit != current.size_unit:
        return []
    was, now = _show(previous), _show(current)
    if current.size < previous.size:
        message = f"Step {current.number} ({now}) is smaller than step {previous.number} ({was}); doses should rise."
        return [_warning("not_increasing", message, current.number)]
    if current.size == previous.size:
        if not rules.warn_repeats:
            return []
        message = f"Step {current.number} repeats step {previous.number} ({was}); check that the repeat is intended."
        return [_warning("repeated_step", message, current.number)]
    factor = rules.big_jump_factor
    if factor is None or current.size <= previous.size * factor:
        return []
    with localcontext(DECIMAL_CONTEXT):
        ratio = format_decimal(_display(current.size / previous.size))
    message = (
        f"Step {current.number} ({now}) is {ratio}× step {previous.number} ({was}); "
        f"steps above {format_decimal(factor)}× are unusual."
    )
    return [_warning("big_jump", message, current.number)]


def _check_cumulative(sized: Sequence[_Sized], limit: Decimal) -> list[StepIssue]:
    """A warning at the first step where the running total of food passes the serving limit."""
    totals: dict[str, Decimal] = {}
    issues = []
    for step in sized:
        if step.food is None:
            continue
        before = totals.get(step.food_unit, Decimal(0))
        totals[step.food_unit] = before + step.food
        if before <= limit < totals[step.food_unit]:
            total = format_quantity(_display(totals[step.food_unit]), step.food_unit)
            message = (
                f"By step {step.number} the running total is {total} of food, "
                f"more than a serving ({format_quantity(limit, step.food_unit)})."
            )
            issues.append(_warning("beyond_serving", message, step.number))
    return issues


def _show(step: _Sized) -> str:
    """A step's size for a message, e.g. "1,000 mg" or "2.5 g"."""
    return format_quantity(_display(step.size), step.size_unit)


def _error(code: str, message: str, step_number: int | None) -> StepIssue:
    """An error-level StepIssue."""
    return StepIssue(level="error", code=code, message=message, step_number=step_number)


def _warning(code: str, message: str, step_number: int | None) -> StepIssue:
    """A warning-level StepIssue."""
    return StepIssue(level="warning", code=code, message=message, step_number=step_number)

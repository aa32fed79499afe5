"""A protocol's plan as people read it: each step's protein and food, preparation and cumulative totals.

Pure: takes plain values (a FoodSpec and step tuples) and returns frozen dataclasses, so pages, the dose
preparation sheet and the challenge run all compute the same figures the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from clinical import dosing, fpies, step_checks
from clinical.durations import format_minutes


@dataclass(frozen=True)
class PlannedStep:
    number: int
    protein_mg: Decimal | None
    food_amount: Decimal | None
    household_measure: str
    interval_minutes: int
    role: str = step_checks.ROLE_DOSE  # a dose, a lip smear (no quantity) or the FPIES serving


@dataclass(frozen=True)
class StepLine:
    number: int
    protein_mg: Decimal  # target protein (or the protein in the planned food amount)
    food_amount: Decimal  # exact food amount for the target (g or mL)
    food_unit: str
    household_measure: str
    cumulative_protein_mg: Decimal
    cumulative_food: Decimal
    interval_minutes: int
    interval_text: str
    preparation: dosing.Preparation | None  # None when the dose is planned as an amount of food
    instructions: str  # how to prepare it: dosing.preparation_text, the same sentence on every page and sheet
    role: str = step_checks.ROLE_DOSE

    @property
    def is_lip_smear(self) -> bool:
        """A lip smear: recorded like a step, with its own wait, but no quantity and no protein."""
        return self.role == step_checks.ROLE_LIP_SMEAR


def lip_smear_text(food: dosing.FoodSpec) -> str:
    """The lip-smear step as the pages and sheets print it (docs/clinical-sources.md §1.3)."""
    return (
        f"Smear a small amount of {food.label} on the inside of the lower lip (not the outer lip); "
        "no measured quantity."
    )


def step_lines(food: dosing.FoodSpec, steps: Sequence[PlannedStep]) -> list[StepLine]:
    """Each step with its computed counterpart (food for protein, or protein for food) and running totals."""
    lines: list[StepLine] = []
    total_protein = total_food = Decimal(0)
    for step in steps:
        if step.role == step_checks.ROLE_LIP_SMEAR:
            lines.append(_lip_smear_line(step, food, total_protein, total_food))
            continue
        if step.protein_mg is not None:
            protein = step.protein_mg
            amount = step.food_amount if step.food_amount is not None else dosing.food_amount_for_protein(protein, food)
            preparation = dosing.prepare_dose(protein, food) if step.food_amount is None else None
        else:
            assert step.food_amount is not None  # the model's check constraint guarantees one of the two
            amount = step.food_amount
            protein = dosing.protein_for_food_amount(amount, food)
            preparation = None
        total_protein += protein
        total_food += amount
        prepared = preparation or dosing.food_preparation(amount, food, target_protein_mg=step.protein_mg)
        instructions = dosing.preparation_text(prepared, food, household_measure=step.household_measure)
        lines.append(
            StepLine(
                number=step.number,
                protein_mg=protein,
                food_amount=amount,
                food_unit=food.unit,
                household_measure=step.household_measure,
                cumulative_protein_mg=total_protein,
                cumulative_food=total_food,
                interval_minutes=step.interval_minutes,
                interval_text=format_minutes(step.interval_minutes),
                preparation=preparation,
                instructions=instructions,
                role=step.role,
            )
        )
    return lines


def _lip_smear_line(step: PlannedStep, food: dosing.FoodSpec, protein: Decimal, amount: Decimal) -> StepLine:
    """A lip smear contributes no protein and no food to the totals."""
    return StepLine(
        number=step.number,
        protein_mg=Decimal(0),
        food_amount=Decimal(0),
        food_unit=food.unit,
        household_measure=step.household_measure or "lip smear",
        cumulative_protein_mg=protein,
        cumulative_food=amount,
        interval_minutes=step.interval_minutes,
        interval_text=format_minutes(step.interval_minutes),
        preparation=None,
        instructions=lip_smear_text(food),
        role=step.role,
    )


def validation_issues(
    food: dosing.FoodSpec, steps: Sequence[PlannedStep], *, kind: str, min_interval_minutes: int
) -> list[step_checks.StepIssue]:
    """step_checks.validate_steps on a plan; our interval is the wait *after* a step, theirs the wait *before* it."""
    inputs = [
        step_checks.StepInput(
            number=step.number,
            protein_mg=step.protein_mg,
            food_amount=step.food_amount,
            unit=food.unit,
            interval_minutes=steps[index - 1].interval_minutes if index else None,
            role=step.role,
        )
        for index, step in enumerate(steps)
    ]
    return step_checks.validate_steps(
        inputs, food=food, kind=_dosing_kind(kind), min_interval_minutes=min_interval_minutes
    )


def _dosing_kind(kind: str) -> str:
    return {"fpies": step_checks.KIND_FPIES, "home": step_checks.KIND_HOME}.get(kind, step_checks.KIND_OFC)


# --- generators ------------------------------------------------------------------------------------------

GENERATORS = {
    "practall7": "PRACTALL 7 steps (3 → 3,000 mg protein)",
    "practall5": "PRACTALL-5 (30 → 3,000 mg protein)",
    "geometric": "Geometric ladder (start, top, steps or factor)",
    "fpies": "FPIES weight-based (3 equal portions)",
    "household": "ASCIA household ladder (lip smear, then 1/8, 1/4, 1/2, 1, 2 tsp)",
    "home": "Slow home reintroduction (crumb → full serving, at most about 3× a step)",
}


@dataclass(frozen=True)
class GeneratorInput:
    generator: str
    interval_minutes: int = 30
    start_mg: Decimal | None = None
    top_mg: Decimal | None = None
    steps: int | None = None
    factor: Decimal | None = None
    weight_kg: Decimal | None = None
    protein_g_per_kg: Decimal | None = None
    grams_per_measure: Decimal | None = None
    serving: Decimal | None = None
    days_between: int | None = None
    watch_hours: int | None = None
    exact: bool = False  # keep the computed doses instead of rounding them to numbers a clinician uses
    lip_smear: bool = True  # household ladder: start with a lip smear, with its own wait (ASCIA)
    serving_wait_minutes: int | None = None  # FPIES: wait after the portions before the serving step


def generate_steps(params: GeneratorInput, *, food: dosing.FoodSpec | None = None) -> list[PlannedStep]:
    """The steps a generator proposes; raises dosing.DosingError (with a code) for bad parameters.

    `food` lets the FPIES generator keep the portions under the 10 g (100 mL) food cap as well as the 3 g protein
    cap (docs/clinical-sources.md §1.5).
    """
    if params.generator == "home":
        return _home_steps(params)
    if params.generator == "household":
        return _household_steps(params)
    if params.generator == "fpies":
        return _fpies_steps(params, food)
    doses = _protein_doses(params)
    return [PlannedStep(n, dose, None, "", params.interval_minutes) for n, dose in enumerate(doses, start=1)]


def _household_steps(params: GeneratorInput) -> list[PlannedStep]:
    """ASCIA: a lip smear (no quantity), then the teaspoon steps, each followed by the same wait."""
    grams = params.grams_per_measure or dosing.ASCIA_GRAMS_PER_TSP
    amounts = dosing.household_ladder(dosing.ASCIA_PEANUT_TSP, grams_per_measure=grams)
    labels = [f"{measure} tsp" for measure in dosing.ASCIA_PEANUT_TSP]
    steps = [PlannedStep(0, None, None, "lip smear", params.interval_minutes, step_checks.ROLE_LIP_SMEAR)]
    steps = steps if params.lip_smear else []
    steps += [
        PlannedStep(0, None, amount, label, params.interval_minutes)
        for amount, label in zip(amounts, labels, strict=True)
    ]
    return [dataclasses.replace(step, number=n) for n, step in enumerate(steps, start=1)]


def _fpies_steps(params: GeneratorInput, food: dosing.FoodSpec | None) -> list[PlannedStep]:
    """FPIES portions for the weight (under both caps), then the serving step when a serving is given."""
    if params.weight_kg is None:
        raise dosing.DosingError("Give the patient's weight for an FPIES challenge.", code="weight_missing")
    per_kg = params.protein_g_per_kg or dosing.FPIES_DEFAULT_G_PER_KG
    cap_g = dosing.FPIES_CAP_G if food is None else fpies.total_cap_mg(food) / dosing.MG_PER_G
    doses = dosing.fpies_weight_based(params.weight_kg, protein_g_per_kg=per_kg, cap_g=cap_g)
    steps = [
        PlannedStep(n, dosing.plain_amount(dose), None, "", params.interval_minutes)
        for n, dose in enumerate(doses, start=1)
    ]
    if params.serving is None:
        return steps
    wait = params.serving_wait_minutes or fpies.FPIES_SERVING_WAIT_MINUTES
    steps[-1] = dataclasses.replace(steps[-1], interval_minutes=wait)
    serving = PlannedStep(
        len(steps) + 1,
        None,
        params.serving,
        "age-appropriate serving",
        params.interval_minutes,
        step_checks.ROLE_SERVING,
    )
    return [*steps, serving]


def _protein_doses(params: GeneratorInput) -> list[Decimal]:
    if params.generator == "practall7":
        return dosing.practall_7()
    if params.generator == "practall5":
        return dosing.practall_5()
    if params.generator == "geometric":
        if params.start_mg is None or params.top_mg is None:
            raise dosing.DosingError("Give the start and top doses.", code="ladder_ends_missing")
        doses = dosing.geometric_ladder(params.start_mg, params.top_mg, steps=params.steps, factor=params.factor)
        return doses if params.exact else dosing.round_ladder_semilog(doses)
    raise dosing.DosingError(f"Unknown generator “{params.generator}”.", code="unknown_generator")


def _home_steps(params: GeneratorInput) -> list[PlannedStep]:
    if params.serving is None:
        raise dosing.DosingError("Give the size of a full serving.", code="serving_missing")
    days = params.days_between or dosing.HOME_DAYS_BETWEEN
    ladder = dosing.home_serving_ladder(
        params.serving, days_between=days, watch_hours=params.watch_hours or dosing.HOME_WATCH_HOURS
    )
    minutes = days * 24 * 60
    return [PlannedStep(s.number, None, s.food_g, _serving_label(s.fraction_label), minutes) for s in ladder]


def _serving_label(label: str) -> str:
    return label if label in ("", "crumb", "full serving") else f"{label} serving"


def fpies_steps_for_weight(
    steps: Sequence[PlannedStep], *, weight_kg: Decimal, protein_g_per_kg: Decimal, food: dosing.FoodSpec
) -> list[PlannedStep]:
    """A protocol's FPIES steps with the portions (its dose steps) regenerated for this weight.

    As many equal portions as the protocol has dose steps, under both caps (docs/clinical-sources.md §1.5); each
    keeps its wait, and the serving step (and any other non-dose step) is kept as it is.
    """
    doses = [step for step in steps if step.role == step_checks.ROLE_DOSE]
    if not doses:
        raise dosing.DosingError("An FPIES protocol needs its portions as dose steps.", code="no_portions")
    cap_g = fpies.total_cap_mg(food) / dosing.MG_PER_G
    portions = iter(
        dosing.fpies_weight_based(weight_kg, protein_g_per_kg=protein_g_per_kg, cap_g=cap_g, portions=len(doses))
    )
    return [
        dataclasses.replace(step, protein_mg=dosing.plain_amount(next(portions)), food_amount=None)
        if step.role == step_checks.ROLE_DOSE
        else step
        for step in steps
    ]


def portions_protein_mg(lines: Sequence[StepLine]) -> Decimal:
    """Protein of the dose steps (the FPIES initial feeding; the serving and a lip smear are not counted)."""
    return sum((line.protein_mg for line in lines if line.role == step_checks.ROLE_DOSE), Decimal(0))

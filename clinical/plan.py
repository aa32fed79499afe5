"""A protocol's plan as people read it: each step's protein and food, preparation and cumulative totals.

Pure: takes plain values (a FoodSpec and step tuples) and returns frozen dataclasses, so pages, the dose
preparation sheet and the challenge run all compute the same figures the same way.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from clinical import dose_preparation, dosing, fpies, home_ladder, ladders, step_checks
from clinical.display import amount_text
from clinical.durations import format_minutes
from clinical.units import QuantityError, parse_household_amount

Alternatives = Callable[[], Sequence[dosing.FoodSpec]]


@dataclass(frozen=True)
class PlannedStep:
    number: int
    protein_mg: Decimal | None
    food_amount: Decimal | None
    household_measure: str
    interval_minutes: int
    role: str = step_checks.ROLE_DOSE  # a dose, a lip smear (no quantity) or the FPIES serving
    # A ladder whose rungs are different foods (X4): the step's own food, its amount and protein counted in it.
    # None: the protocol's food. `food_id` is the stored food's id, for writing.
    food: dosing.FoodSpec | None = None
    food_id: int | None = None

    def food_or(self, protocol_food: dosing.FoodSpec) -> dosing.FoodSpec:
        """The food this step is eaten as: its own, else the protocol's."""
        return self.food if self.food is not None else protocol_food


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
    preparation: dose_preparation.Preparation | None  # None when the dose is planned as an amount of food
    instructions: str  # how to prepare it: dose_preparation.preparation_text, the same sentence on every page and sheet
    protein_name: str = "protein"  # what protein_mg counts: "protein", or an allergen's ("milk protein")
    problem: str = ""  # why this dose cannot be prepared (then `instructions` says so and nothing else)
    role: str = step_checks.ROLE_DOSE
    food_label: str = ""  # the food this step is eaten as ("Cow's milk, whole"): every page that prints a step

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


CANNOT_PREPARE = "Cannot be prepared: "


def step_lines(
    food: dosing.FoodSpec, steps: Sequence[PlannedStep], *, alternatives: Alternatives | None = None
) -> list[StepLine]:
    """Each step with its computed counterpart (food for protein, or protein for food) and running totals.

    A dose that cannot be prepared (a paste under 0.2 g, a dose too small for one dilution) is not raised: its
    line carries the refusal as `problem` and its exact food amount, so pages and sheets show why instead of a
    recipe. Saving and booking refuse such a protocol (preparation_problems).
    """
    lines: list[StepLine] = []
    total_protein = total_food = Decimal(0)
    protocol_food = food
    for step in steps:
        food = step.food_or(protocol_food)
        if step.role == step_checks.ROLE_LIP_SMEAR:
            lines.append(_lip_smear_line(step, food, total_protein, total_food))
            continue
        problem = ""
        if step.protein_mg is not None:
            protein = step.protein_mg
            amount = step.food_amount if step.food_amount is not None else dosing.food_amount_for_protein(protein, food)
            preparation = None
            if step.food_amount is None:
                try:
                    preparation = dose_preparation.prepare_dose(protein, food, alternatives=alternatives)
                except dosing.DosingError as exc:
                    problem = exc.message
        else:
            assert step.food_amount is not None  # the model's check constraint guarantees one of the two
            amount = step.food_amount
            protein = dosing.protein_for_food_amount(amount, food)
            preparation = None
        total_protein += protein
        total_food += amount
        if problem:
            instructions = CANNOT_PREPARE + problem
        else:
            prepared = preparation or dose_preparation.food_preparation(amount, food, target_protein_mg=step.protein_mg)
            instructions = dose_preparation.preparation_text(prepared, food, household_measure=step.household_measure)
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
                protein_name=food.protein_name,
                problem=problem,
                food_label=food.label,
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
        food_label=food.label,
    )


def preparation_problems(
    food: dosing.FoodSpec, steps: Sequence[PlannedStep], *, alternatives: Alternatives | None = None
) -> list[step_checks.StepIssue]:
    """An error for every protein dose that cannot be prepared: weighed, measured, or (for a liquid or a powder
    only) diluted within 5 % (docs/clinical-sources.md §2, §2.1). Saving, checking and booking a protocol use this.
    """
    issues = []
    for step in steps:
        if step.protein_mg is None or step.food_amount is not None or step.protein_mg <= 0:
            continue
        try:
            dose_preparation.prepare_dose(step.protein_mg, step.food_or(food), alternatives=alternatives)
        except dosing.DosingError as exc:
            message = f"Step {step.number}: {exc.message}"
            issues.append(step_checks.StepIssue("error", exc.code, message, step.number))
    return issues


# "1/8 tsp", "1 1/2 tbsp", "2 slices", "1/2 muffin": a count of one of dosing.HOUSEHOLD_MEASURES.
_HOUSEHOLD_LABEL = re.compile(
    r"(?P<amount>[0-9][0-9 ./]*?)[ \t]*(?P<measure>tsp|tbsp|slices?|biscuits?|muffins?|cups?)", re.IGNORECASE
)


def household_amount(label: str) -> tuple[Fraction, str] | None:
    """(count, measure) for a label such as "1/8 tsp" or "1 1/2 slices"; None for free text ("crumb").

    Raises QuantityError when the count in front of a known measure is malformed ("1//8 tsp").
    """
    match = _HOUSEHOLD_LABEL.fullmatch(label.strip())
    if match is None:
        return None
    measure = match["measure"].lower().removesuffix("s") if match["measure"].lower() != "tsp" else "tsp"
    return parse_household_amount(match["amount"]), measure


def household_issues(food: dosing.FoodSpec, steps: Sequence[PlannedStep]) -> list[step_checks.StepIssue]:
    """Steps labelled in a household measure: the food must weigh that measure, and the food amount match it.

    Refused: a malformed count, or a measure the food has no weight for (F8: one 5 g teaspoon for every food
    overstated a powder's dose about twice). Warned: a food amount more than 5 % from count × the food's weight.
    """
    issues: list[step_checks.StepIssue] = []
    protocol_food = food
    for step in steps:
        food = step.food_or(protocol_food)
        try:
            parsed = household_amount(step.household_measure)
        except QuantityError as exc:
            message = f"Step {step.number}: {exc.message}"
            issues.append(step_checks.StepIssue("error", "bad_household_amount", message, step.number))
            continue
        if parsed is None:
            continue
        count, measure = parsed
        try:
            weight = food.measure_weight(measure)
        except dosing.DosingError as exc:
            issues.append(step_checks.StepIssue("error", exc.code, f"Step {step.number}: {exc.message}", step.number))
            continue
        if step.food_amount is None:
            continue
        with localcontext(dosing.DECIMAL_CONTEXT):
            expected = dosing.fraction_to_decimal(count) * weight
            deviation = abs(dose_preparation._deviation_pct(step.food_amount, expected))
        if deviation > dose_preparation.MAX_DEVIATION_PCT:
            message = (
                f"Step {step.number}: {step.household_measure} of {food.label} weighs about "
                f"{amount_text(expected, food.unit)}, not {amount_text(step.food_amount, food.unit)}."
            )
            issues.append(step_checks.StepIssue("warning", "household_mismatch", message, step.number))
    return issues


def with_household_amounts(food: dosing.FoodSpec, steps: Sequence[PlannedStep]) -> list[PlannedStep]:
    """Steps given only as a household measure get their food amount from the food's own weight for it.

    A step whose measure the food has no weight for, or whose count is malformed, is left as it is:
    household_issues refuses it when the protocol is checked.
    """
    filled = []
    for step in steps:
        if step.protein_mg is None and step.food_amount is None:
            try:
                parsed = household_amount(step.household_measure)
                if parsed is not None:
                    count, measure = parsed
                    weight = step.food_or(food).measure_weight(measure)
                    grams = ladders.household_ladder([count], grams_per_measure=weight)[0]
                    step = dataclasses.replace(step, food_amount=grams)
            except (QuantityError, dosing.DosingError):
                pass
        filled.append(step)
    return filled


def validation_issues(
    food: dosing.FoodSpec, steps: Sequence[PlannedStep], *, kind: str, min_interval_minutes: int
) -> list[step_checks.StepIssue]:
    """step_checks.validate_steps on a plan; our interval is the wait *after* a step, theirs the wait *before* it.

    A ladder of different foods (X4) is checked in protein: each rung's amount counted in its own food.
    """
    inputs = [
        step_checks.StepInput(
            number=step.number,
            protein_mg=_ladder_protein(step) if step.food is not None else step.protein_mg,
            food_amount=None if step.food is not None else step.food_amount,
            unit=food.unit,
            interval_minutes=steps[index - 1].interval_minutes if index else None,
            role=step.role,
        )
        for index, step in enumerate(steps)
    ]
    issues = step_checks.validate_steps(
        inputs, food=food, kind=_dosing_kind(kind), min_interval_minutes=min_interval_minutes
    )
    if any(step.food is not None for step in steps):
        # A running total of biscuits, muffins and milk added together means nothing: a ladder's serving is per rung.
        issues = [issue for issue in issues if issue.code != "beyond_serving"]
    return issues + household_issues(food, steps)


def _ladder_protein(step: PlannedStep) -> Decimal | None:
    """A rung of its own food in protein (None for a lip smear or a step with no amount yet)."""
    if step.protein_mg is not None or step.food is None or step.food_amount is None:
        return step.protein_mg
    return dosing.protein_for_food_amount(step.food_amount, step.food)


def _dosing_kind(kind: str) -> str:
    return {"fpies": step_checks.KIND_FPIES, "home": step_checks.KIND_HOME}.get(kind, step_checks.KIND_OFC)


# --- generators ------------------------------------------------------------------------------------------

GENERATORS = {
    "practall7": "PRACTALL 7 steps (3 → 3,000 mg protein)",
    "practall5": "PRACTALL-5 (30 → 3,000 mg protein)",
    "geometric": "Geometric ladder (start, top, steps or factor)",
    "fpies": "FPIES weight-based (3 equal portions)",
    "household": "ASCIA household ladder (lip smear, then 1/8, 1/4, 1/2, 1, 2 level tsp of the food)",
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
    lip_smear: bool = False  # household ladder: start with a lip smear, with its own wait (ASCIA; the seed asks)
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
    # The food's own weight of a level teaspoon (FoodSpec.measure_weight), never one 5 g for every food (F8).
    grams = params.grams_per_measure
    if grams is None:
        raise dosing.DosingError(
            "Give the weight of one level teaspoon of this food (the food has none on file).",
            code="no_household_weight",
        )
    amounts = ladders.household_ladder(ladders.ASCIA_PEANUT_TSP, grams_per_measure=grams)
    labels = [f"{measure} tsp" for measure in ladders.ASCIA_PEANUT_TSP]
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
    per_kg = params.protein_g_per_kg or ladders.FPIES_DEFAULT_G_PER_KG
    cap_g = ladders.FPIES_CAP_G if food is None else fpies.total_cap_mg(food) / dosing.MG_PER_G
    doses = ladders.fpies_weight_based(params.weight_kg, protein_g_per_kg=per_kg, cap_g=cap_g)
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
        return ladders.practall_7()
    if params.generator == "practall5":
        return ladders.practall_5()
    if params.generator == "geometric":
        if params.start_mg is None or params.top_mg is None:
            raise dosing.DosingError("Give the start and top doses.", code="ladder_ends_missing")
        doses = ladders.geometric_ladder(params.start_mg, params.top_mg, steps=params.steps, factor=params.factor)
        return doses if params.exact else ladders.round_ladder_semilog(doses)
    raise dosing.DosingError(f"Unknown generator “{params.generator}”.", code="unknown_generator")


def _home_steps(params: GeneratorInput) -> list[PlannedStep]:
    if params.serving is None:
        raise dosing.DosingError("Give the size of a full serving.", code="serving_missing")
    days = params.days_between or home_ladder.HOME_DAYS_BETWEEN
    ladder = home_ladder.home_serving_ladder(
        params.serving, days_between=days, watch_hours=params.watch_hours or home_ladder.HOME_WATCH_HOURS
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
        ladders.fpies_weight_based(weight_kg, protein_g_per_kg=protein_g_per_kg, cap_g=cap_g, portions=len(doses))
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


# --- baked foods (X9) -------------------------------------------------------------------------------------

# docs/clinical-sources.md §1.6, §1.7: milk counts as "baked" at 180 °C for at least 30 min in a wheat matrix (the
# validated muffin); egg at 180 °C for at least 20 min as an ingredient (UK baked-egg leaflets).
BAKED_MINIMUMS: dict[str, tuple[int, int]] = {"milk": (180, 30), "egg": (180, 20)}


def baked_food_issues(
    *, allergen: str, processing: str, temperature_c: int | None, minutes: int | None, matrix: str
) -> list[step_checks.StepIssue]:
    """A warning when a food called baked milk or egg is not baked hot and long enough in a wheat matrix."""
    if processing != "baked" or allergen not in BAKED_MINIMUMS:
        return []
    hot, long = BAKED_MINIMUMS[allergen]
    missing = []
    if temperature_c is None or temperature_c < hot:
        missing.append(f"at least {hot} °C")
    if minutes is None or minutes < long:
        missing.append(f"at least {long} min")
    if "wheat" not in matrix.lower():
        missing.append("a wheat matrix")
    if not missing:
        return []
    message = (
        f"The food is not recorded as baked {allergen} proper ({', '.join(missing)}): passing it may not show that "
        f"baked {allergen} is tolerated."
    )
    return [step_checks.StepIssue("warning", "not_baked_enough", message, None)]


def amount_to_give(line: StepLine) -> str:
    """What the preparation sheet's Food column prints for a step: never an amount too small to weigh or measure
    (under dose_preparation.MIN_DIRECT_AMOUNT, docs/clinical-sources.md §2) beside a recipe (clinical review R8).

    A diluted dose prints the volume of the mix to give and the mix ("1.1 mL of mix (1 g in 200 mL of water)"); a
    weighed or measured dose the amount as weighed (rounded to the scale or syringe); a planned amount under 0.2 g
    or 0.2 mL its household measure, or that it is too little to weigh; a dose that cannot be prepared says so.
    """
    if line.problem:
        return "cannot be prepared"
    preparation = line.preparation
    if preparation is not None and preparation.method == "dilution":
        return f"{amount_text(preparation.give_ml, 'mL')} of mix ({_mix_recipe(preparation)})"
    amount = preparation.amount if preparation is not None else line.food_amount
    if amount < dose_preparation.MIN_DIRECT_AMOUNT:
        smallest = amount_text(dose_preparation.MIN_DIRECT_AMOUNT, line.food_unit)
        if line.household_measure:
            return f"{line.household_measure} (under {smallest}: too little to weigh)"
        return f"too little to weigh (under {smallest})"
    return amount_text(amount, line.food_unit)


def _mix_recipe(preparation: dose_preparation.Preparation) -> str:
    """'1 g in 200 mL of water'; a liquid food, whose volume is part of the mix: '1 mL + 19 mL of water'."""
    food = amount_text(preparation.food_amount, preparation.food_unit)
    water = amount_text(preparation.diluent_ml, "mL")
    if preparation.food_unit == "mL":
        return f"{food} + {water} of water"
    return f"{food} in {water} of water"

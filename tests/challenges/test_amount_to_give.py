"""The preparation sheet's Food column (clinical.plan.amount_to_give, clinical review R8): never an amount under the
0.2 g or 0.2 mL that can be weighed or measured; a diluted dose is the volume of mix and its recipe."""

from __future__ import annotations

from decimal import Decimal as D

from clinical.dosing import LIQUID, POWDER, FoodSpec
from clinical.plan import PlannedStep, amount_to_give, step_lines

FLOUR = FoodSpec(D("52.2"), name="Peanut flour", physical_form=POWDER)  # 52.2 g protein per 100 g
MILK = FoodSpec(D("3.4"), name="Cow's milk", physical_form=LIQUID)
CAKE = FoodSpec(D("5"), name="Cheesecake")  # a solid: never diluted


def _line(food: FoodSpec, *, protein_mg: str | None = None, food_amount: str | None = None, measure: str = ""):
    step = PlannedStep(
        number=1,
        protein_mg=None if protein_mg is None else D(protein_mg),
        food_amount=None if food_amount is None else D(food_amount),
        household_measure=measure,
        interval_minutes=30,
    )
    return step_lines(food, [step])[0]


def test_a_diluted_powder_dose_is_the_volume_of_mix_and_the_recipe_not_the_grams_of_flour():
    line = _line(FLOUR, protein_mg="3")  # 0.006 g of flour
    assert line.preparation is not None
    assert line.preparation.method == "dilution"
    assert amount_to_give(line) == "1.1 mL of mix (1 g in 200 mL of water)"


def test_a_diluted_liquid_counts_the_food_in_the_mix():
    line = _line(MILK, protein_mg="3")  # 0.09 mL of milk
    text = amount_to_give(line)
    assert text.startswith(f"{line.preparation.give_ml} mL of mix (1 mL + ")  # type: ignore[union-attr]
    assert "mL of water)" in text


def test_a_dose_of_at_least_0_2_g_is_weighed_and_printed_as_weighed():
    line = _line(FLOUR, protein_mg="300")  # 0.575 g exact, 0.57 g on the scale
    assert amount_to_give(line) == "0.57 g"


def test_a_planned_amount_just_at_0_2_g_is_printed():
    assert amount_to_give(_line(CAKE, food_amount="0.2")) == "0.2 g"


def test_a_planned_amount_just_under_0_2_g_is_never_printed_as_grams():
    assert (
        amount_to_give(_line(CAKE, food_amount="0.19", measure="crumb")) == "crumb (under 0.2 g: too little to weigh)"
    )
    assert amount_to_give(_line(CAKE, food_amount="0.19")) == "too little to weigh (under 0.2 g)"


def test_a_dose_that_cannot_be_prepared_says_so():
    line = _line(CAKE, protein_mg="1")  # 0.02 g of a solid: neither weighed nor diluted
    assert line.problem
    assert amount_to_give(line) == "cannot be prepared"

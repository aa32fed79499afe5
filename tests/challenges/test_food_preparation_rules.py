"""The food's physical form, its own household measures, composite foods and form advice (pure rules).

Sources: docs/clinical-sources.md §1.3 (ASCIA 1 tsp peanut butter = 5 g), §1.6 (baked-milk muffin, 1.3 g milk
protein), §1.7 and §1.6 (form advice), §2.1 (dilution only of liquids and powders), §2.2 (household measures).
"""

from decimal import Decimal as D
from fractions import Fraction

import pytest

from clinical import dose_preparation, dosing, plan
from clinical.dosing import DosingError, FoodSpec
from clinical.outcome import form_advice
from clinical.step_checks import StepInput, validate_steps
from clinical.units import QuantityError, parse_household_amount
from tests.challenges.reference_foods import HARD_BOILED_EGG, PEANUT_BUTTER, PEANUT_FLOUR, WHOLE_MILK

# PB2 Original: 46.15 g/100 g (product label); about 2 g per level teaspoon (label serving 2 tbsp = 12 g).
PB2 = FoodSpec(D("46.15"), name="PB2", physical_form="powder", allergen="peanut", measures=(("tsp", D("2")),))
# Baked-milk muffin: 1.3 g of milk protein in a 100 g muffin (Nowak-Węgrzyn 2008; the weight is unconfirmed).
MUFFIN = FoodSpec(
    D("1.3"), name="baked-milk muffin", allergen="milk", protein_name="milk protein", measures=(("muffin", D("100")),)
)


# --- physical form ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("physical_form", "disperses", "unit"),
    [("liquid", True, "mL"), ("powder", True, "g"), ("paste", False, "g"), ("solid", False, "g")],
)
def test_each_form_choice_says_whether_it_may_be_diluted(physical_form, disperses, unit):
    food = FoodSpec(D("10"), physical_form=physical_form)
    assert (food.disperses, food.unit, food.is_liquid) == (disperses, unit, physical_form == "liquid")


def test_no_form_given_follows_is_liquid_and_defaults_to_solid():
    assert FoodSpec(D("3.15"), is_liquid=True).physical_form == "liquid"
    assert FoodSpec(D("20")).physical_form == "solid"  # the form never diluted: the safe default


def test_an_unknown_form_is_refused():
    with pytest.raises(DosingError) as excinfo:
        FoodSpec(D("20"), physical_form="gel")
    assert excinfo.value.code == "unknown_physical_form"


def test_liquid_milk_is_still_diluted():
    assert dose_preparation.prepare_dose(D("3"), WHOLE_MILK).method == "dilution"


def test_a_solid_at_exactly_0_2_g_is_weighed_and_just_below_is_refused():
    at_floor = dosing.protein_for_food_amount(D("0.2"), HARD_BOILED_EGG)  # 23.6 mg
    assert dose_preparation.prepare_dose(at_floor, HARD_BOILED_EGG).amount == D("0.20")
    with pytest.raises(DosingError) as excinfo:
        dose_preparation.prepare_dose(at_floor - D("0.001"), HARD_BOILED_EGG)
    assert excinfo.value.code == "food_does_not_disperse"
    assert "a solid does not mix evenly into water" in excinfo.value.message


def test_the_alternatives_are_read_only_when_a_dose_is_refused():
    calls = []

    def alternatives():
        calls.append(1)
        return [PEANUT_FLOUR]

    dose_preparation.prepare_dose(D("300"), PEANUT_BUTTER, alternatives=alternatives)
    assert calls == []
    with pytest.raises(DosingError):
        dose_preparation.prepare_dose(D("3"), PEANUT_BUTTER, alternatives=alternatives)
    assert calls == [1]


def test_step_lines_show_a_refused_step_instead_of_raising():
    steps = [plan.PlannedStep(1, D("3"), None, "", 30), plan.PlannedStep(2, D("300"), None, "", 30)]
    lines = plan.step_lines(PEANUT_BUTTER, steps, alternatives=lambda: [PEANUT_FLOUR])
    assert lines[0].preparation is None
    assert lines[0].instructions.startswith("Cannot be prepared: 3 mg of protein is 0.0135 g of peanut butter")
    assert "peanut flour, defatted" in lines[0].problem
    assert "water;" not in lines[0].instructions  # never "Mix … into water" for a paste
    assert lines[1].instructions == "Weigh 1.35 g of peanut butter, smooth (about 300 mg of protein)."
    issues = plan.preparation_problems(PEANUT_BUTTER, steps)
    assert [(i.level, i.code, i.step_number) for i in issues] == [("error", "food_does_not_disperse", 1)]


# --- household fractions (units.parse_household_amount) -----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1/8", Fraction(1, 8)),
        ("1 1/2", Fraction(3, 2)),
        (" 1/16 ", Fraction(1, 16)),
        ("2", Fraction(2)),
        ("0.5", Fraction(1, 2)),
        ("15/16", Fraction(15, 16)),
    ],
)
def test_household_fractions_are_read_exactly(typed, expected):
    assert parse_household_amount(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("1/17", "fraction", "split at most in 16ths"),
        ("1/0", "fraction", "numerator and a denominator above 0"),
        ("0/8", "fraction", "numerator and a denominator above 0"),
        ("1 3/2", "fraction", "write 2 1/2 instead"),
        ("1 2/2", "fraction", "write 2 instead"),
        ("1//2", "fraction", "write it as 1/8, 1/2 or 1 1/2"),
        ("-1/2", "fraction", "write it as 1/8"),
        ("1/2/3", "fraction", "write it as 1/8"),
        ("½", "fraction", "Write fractions as decimals"),
        ("0", "out_of_range", "above 0"),
        (".5", "leading_zero", "Write 0.5"),
        ("", "empty", "Enter a number."),
    ],
)
def test_household_nonsense_is_refused_with_a_clear_message(typed, code, message):
    with pytest.raises(QuantityError) as excinfo:
        parse_household_amount(typed)
    assert excinfo.value.code == code
    assert message in excinfo.value.message


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("1/8 tsp", (Fraction(1, 8), "tsp")),
        ("1 1/2 tbsp", (Fraction(3, 2), "tbsp")),
        ("2 slices", (Fraction(2), "slice")),
        ("1/2 Muffin", (Fraction(1, 2), "muffin")),
        ("crumb", None),
        ("1/16 serving", None),
        ("1/20 of a muffin", None),
    ],
)
def test_household_labels(label, expected):
    assert plan.household_amount(label) == expected


# --- the food's own household measures (F8, X8) ------------------------------------------------------------


def test_a_teaspoon_of_powder_uses_the_powders_own_weight():
    # One level teaspoon: 5 g of peanut butter (ASCIA) holds 1,110.5 mg; 2 g of PB2 (label) holds 923 mg.
    step = [StepInput(number=1, food_amount=D("1"), unit="tsp", protein_mg=D("923"))]
    assert validate_steps(step, food=PB2, kind="ofc", min_interval_minutes=None) == []
    peanut_butter_step = [StepInput(number=1, food_amount=D("1"), unit="tsp", protein_mg=D("1110.5"))]
    assert validate_steps(peanut_butter_step, food=PEANUT_BUTTER, kind="ofc", min_interval_minutes=None) == []


def test_a_household_step_is_refused_when_the_food_has_no_weight_for_it():
    step = [StepInput(number=1, food_amount=D("1"), unit="tsp")]
    issues = validate_steps(step, food=PEANUT_FLOUR, kind="ofc", min_interval_minutes=None)
    assert [(i.level, i.code) for i in issues] == [("error", "no_household_weight")]
    assert "peanut flour, defatted has no weight for one level teaspoon" in issues[0].message
    with pytest.raises(DosingError) as excinfo:
        PEANUT_FLOUR.measure_weight("tsp")
    assert excinfo.value.code == "no_household_weight"


def test_household_ladder_generator_needs_the_foods_teaspoon_weight():
    with pytest.raises(DosingError) as excinfo:
        plan.generate_steps(plan.GeneratorInput("household", interval_minutes=20))
    assert excinfo.value.code == "no_household_weight"
    steps = plan.generate_steps(
        plan.GeneratorInput("household", interval_minutes=20, grams_per_measure=PB2.measure_weight("tsp"))
    )
    assert [s.food_amount for s in steps] == [D("0.25"), D("0.5"), D("1"), D("2"), D("4")]
    assert [s.household_measure for s in steps] == ["1/8 tsp", "1/4 tsp", "1/2 tsp", "1 tsp", "2 tsp"]


def test_a_step_typed_as_a_household_measure_gets_the_foods_weight():
    steps = [plan.PlannedStep(1, None, None, "1/8 tsp", 20), plan.PlannedStep(2, None, None, "1 1/2 tsp", 20)]
    filled = plan.with_household_amounts(PB2, steps)
    assert [s.food_amount for s in filled] == [D("0.25"), D("3")]
    assert plan.with_household_amounts(PEANUT_FLOUR, steps) == steps  # no weight: left for the checks to refuse
    issues = plan.household_issues(PEANUT_FLOUR, steps)
    assert [(i.code, i.step_number) for i in issues] == [("no_household_weight", 1), ("no_household_weight", 2)]


def test_a_food_amount_that_does_not_match_its_household_measure_is_warned():
    at_5_percent = [plan.PlannedStep(1, None, D("0.2625"), "1/8 tsp", 20)]  # 0.25 g + 5 %
    assert plan.household_issues(PB2, at_5_percent) == []
    beyond = [plan.PlannedStep(1, None, D("0.625"), "1/8 tsp", 20)]  # a 5 g teaspoon's eighth, typed for PB2
    issues = plan.household_issues(PB2, beyond)
    assert [(i.level, i.code) for i in issues] == [("warning", "household_mismatch")]
    assert "1/8 tsp of PB2 weighs about 0.25 g, not 0.625 g" in issues[0].message


def test_a_malformed_count_in_a_household_label_is_an_error():
    issues = plan.household_issues(PB2, [plan.PlannedStep(1, None, D("1"), "1/0 tsp", 20)])
    assert [(i.level, i.code) for i in issues] == [("error", "bad_household_amount")]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"scoop": "5"}, "unknown_household_measure"),
        ({"tsp": "0"}, "measure_not_positive"),
        ({"tsp": "abc"}, "bad_household_measures"),
        (["tsp", "5"], "bad_household_measures"),
    ],
)
def test_stored_household_measures_are_checked(data, code):
    with pytest.raises(DosingError) as excinfo:
        dosing.parse_household_measures(data)
    assert excinfo.value.code == code


def test_stored_household_measures_are_read():
    assert dosing.parse_household_measures({"tsp": "5", "slice": "30"}) == (("tsp", D("5")), ("slice", D("30")))


# --- composite foods count the allergen's protein (P3) --------------------------------------------------------


def test_a_composite_food_is_dosed_in_its_allergens_protein():
    # 65 mg of milk protein at 1.3 g milk protein per 100 g of muffin is 5 g of muffin.
    preparation = dose_preparation.prepare_dose(D("65"), MUFFIN)
    assert (preparation.method, preparation.amount) == ("weigh", D("5.00"))
    assert preparation.instructions == "Weigh 5 g of baked-milk muffin (about 65 mg of milk protein)."


def test_the_muffin_protocol_adds_up_to_one_muffin():
    steps = [plan.PlannedStep(n, D(mg), None, "", 30) for n, mg in enumerate(("65", "130", "325", "780"), start=1)]
    lines = plan.step_lines(MUFFIN, steps)
    assert lines[-1].cumulative_protein_mg == D("1300")
    assert lines[-1].cumulative_food == D("100")
    assert {line.protein_name for line in lines} == {"milk protein"}


# --- form advice (X9, P4) -------------------------------------------------------------------------------------


def test_passed_baked_milk_names_the_form_and_what_to_keep_avoiding():
    text = form_advice(
        allergen="milk",
        processing="baked",
        food_label="Baked-milk muffin",
        processing_text="baked at 180 °C for 30 min in a wheat matrix",
    )
    assert text.startswith("Tolerated: baked milk (Baked-milk muffin, baked at 180 °C for 30 min in a wheat matrix).")
    assert "Keep avoiding fresh milk, yogurt, cheese (including cheese on pizza)" in text


def test_passed_hard_boiled_egg_keeps_raw_and_lightly_cooked_egg_avoided():
    text = form_advice(allergen="egg", processing="boiled", food_label="Egg, whole, hard-boiled")
    assert text.startswith("Tolerated: hard-boiled egg (Egg, whole, hard-boiled).")
    assert "raw and lightly cooked egg" in text


@pytest.mark.parametrize(("allergen", "processing"), [("peanut", "roasted"), ("milk", ""), ("egg", "raw")])
def test_other_foods_get_no_form_advice(allergen, processing):
    assert form_advice(allergen=allergen, processing=processing, food_label="x") == ""


# --- what counts as baked (X9) ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allergen", "temperature", "minutes", "matrix", "warned"),
    [
        ("milk", 180, 30, "wheat", False),  # the validated muffin (Nowak-Węgrzyn 2008)
        ("milk", 179, 30, "wheat", True),
        ("milk", 180, 29, "wheat", True),
        ("milk", 180, 30, "", True),  # a cheesecake: little flour
        ("egg", 180, 20, "wheat", False),  # UK baked-egg leaflets: 20 min at 180 °C
        ("egg", 180, 19, "wheat", True),
        ("egg", None, None, "wheat", True),
    ],
)
def test_baked_milk_and_egg_must_be_baked_hot_and_long_in_wheat(allergen, temperature, minutes, matrix, warned):
    issues = plan.baked_food_issues(
        allergen=allergen, processing="baked", temperature_c=temperature, minutes=minutes, matrix=matrix
    )
    assert [(i.level, i.code) for i in issues] == ([("warning", "not_baked_enough")] if warned else [])


def test_unbaked_foods_are_not_checked_for_baking():
    assert plan.baked_food_issues(allergen="milk", processing="", temperature_c=None, minutes=None, matrix="") == []


def test_measures_stored_before_the_check_are_read_leniently():
    stored = {"tsp": "5", "scoop": "32.5", "tbsp": "0"}
    assert dosing.parse_household_measures(stored, strict=False) == (("tsp", D("5")),)
    assert dosing.parse_household_measures("tsp=5", strict=False) == ()

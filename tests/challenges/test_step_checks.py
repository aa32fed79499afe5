"""Protocol step checks (clinical.step_checks): errors block, warnings inform, messages name the step."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinical.dosing import DosingError, FoodSpec, grams_rounded
from clinical.home_ladder import home_serving_ladder
from clinical.ladders import ASCIA_PEANUT_TSP, fpies_weight_based, practall_7
from clinical.step_checks import StepInput, validate_steps
from tests.challenges.reference_foods import CHEESECAKE, PEANUT_BUTTER, WHOLE_MILK

D = Decimal

# --- validate_steps ------------------------------------------------------------------------------------------------


def _practall_steps(interval=30):
    return [StepInput(number=i, protein_mg=dose, interval_minutes=interval) for i, dose in enumerate(practall_7(), 1)]


def _steps(*doses, interval=30):
    return [StepInput(number=i, protein_mg=D(dose), interval_minutes=interval) for i, dose in enumerate(doses, 1)]


def _codes(issues):
    return [(issue.level, issue.code, issue.step_number) for issue in issues]


def test_practall_with_peanut_butter_has_no_issues():
    assert validate_steps(_practall_steps(), food=PEANUT_BUTTER, kind="ofc", min_interval_minutes=None) == []


def test_practall_without_a_food_has_no_issues():
    assert validate_steps(_practall_steps(), food=None, kind="ofc", min_interval_minutes=20) == []


def test_big_jump_message_names_steps_values_and_threshold():
    issues = validate_steps(_steps(10, 30, 100, 1000), food=None, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("warning", "big_jump", 4)]
    assert issues[0].message == "Step 4 (1,000 mg) is 10× step 3 (100 mg); steps above 3.5× are unusual."


def test_a_rise_of_exactly_3_5_times_is_not_flagged_but_just_above_is():
    assert validate_steps(_steps(10, 35), food=None, kind="ofc", min_interval_minutes=None) == []
    issues = validate_steps(_steps(10, "35.1"), food=None, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("warning", "big_jump", 2)]
    assert "is 3.51× step 1" in issues[0].message


def test_falling_dose_is_warned():
    issues = validate_steps(_steps(30, 100, 30), food=None, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("warning", "not_increasing", 3)]
    assert issues[0].message == "Step 3 (30 mg) is smaller than step 2 (100 mg); doses should rise."


def test_repeated_step_is_allowed_but_warned():
    issues = validate_steps(_steps(100, 300, 300), food=None, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("warning", "repeated_step", 3)]
    assert issues[0].message == "Step 3 repeats step 2 (300 mg); check that the repeat is intended."


def test_fpies_equal_portions_are_not_warned_but_a_fall_is():
    portions = fpies_weight_based(D("10"))
    steps = [StepInput(number=i, protein_mg=mg, interval_minutes=20) for i, mg in enumerate(portions, 1)]
    assert validate_steps(steps, food=None, kind="fpies", min_interval_minutes=None) == []
    falling = validate_steps(_steps(1000, 500), food=None, kind="fpies", min_interval_minutes=None)
    assert _codes(falling) == [("warning", "not_increasing", 2)]


def test_home_ladder_jump_from_crumb_is_not_warned():
    home = home_serving_ladder(D("100"))
    steps = [
        StepInput(number=step.number, food_amount=step.food_g, unit="g", interval_minutes=3 * 24 * 60) for step in home
    ]
    issues = validate_steps(steps, food=CHEESECAKE, kind="home", min_interval_minutes=None, serving_limit=D("300"))
    assert issues == []


def test_interval_too_short_uses_the_kind_default():
    steps = _steps(3, 10, 30)
    steps[2] = StepInput(number=3, protein_mg=D("30"), interval_minutes=10)
    issues = validate_steps(steps, food=None, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("error", "interval_too_short", 3)]
    assert issues[0].message == "Step 3 comes 10 min after step 2; allow at least 15 min between doses."


def test_interval_minimum_given_by_the_caller_wins():
    issues = validate_steps(_steps(3, 10, interval=20), food=None, kind="ofc", min_interval_minutes=30)
    assert _codes(issues) == [("error", "interval_too_short", 2)]
    assert "allow at least 30 min" in issues[0].message


def test_home_interval_is_named_in_days():
    issues = validate_steps(_steps(1, 2, interval=2 * 24 * 60), food=None, kind="home", min_interval_minutes=None)
    assert issues[0].message == "Step 2 comes 2 days after step 1; allow at least 3 days between doses."


def test_interval_is_named_in_hours():
    issues = validate_steps(_steps(1, 2, interval=60), food=None, kind="ofc", min_interval_minutes=120)
    assert "comes 1 h after step 1; allow at least 2 h" in issues[0].message


def test_first_step_interval_and_missing_intervals_are_not_checked():
    steps = [StepInput(number=1, protein_mg=D("3"), interval_minutes=0), StepInput(number=2, protein_mg=D("10"))]
    assert validate_steps(steps, food=None, kind="ofc", min_interval_minutes=None) == []


def test_negative_interval_is_an_error_even_with_no_minimum():
    issues = validate_steps(_steps(3, 10, interval=-5), food=None, kind="ofc", min_interval_minutes=0)
    assert _codes(issues) == [("error", "interval_too_short", 2)]
    assert issues[0].message == "Step 2 has a negative wait (-5 min) after step 1; allow at least 0 min between doses."


@pytest.mark.parametrize(("protein", "amount"), [(D("0"), None), (D("-3"), None), (None, D("0")), (None, D("-1"))])
def test_dose_not_positive_is_an_error(protein, amount):
    steps = [*_steps(3), StepInput(number=2, protein_mg=protein, food_amount=amount, interval_minutes=30)]
    issues = validate_steps(steps, food=PEANUT_BUTTER, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("error", "dose_not_positive", 2)]
    assert issues[0].message.startswith("Step 2: the ")


def test_dose_not_positive_message_names_the_value():
    steps = [StepInput(number=1, protein_mg=D("-3"))]
    issues = validate_steps(steps, food=None, kind="ofc", min_interval_minutes=None)
    assert issues[0].message == "Step 1: the dose must be more than 0 (got -3 mg)."


def test_missing_dose_is_an_error():
    issues = validate_steps([StepInput(number=1)], food=None, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("error", "dose_missing", 1)]


def test_a_bad_step_is_left_out_of_comparisons():
    steps = _steps(100, 0, 300)
    issues = validate_steps(steps, food=None, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("error", "dose_not_positive", 2)]


def test_millilitres_of_a_solid_is_a_unit_mismatch():
    steps = [StepInput(number=1, food_amount=D("2"), unit="mL")]
    issues = validate_steps(steps, food=PEANUT_BUTTER, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("error", "unit_mismatch", 1)]
    assert issues[0].message == (
        "Step 1 is in mL but peanut butter, smooth is a solid; enter g, or give the food's density."
    )


def test_grams_of_a_liquid_without_density_is_a_unit_mismatch():
    steps = [StepInput(number=1, food_amount=D("100"), unit="g")]
    issues = validate_steps(steps, food=WHOLE_MILK, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("error", "unit_mismatch", 1)]
    assert "whole milk is a liquid; enter mL" in issues[0].message


def test_grams_of_a_liquid_with_density_are_converted():
    milk = FoodSpec(D("3.15"), is_liquid=True, density_g_per_ml=D("1.03"), name="whole milk")
    steps = [StepInput(number=1, food_amount=D("103"), unit="g"), StepInput(number=2, food_amount=D("200"), unit="ml")]
    issues = validate_steps(steps, food=milk, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("warning", "beyond_serving", 2)]
    assert "running total is 300 mL of food" in issues[0].message  # 103 g / 1.03 g/mL = 100 mL


def test_millilitres_of_a_solid_with_density_are_converted():
    flour = FoodSpec(D("10"), density_g_per_ml=D("0.5"), name="flour")
    steps = [StepInput(number=1, food_amount=D("1"), unit="g"), StepInput(number=2, food_amount=D("10"), unit="mL")]
    issues = validate_steps(steps, food=flour, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("warning", "big_jump", 2)]
    assert "Step 2 (500 mg) is 5× step 1 (100 mg)" in issues[0].message


def test_unknown_unit_is_an_error():
    steps = [StepInput(number=1, food_amount=D("1"), unit="cups")]
    issues = validate_steps(steps, food=PEANUT_BUTTER, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("error", "unknown_unit", 1)]
    assert issues[0].message == "Step 1 has an unknown unit “cups”; use g, mL, tsp, tbsp, slice, biscuit, muffin, cup."


def test_ascia_teaspoons_are_checked_as_grams_of_peanut_butter():
    steps = [
        StepInput(number=i, food_amount=D(tsp.numerator) / D(tsp.denominator), unit="tsp", interval_minutes=20)
        for i, tsp in enumerate(ASCIA_PEANUT_TSP, 1)
    ]
    assert validate_steps(steps, food=PEANUT_BUTTER, kind="ofc", min_interval_minutes=None) == []
    limited = validate_steps(steps, food=PEANUT_BUTTER, kind="ofc", min_interval_minutes=None, serving_limit=D("10"))
    assert _codes(limited) == [("warning", "beyond_serving", 5)]
    assert "running total is 19.4 g of food, more than a serving (10 g)" in limited[0].message


def test_protein_and_food_amount_that_disagree_are_warned():
    grams = [grams_rounded(dose, PEANUT_BUTTER) for dose in practall_7()]
    steps = [
        StepInput(number=i, protein_mg=dose, food_amount=g, unit="g", interval_minutes=30)
        for i, (dose, g) in enumerate(zip(practall_7(), grams, strict=True), 1)
    ]
    issues = validate_steps(steps, food=PEANUT_BUTTER, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("warning", "amount_mismatch", 1), ("warning", "amount_mismatch", 2)]
    assert issues[0].message == (
        "Step 1: 0.01 g of peanut butter, smooth holds about 2.22 mg of protein, 26 % away from the 3 mg planned."
    )


def test_cumulative_food_beyond_250_g_is_warned_once():
    steps = [StepInput(number=i, food_amount=D("100"), unit="mL", interval_minutes=30) for i in (1, 2, 3, 4)]
    issues = validate_steps(steps, food=WHOLE_MILK, kind="fpies", min_interval_minutes=None)
    # docs/clinical-sources.md §1.5: 400 mL is also above the 100 mL FPIES cap.
    assert _codes(issues) == [
        ("error", "fpies_protein_cap", None),
        ("error", "fpies_food_cap", None),
        ("warning", "beyond_serving", 3),
    ]
    assert issues[-1].message == "By step 3 the running total is 300 mL of food, more than a serving (250 mL)."


def test_cumulative_food_from_protein_uses_the_food():
    steps = _steps(1000, 3000, 3000, 3000)  # 31.7 + 95.2 × 3 mL of milk = 317 mL
    issues = validate_steps(steps, food=WHOLE_MILK, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [
        ("warning", "repeated_step", 3),
        ("warning", "repeated_step", 4),
        ("warning", "beyond_serving", 4),
    ]


def test_without_a_food_steps_compare_by_typed_amount():
    steps = [StepInput(number=i, food_amount=D(g), unit="g", interval_minutes=30) for i, g in enumerate((1, 2, 10), 1)]
    issues = validate_steps(steps, food=None, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("warning", "big_jump", 3)]
    assert issues[0].message.startswith("Step 3 (10 g) is 5× step 2 (2 g)")


def test_steps_in_different_units_are_not_compared_without_a_food():
    steps = [StepInput(number=1, food_amount=D("10"), unit="g"), StepInput(number=2, food_amount=D("1"), unit="tsp")]
    assert validate_steps(steps, food=None, kind="ofc", min_interval_minutes=None) == []


def test_step_numbers_must_run_from_one():
    steps = [StepInput(number=1, protein_mg=D("3")), StepInput(number=3, protein_mg=D("10"))]
    issues = validate_steps(steps, food=None, kind="ofc", min_interval_minutes=None)
    assert _codes(issues) == [("error", "step_numbers", None)]
    assert "found 1, 3" in issues[0].message


def test_unknown_kind_is_refused():
    with pytest.raises(DosingError) as excinfo:
        validate_steps(_steps(3), food=None, kind="oit", min_interval_minutes=None)
    assert excinfo.value.code == "unknown_kind"
    assert "fpies, home, ofc" in excinfo.value.message


def test_no_steps_no_issues():
    assert validate_steps([], food=PEANUT_BUTTER, kind="ofc", min_interval_minutes=None) == []

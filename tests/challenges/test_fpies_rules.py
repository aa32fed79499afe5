"""FPIES rules (docs/clinical-sources.md §1.5, §11.2), step roles and the home big-jump rule, on both sides of each
boundary. Pure: no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from clinical import fpies, home_plan, ladders, plan
from clinical.dosing import FoodSpec
from clinical.step_checks import StepInput, validate_steps

EGG = FoodSpec(D("11.8"), name="egg")  # hard-boiled egg, CNF 2015 (docs/clinical-sources.md §2)
MILK = FoodSpec(D("3.15"), is_liquid=True, name="milk")
CHEESECAKE = FoodSpec(D("5.5"), name="cheesecake")
OAT_DRINK = FoodSpec(D("2.5"), is_liquid=True, name="oat drink")  # 100 mL holds 2.5 g: only the volume cap applies
PEANUT_FLOUR = FoodSpec(D("52.2"), name="peanut flour")  # 10 g holds 5.22 g: only the 3 g cap applies


def _codes(issues):
    return [(issue.level, issue.code, issue.step_number) for issue in issues]


def _portions(*amounts: str, unit: str = "g", interval: int = 30) -> list[StepInput]:
    return [
        StepInput(number=n, food_amount=D(a), unit=unit, interval_minutes=interval) for n, a in enumerate(amounts, 1)
    ]


# --- the caps on the initial feeding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amounts", "food", "unit", "expected"),
    [
        (("3", "3", "4"), EGG, "g", []),  # exactly 10 g of food: allowed
        (("3", "3", "4.01"), EGG, "g", [("error", "fpies_food_cap", None)]),
        (("30", "30", "40"), OAT_DRINK, "mL", []),  # exactly 100 mL of a liquid
        (("30", "30", "40.1"), OAT_DRINK, "mL", [("error", "fpies_food_cap", None)]),
    ],
)
def test_the_10_g_or_100_ml_food_cap(amounts, food, unit, expected):
    issues = validate_steps(_portions(*amounts, unit=unit), food=food, kind="fpies", min_interval_minutes=None)
    assert _codes(issues) == expected


@pytest.mark.parametrize(
    ("doses", "expected"),
    [(("1000", "1000", "1000"), []), (("1000", "1000", "1000.1"), [("error", "fpies_protein_cap", None)])],
)
def test_the_3_g_protein_cap(doses, expected):
    steps = [StepInput(number=n, protein_mg=D(d), interval_minutes=30) for n, d in enumerate(doses, 1)]
    assert _codes(validate_steps(steps, food=None, kind="fpies", min_interval_minutes=None)) == expected


def test_the_serving_after_the_portions_is_not_counted_in_the_caps():
    steps = [*_portions("3", "3", "4"), StepInput(number=4, food_amount=D("25"), unit="g", role="serving")]
    assert validate_steps(steps, food=EGG, kind="fpies", min_interval_minutes=None) == []


def test_the_caps_apply_only_to_fpies():
    steps = _portions("5", "10", "20")
    assert "fpies_food_cap" not in [
        i.code for i in validate_steps(steps, food=EGG, kind="ofc", min_interval_minutes=None)
    ]


def test_the_protein_cap_for_a_food_is_the_lower_of_the_two():
    assert fpies.total_cap_mg(EGG) == D(1180)  # 10 g × 11.8 %
    assert fpies.total_cap_mg(PEANUT_FLOUR) == D(3000)  # 10 g holds 5,220 mg: the 3 g cap
    assert fpies.total_cap_mg(MILK) == D(3000)  # 100 mL holds 3,150 mg: the 3 g cap
    assert fpies.total_cap_mg(OAT_DRINK) == D(2500)  # 100 mL holds 2,500 mg


def test_generated_portions_stay_under_both_caps():
    steps = plan.generate_steps(plan.GeneratorInput("fpies", 30, weight_kg=D(20), serving=D(25)), food=EGG)
    assert [s.protein_mg for s in steps[:3]] == [D("393.3"), D("393.3"), D("393.4")]  # 1,180 mg
    assert (steps[2].interval_minutes, steps[3].role, steps[3].food_amount) == (150, "serving", D(25))


def test_portions_regenerated_for_a_weight_keep_the_serving():
    example = plan.generate_steps(plan.GeneratorInput("fpies", 30, weight_kg=D(10), serving=D(5)), food=PEANUT_FLOUR)
    mine = plan.fpies_steps_for_weight(example, weight_kg=D("7.3"), protein_g_per_kg=D("0.3"), food=PEANUT_FLOUR)
    assert [s.protein_mg for s in mine[:3]] == [D(730)] * 3  # 7.3 kg × 0.3 g/kg = 2.19 g
    assert mine[3] == example[3]


# --- 0.6 g/kg at booking ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("total_mg", "weight", "refused"), [("6000", "10", False), ("6001", "10", True)])
def test_at_most_0_6_g_per_kg(total_mg, weight, refused):
    issue = fpies.dose_per_kg_issue(D(total_mg), D(weight))
    assert (issue is not None) is refused
    if refused:
        assert issue.code == "dose_per_kg_too_high"


# --- the weight's age -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measured_on", "stale"),
    [(date(2026, 10, 27), False), (date(2026, 10, 26), True), (None, True)],  # 30 days, 31 days, unknown
)
def test_a_weight_older_than_30_days_is_stale(measured_on, stale):
    assert fpies.weight_is_stale(measured_on, date(2026, 11, 26)) is stale


def test_the_stale_weight_warning_names_the_weight_and_its_age():
    message = fpies.stale_weight_text(D("9"), date(2026, 10, 1), date(2026, 11, 26))
    assert message.startswith("The doses are worked out from a weight of 9 kg measured 56 days ago (more than 30 days)")
    assert "an unknown date" in fpies.stale_weight_text(D("9"), None, date(2026, 11, 26))


# --- the rescue plan ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "saline", "ondansetron", "steroid"),
    [
        ("11.8", "236", "1.8", "11.8"),  # 20 mL/kg, 0.15 mg/kg (1.77), 1 mg/kg
        ("106.6", "2132", "16", "60"),  # ondansetron 15.99 -> 16; methylprednisolone capped at 60 mg
        ("106.7", "2134", "16", "60"),  # 16.005 mg: capped at 16 mg
        ("60", "1200", "9", "60"),  # methylprednisolone exactly at its cap
        ("60.1", "1202", "9", "60"),  # just above: capped
    ],
)
def test_rescue_doses_for_a_weight(weight, saline, ondansetron, steroid):
    rescue = fpies.rescue_plan(D(weight))
    assert (rescue.saline_ml, rescue.ondansetron_mg, rescue.methylprednisolone_mg) == (
        D(saline),
        D(ondansetron),
        D(steroid),
    )


def test_rescue_refuses_a_missing_weight():
    with pytest.raises(ValueError, match="weight"):
        fpies.rescue_plan(D(0))


# --- step roles -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "kind", "code"),
    [
        ([StepInput(1, role="lip_smear", food_amount=D(1))], "ofc", "lip_smear_quantity"),
        (
            [StepInput(1, protein_mg=D(3)), StepInput(2, role="lip_smear", interval_minutes=20)],
            "ofc",
            "lip_smear_not_first",
        ),
        (
            [StepInput(1, protein_mg=D(3)), StepInput(2, role="serving", food_amount=D(25), interval_minutes=20)],
            "ofc",
            "serving_not_fpies",
        ),
        ([StepInput(1, role="serving", food_amount=D(25))], "fpies", "serving_first"),
        ([StepInput(1, role="snack", food_amount=D(25))], "ofc", "unknown_role"),
    ],
)
def test_step_roles_are_checked(steps, kind, code):
    issues = validate_steps(steps, food=EGG, kind=kind, min_interval_minutes=None)
    assert code in [issue.code for issue in issues if issue.level == "error"]


def test_a_lip_smear_first_is_valid_and_adds_nothing():
    steps = [StepInput(1, role="lip_smear"), StepInput(2, food_amount=D("0.625"), unit="g", interval_minutes=20)]
    assert validate_steps(steps, food=EGG, kind="ofc", min_interval_minutes=None) == []
    lines = plan.step_lines(
        EGG, [plan.PlannedStep(1, None, None, "", 20, "lip_smear"), plan.PlannedStep(2, None, D(1), "", 20)]
    )
    assert (lines[0].protein_mg, lines[0].food_amount, lines[0].is_lip_smear) == (D(0), D(0), True)
    assert lines[1].cumulative_protein_mg == D(118)
    assert lines[0].instructions.startswith("Smear a small amount of egg on the inside of the lower lip")


def test_the_household_generator_can_start_with_a_lip_smear():
    with_smear = plan.generate_steps(plan.GeneratorInput("household", 20, grams_per_measure=D(5), lip_smear=True))
    without = plan.generate_steps(plan.GeneratorInput("household", 20, grams_per_measure=D(5)))  # off by default
    assert [s.role for s in with_smear] == ["lip_smear"] + ["dose"] * 5
    assert [s.number for s in with_smear] == [1, 2, 3, 4, 5, 6]
    assert len(without) == 5


# --- the big-jump warning for home plans (docs/clinical-sources.md §11.1) ----------------------------------------


@pytest.mark.parametrize(("second", "warned"), [("0.3", False), ("0.31", True)])
def test_home_steps_above_3_times_are_warned(second, warned):
    steps = _portions("0.1", second, interval=3 * 24 * 60)
    issues = validate_steps(steps, food=CHEESECAKE, kind="home", min_interval_minutes=None)
    assert (_codes(issues) == [("warning", "big_jump", 2)]) is warned
    assert (issues == []) is not warned


def test_the_old_crumb_to_one_sixteenth_jump_is_warned():
    steps = _portions("0.1", "6.25", interval=3 * 24 * 60)
    issues = validate_steps(steps, food=CHEESECAKE, kind="home", min_interval_minutes=None)
    assert _codes(issues) == [("warning", "big_jump", 2)]
    assert "62.5×" in issues[0].message


# --- the home plan's safety framing -------------------------------------------------------------------------------


def test_safety_advice_follows_the_plan_options():
    full = home_plan.safety_advice(food="cheesecake", keep_eating=True, composite=True, first_step_in_clinic=True)
    assert full[0].startswith("Your first step is taken in clinic")
    assert any("keep eating the last amount of cheesecake" in line for line in full)
    assert full[-1].startswith("Cheesecake is made of several ingredients")
    plain = home_plan.safety_advice(food="milk", keep_eating=False, composite=False, first_step_in_clinic=False)
    assert not any("clinic team" in line or "several ingredients" in line for line in plain)
    assert "Between steps, do not eat milk apart from the planned steps." in plain


def test_generator_rounding_can_be_turned_off():
    rounded = plan.generate_steps(plan.GeneratorInput("geometric", start_mg=D(1), top_mg=D(1000), steps=10))
    exact = plan.generate_steps(plan.GeneratorInput("geometric", start_mg=D(1), top_mg=D(1000), steps=10, exact=True))
    assert [s.protein_mg for s in rounded][:4] == [D(1), D(2), D(5), D(10)]
    assert [s.protein_mg for s in exact][:4] == [D(1), D("2.2"), D("4.6"), D(10)]
    assert ladders.round_ladder_semilog([D(3), D("9.49"), D(30)]) == [D(3), D(10), D(30)]

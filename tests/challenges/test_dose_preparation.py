"""Preparing a dose (clinical.dose_preparation): weighing, measuring or diluting within 5 % of the target, powder
alternatives for a paste, and the one preparation sentence.

Expected numbers come from docs/clinical-sources.md, sections 1 and 2, and the primary sources named there.
"""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical import dose_preparation
from clinical.dose_preparation import prepare_dose
from clinical.dosing import DosingError, FoodSpec, food_amount_for_protein, protein_for_food_amount
from clinical.ladders import practall_7
from clinical.units import format_quantity
from tests.challenges.hypothesis_settings import FAST
from tests.challenges.reference_foods import (
    CHEESECAKE,
    DISPERSIBLE_FOODS,
    EGG_WHITE_POWDER,
    HARD_BOILED_EGG,
    NOT_DISPERSIBLE_FOODS,
    PEANUT_BUTTER,
    PEANUT_FLOUR,
    WHOLE_MILK,
)

D = Decimal


def food_ids(food: FoodSpec) -> str:
    return food.name


# --- prepare_dose ------------------------------------------------------------------------------------------------


def assert_prepared_within_tolerance(preparation, target, food):
    """Assert everything a nurse relies on: the numbers agree with each other and are measurable."""
    assert preparation.target_protein_mg == target
    assert abs(preparation.deviation_pct) <= 5
    assert preparation.within_tolerance
    expected_deviation = (preparation.delivered_protein_mg - target) / target * 100
    assert abs(preparation.deviation_pct - expected_deviation) < D("1E-20")
    if preparation.method == "dilution":
        mix_protein = protein_for_food_amount(preparation.food_amount, food)
        assert preparation.delivered_protein_mg == mix_protein * preparation.give_ml / preparation.mix_ml
        assert preparation.amount == preparation.give_ml
        assert preparation.unit == "mL"
        assert preparation.give_ml % D("0.1") == 0
        assert preparation.give_ml >= 1
        assert preparation.give_ml <= preparation.mix_ml <= 500
        assert preparation.food_amount >= D("0.2")
        if food.is_liquid:
            assert preparation.diluent_ml + preparation.food_amount == preparation.mix_ml
        else:
            assert preparation.diluent_ml == preparation.mix_ml
            assert preparation.food_amount / preparation.diluent_ml * 100 < 5  # docs/clinical-sources.md §2: < 5 % w/v
        assert format_quantity(preparation.give_ml, "mL") in preparation.instructions
        assert format_quantity(preparation.diluent_ml, "mL") in preparation.instructions
    else:
        resolution = D("0.1") if food.is_liquid else D("0.01")
        assert preparation.method == ("measure" if food.is_liquid else "weigh")
        assert preparation.amount % resolution == 0
        assert preparation.amount >= D("0.2")
        assert preparation.delivered_protein_mg == protein_for_food_amount(preparation.amount, food)
        assert preparation.unit == food.unit
        assert preparation.food_amount == preparation.amount
        assert preparation.diluent_ml is None
        assert preparation.give_ml is None
    assert format_quantity(preparation.food_amount, food.unit) in preparation.instructions


@pytest.mark.parametrize("food", DISPERSIBLE_FOODS, ids=food_ids)
@pytest.mark.parametrize("dose", practall_7())
def test_every_practall_step_is_prepared_within_5_percent_from_a_liquid_or_powder(food, dose):
    assert_prepared_within_tolerance(prepare_dose(dose, food), dose, food)


@pytest.mark.parametrize("food", DISPERSIBLE_FOODS, ids=food_ids)
@pytest.mark.parametrize("dose", practall_7())
def test_dilution_is_used_only_below_0_2_g_or_when_measuring_is_too_coarse(food, dose):
    preparation = prepare_dose(dose, food)
    exact = food_amount_for_protein(dose, food)
    if exact < D("0.2"):
        assert preparation.method == "dilution"
    elif not food.is_liquid:
        assert preparation.method == "weigh"


@pytest.mark.parametrize("food", NOT_DISPERSIBLE_FOODS, ids=food_ids)
@pytest.mark.parametrize("dose", practall_7())
def test_a_paste_or_solid_is_weighed_from_0_2_g_and_never_diluted(food, dose):
    """P1: peanut butter, egg, tahini or cake stirred into water is not an even suspension
    (docs/clinical-sources.md §2.1)."""
    exact = food_amount_for_protein(dose, food)
    if exact >= D("0.2"):
        assert_prepared_within_tolerance(prepare_dose(dose, food), dose, food)
    else:
        with pytest.raises(DosingError) as excinfo:
            prepare_dose(dose, food)
        assert excinfo.value.code == "food_does_not_disperse"


def test_peanut_flour_3_mg_instructions():
    # 1 g of defatted peanut flour (52.2 g/100 g, CNF 2015; USDA SR 16099) holds 522 mg; 1.1 mL of 200 mL is 2.87 mg.
    preparation = prepare_dose(D("3"), PEANUT_FLOUR)
    assert preparation.instructions == (
        "Mix 1 g of peanut flour, defatted into 200 mL of water; stir well; give 1.1 mL of the mix "
        "(about 2.87 mg of protein). Throw the rest away."
    )
    assert (preparation.food_amount, preparation.diluent_ml, preparation.give_ml) == (D("1"), D("200"), D("1.1"))


def test_peanut_butter_3_mg_is_refused_and_a_peanut_powder_proposed():
    with pytest.raises(DosingError) as excinfo:
        prepare_dose(D("3"), PEANUT_BUTTER, alternatives=lambda: [EGG_WHITE_POWDER, PEANUT_FLOUR, WHOLE_MILK])
    assert excinfo.value.code == "food_does_not_disperse"
    message = excinfo.value.message
    assert message.startswith("3 mg of protein is 0.0135 g of peanut butter, smooth: too little to weigh")
    assert "a paste does not mix evenly into water" in message
    assert message.endswith("Use a powder form of the same allergen for this step: peanut flour, defatted.")
    assert "into" not in message.split("water")[-1]


def test_a_refusal_without_a_powder_in_the_list_says_what_to_add():
    with pytest.raises(DosingError) as excinfo:
        prepare_dose(D("10"), HARD_BOILED_EGG, alternatives=lambda: [PEANUT_FLOUR])
    assert "Add a powder form of the same allergen to the food list" in excinfo.value.message
    assert "at least 23.6 mg" in excinfo.value.message  # 0.2 g of egg at 11.8 g/100 g


def test_powder_alternatives_are_the_same_allergen_powders_richest_first():
    weak_peanut_powder = FoodSpec(D("33.8"), name="peanut flour, low fat", physical_form="powder", allergen="peanut")
    candidates = [weak_peanut_powder, EGG_WHITE_POWDER, PEANUT_FLOUR, PEANUT_BUTTER]
    assert dose_preparation.powder_alternatives(PEANUT_BUTTER, candidates) == [PEANUT_FLOUR, weak_peanut_powder]
    # no allergen named: nothing to match
    assert dose_preparation.powder_alternatives(FoodSpec(D("20")), candidates) == []


def test_peanut_butter_300_mg_is_weighed():
    preparation = prepare_dose(D("300"), PEANUT_BUTTER)
    assert (preparation.method, preparation.amount, preparation.unit) == ("weigh", D("1.35"), "g")
    assert preparation.instructions == "Weigh 1.35 g of peanut butter, smooth (about 300 mg of protein)."


def test_liquid_dilution_counts_the_food_in_the_volume():
    preparation = prepare_dose(D("3"), WHOLE_MILK)
    assert preparation.instructions == (
        "Mix 1 mL of whole milk with 19 mL of water (20 mL in total); stir well; give 1.9 mL of the mix "
        "(about 2.99 mg of protein). Throw the rest away."
    )


def test_a_liquid_too_coarse_for_the_syringe_is_diluted_instead():
    # 10 mg of milk is 0.317 mL; the syringe's 0.3 mL would be 5.5 % short, so a mix is used.
    preparation = prepare_dose(D("10"), WHOLE_MILK)
    assert preparation.method == "dilution"
    assert (preparation.mix_ml, preparation.give_ml) == (D("10"), D("3.2"))


def test_exactly_5_percent_off_is_still_within_tolerance():
    preparation = prepare_dose(D("30"), WHOLE_MILK)  # 1 mL holds 31.5 mg, +5.0 %
    assert (preparation.method, preparation.amount) == ("measure", D("1.0"))
    assert preparation.deviation_pct == D("5")
    assert preparation.within_tolerance


def test_switch_from_dilution_to_weighing_at_0_2_g():
    exactly_0_2_g = protein_for_food_amount(D("0.2"), PEANUT_FLOUR)  # 104.4 mg
    assert prepare_dose(exactly_0_2_g, PEANUT_FLOUR).method == "weigh"
    assert prepare_dose(exactly_0_2_g - D("0.01"), PEANUT_FLOUR).method == "dilution"


def test_a_paste_is_weighed_at_0_2_g_and_refused_just_below():
    exactly_0_2_g = protein_for_food_amount(D("0.2"), PEANUT_BUTTER)  # 44.42 mg
    assert prepare_dose(exactly_0_2_g, PEANUT_BUTTER).method == "weigh"
    with pytest.raises(DosingError) as excinfo:
        prepare_dose(exactly_0_2_g - D("0.01"), PEANUT_BUTTER)
    assert excinfo.value.code == "food_does_not_disperse"


def test_a_powder_mix_stays_under_5_percent_w_v():
    # 1 g of egg-white powder in 20 mL is exactly 5 % w/v: refused as a mix; 25 mL (4 %) is the first allowed.
    assert not dose_preparation._mix_is_valid(D("20"), EGG_WHITE_POWDER)
    assert dose_preparation._mix_is_valid(D("25"), EGG_WHITE_POWDER)


def test_direct_measure_with_a_reported_deviation_when_no_mix_fits(monkeypatch):
    monkeypatch.setattr(dose_preparation, "MIX_VOLUMES_ML", ())
    preparation = prepare_dose(D("10"), WHOLE_MILK)
    assert (preparation.method, preparation.amount) == ("measure", D("0.3"))
    assert not preparation.within_tolerance
    assert preparation.deviation_pct == D("-5.5")
    assert "5.5 % away from the 10 mg planned" in preparation.instructions


# --- the one preparation sentence (dose_preparation.preparation_text) ---------------------------------------


def test_a_step_planned_as_food_is_weighed_as_planned_with_its_household_measure():
    preparation = dose_preparation.food_preparation(D("0.1"), CHEESECAKE)
    assert (preparation.method, preparation.amount, preparation.deviation_pct) == ("weigh", D("0.1"), 0)
    assert preparation.instructions == "Weigh 0.1 g of cheesecake."
    assert dose_preparation.preparation_text(preparation, CHEESECAKE, household_measure="crumb") == (
        "Weigh 0.1 g (crumb) of cheesecake."
    )


def test_a_liquid_planned_as_food_is_measured():
    assert dose_preparation.food_preparation(D("95.2"), WHOLE_MILK).instructions == "Measure 95.2 mL of whole milk."


def test_a_food_amount_far_from_its_protein_target_says_so():
    # 1 g of peanut butter holds 222.1 mg, 11 % more than a 200 mg target.
    preparation = dose_preparation.food_preparation(D("1"), PEANUT_BUTTER, target_protein_mg=D("200"))
    assert (
        preparation.instructions == "Weigh 1 g of peanut butter, smooth. This is 11.1 % away from the 200 mg planned."
    )


def test_a_protein_dose_keeps_the_household_measure_next_to_the_amount():
    preparation = prepare_dose(D("300"), PEANUT_BUTTER)
    assert dose_preparation.preparation_text(preparation, PEANUT_BUTTER, household_measure="1/4 tsp") == (
        "Weigh 1.35 g (1/4 tsp) of peanut butter, smooth (about 300 mg of protein)."
    )


def test_a_step_planned_as_food_must_be_more_than_nothing():
    with pytest.raises(DosingError) as excinfo:
        dose_preparation.food_preparation(D("0"), CHEESECAKE)
    assert excinfo.value.code == "amount_not_positive"


def test_a_dose_too_small_for_one_dilution_is_refused():
    with pytest.raises(DosingError) as excinfo:
        prepare_dose(D("0.1"), PEANUT_FLOUR)
    assert excinfo.value.code == "dilution_not_possible"
    assert excinfo.value.message.startswith("0.1 mg of protein is too small")
    assert "the smallest is about 1.04 mg" in excinfo.value.message


@pytest.mark.parametrize("dose", [D("0"), D("-3")])
def test_prepare_refuses_a_dose_that_is_not_positive(dose):
    with pytest.raises(DosingError) as excinfo:
        prepare_dose(dose, PEANUT_BUTTER)
    assert excinfo.value.code == "dose_not_positive"


def test_preparation_is_frozen():
    preparation = prepare_dose(D("300"), PEANUT_BUTTER)
    with pytest.raises(AttributeError):
        preparation.amount = D("1")  # type: ignore[misc]


@FAST
@given(
    food=st.sampled_from(DISPERSIBLE_FOODS),
    # 2 mg: above the one-dilution floor of the richest powder (811 mg in 500 mL, 1.62 mg per mL).
    dose=st.decimals(min_value=D("2"), max_value=D("10000"), places=3),
)
def test_reference_foods_are_prepared_within_5_percent_over_a_wide_range(food, dose):
    assert_prepared_within_tolerance(prepare_dose(dose, food), dose, food)


@FAST
@given(
    protein_per_100=st.decimals(min_value=D("0.5"), max_value=D("100"), places=2),
    physical_form=st.sampled_from(["liquid", "powder"]),
    fraction_of_floor=st.decimals(min_value=D("1"), max_value=D("100000"), places=3),
)
def test_any_food_and_dose_above_the_dilution_floor_is_within_5_percent(
    protein_per_100, physical_form, fraction_of_floor
):
    food = FoodSpec(protein_per_100, physical_form=physical_form)
    floor = protein_for_food_amount(D("1"), food) / 500  # 1 mL of a 1 g (or 1 mL) in 500 mL mix
    dose = (floor * fraction_of_floor).quantize(D("0.001")) + D("0.001")
    assert_prepared_within_tolerance(prepare_dose(dose, food), dose, food)

"""Dose arithmetic (clinical.dosing): the food's protein content, conversions between food amount and protein, and
cumulative doses.

Expected numbers come from docs/clinical-sources.md, sections 1 and 2, and the primary sources named there.
"""

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical.dosing import DosingError, FoodSpec, cumulative, food_amount_for_protein, protein_for_food_amount
from clinical.ladders import practall_5, practall_7
from clinical.units import QuantityError
from tests.challenges.hypothesis_settings import FAST
from tests.challenges.reference_foods import PEANUT_BUTTER, WHOLE_MILK

D = Decimal


# --- FoodSpec ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protein", [D("0"), D("-1"), D("100.01"), D("250")])
def test_food_protein_must_be_above_zero_and_at_most_100(protein):
    with pytest.raises(DosingError) as excinfo:
        FoodSpec(protein)
    assert excinfo.value.code == "protein_out_of_range"
    assert isinstance(excinfo.value, QuantityError)


def test_food_protein_of_100_is_allowed():
    assert FoodSpec(D("100")).protein_mg_per_unit == D("1000")


def test_food_refuses_float_protein():
    with pytest.raises(TypeError, match="Decimal"):
        FoodSpec(22.21)  # type: ignore[arg-type]


def test_food_refuses_nan_protein():
    with pytest.raises(DosingError) as excinfo:
        FoodSpec(D("NaN"))
    assert excinfo.value.code == "not_finite"


@pytest.mark.parametrize("density", [D("0"), D("-1"), D("103")])
def test_food_density_must_be_plausible(density):
    with pytest.raises(DosingError) as excinfo:
        FoodSpec(D("3.15"), is_liquid=True, density_g_per_ml=density)
    assert excinfo.value.code == "density_out_of_range"


def test_food_unit_and_label():
    assert (PEANUT_BUTTER.unit, WHOLE_MILK.unit) == ("g", "mL")
    assert PEANUT_BUTTER.label == "peanut butter, smooth"
    assert FoodSpec(D("5")).label == "the food"
    assert FoodSpec(D("5"), is_liquid=True).label == "the liquid"


# --- conversions -------------------------------------------------------------------------------------------


def test_food_amount_uses_the_fact_sheet_formula():
    # docs/clinical-sources.md §2: food g = protein mg × 0.001 ÷ (protein g per 100 g ÷ 100)
    assert food_amount_for_protein(D("100"), FoodSpec(D("10"))) == D("1")
    milk_3000 = food_amount_for_protein(D("3000"), WHOLE_MILK)
    assert abs(milk_3000 - D("3000") * D("0.001") / D("0.0315")) < D("1E-25")
    assert milk_3000.quantize(D("0.01")) == D("95.24")


def test_protein_for_food_amount_in_mg():
    assert protein_for_food_amount(D("5"), PEANUT_BUTTER) == D("1110.5")
    assert protein_for_food_amount(D("100"), WHOLE_MILK) == D("3150")
    assert protein_for_food_amount(D("0"), WHOLE_MILK) == 0


def test_conversion_of_a_very_small_dose_keeps_its_precision():
    grams = food_amount_for_protein(D("0.001"), PEANUT_BUTTER)
    assert D("0.0000045") < grams < D("0.0000046")
    assert abs(protein_for_food_amount(grams, PEANUT_BUTTER) - D("0.001")) < D("1E-30")


def test_conversion_of_a_huge_dose():
    assert food_amount_for_protein(D("1E+6"), FoodSpec(D("50"))) == D("2000")


def test_conversion_ignores_the_callers_decimal_context():
    with localcontext() as context:
        context.prec = 3
        low_precision = food_amount_for_protein(D("3"), PEANUT_BUTTER)
    assert low_precision == food_amount_for_protein(D("3"), PEANUT_BUTTER)
    assert len(low_precision.as_tuple().digits) > 20


@pytest.mark.parametrize("function", [food_amount_for_protein, protein_for_food_amount])
def test_conversions_refuse_negative_amounts(function):
    with pytest.raises(DosingError) as excinfo:
        function(D("-1"), PEANUT_BUTTER)
    assert excinfo.value.code == "negative_amount"


@pytest.mark.parametrize("function", [food_amount_for_protein, protein_for_food_amount])
def test_conversions_refuse_floats(function):
    with pytest.raises(TypeError):
        function(3.0, PEANUT_BUTTER)


@FAST
@given(
    protein_mg=st.decimals(min_value=D("0.001"), max_value=D("100000"), places=3),
    protein_per_100=st.decimals(min_value=D("0.1"), max_value=D("100"), places=2),
    liquid=st.booleans(),
)
def test_mg_to_food_to_mg_round_trips(protein_mg, protein_per_100, liquid):
    food = FoodSpec(protein_per_100, is_liquid=liquid)
    back = protein_for_food_amount(food_amount_for_protein(protein_mg, food), food)
    assert abs(back - protein_mg) / protein_mg < D("0.001")  # reliability plan test 14: within 0.1 %
    assert abs(back - protein_mg) / protein_mg < D("1E-30")  # in fact exact to Decimal precision


# --- cumulative ----------------------------------------------------------------------------------------------


def test_cumulative_practall_7_reaches_4443_mg():
    # docs/clinical-sources.md §1.1, cumulative column.
    assert cumulative(practall_7()) == [D(n) for n in (3, 13, 43, 143, 443, 1443, 4443)]


def test_cumulative_practall_5_reaches_4430_mg():
    assert cumulative(practall_5()) == [D(n) for n in (30, 130, 430, 1430, 4430)]


def test_cumulative_is_exact_decimal():
    assert cumulative([D("0.1"), D("0.2")]) == [D("0.1"), D("0.3")]
    assert cumulative([D("0.001")] * 1000)[-1] == D("1")
    assert cumulative([]) == []


def test_cumulative_refuses_floats():
    with pytest.raises(TypeError):
        cumulative([D("1"), 0.2])  # type: ignore[list-item]

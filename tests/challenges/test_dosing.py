"""Dose arithmetic: conversions, schedules, dose preparation and protocol step checks.

Expected numbers come from docs/clinical-sources.md, sections 1 and 2, and the primary sources named there.
"""

from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinical import dose_preparation, dosing, home_ladder, ladders
from clinical.dose_preparation import prepare_dose
from clinical.dosing import (
    DosingError,
    FoodSpec,
    cumulative,
    food_amount_for_protein,
    grams_rounded,
    protein_for_food_amount,
)
from clinical.home_ladder import CRUMB, HomeStep, home_serving_ladder
from clinical.ladders import (
    ASCIA_GRAMS_PER_TSP,
    ASCIA_PEANUT_TSP,
    fpies_weight_based,
    geometric_ladder,
    household_ladder,
    practall_5,
    practall_7,
    round_significant,
)
from clinical.units import QuantityError, format_quantity
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

FAST = settings(max_examples=200, deadline=None, database=None)

D = Decimal


def food_ids(food: FoodSpec) -> str:
    return food.name


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


# --- PRACTALL -------------------------------------------------------------------------------------------------


def test_practall_7_doses():
    assert practall_7() == [D(n) for n in (3, 10, 30, 100, 300, 1000, 3000)]


def test_practall_5_doses():
    assert practall_5() == [D(n) for n in (30, 100, 300, 1000, 3000)]


def test_practall_lists_are_fresh_copies():
    doses = practall_7()
    doses.append(D("9999"))
    assert len(practall_7()) == 7


# docs/clinical-sources.md §2 "Grams of food per PRACTALL step" (0.01 g, allergyguide rounding); the total is the
# rounded
# total of 4,443 mg, not the sum of the rounded steps.
PRACTALL_GRAMS = [
    ("22.21", False, "0.01 0.05 0.14 0.45 1.35 4.50 13.51", "20.00"),
    ("24.35", False, "0.01 0.04 0.12 0.41 1.23 4.11 12.32", "18.25"),
    ("52.2", False, "0.01 0.02 0.06 0.19 0.57 1.92 5.75", "8.51"),
    ("3.15", True, "0.10 0.32 0.95 3.17 9.52 31.75 95.24", "141.05"),
    ("11.8", False, "0.03 0.08 0.25 0.85 2.54 8.47 25.42", "37.65"),
    ("9.99", False, "0.03 0.10 0.30 1.00 3.00 10.01 30.03", "44.47"),
    ("15.31", False, "0.02 0.07 0.20 0.65 1.96 6.53 19.60", "29.02"),
    ("17.0", False, "0.02 0.06 0.18 0.59 1.76 5.88 17.65", "26.14"),
    ("24.04", False, "0.01 0.04 0.12 0.42 1.25 4.16 12.48", "18.48"),
    ("10.33", False, "0.03 0.10 0.29 0.97 2.90 9.68 29.04", "43.01"),
]


@pytest.mark.parametrize(("protein", "liquid", "grams", "total"), PRACTALL_GRAMS)
def test_grams_rounded_matches_the_fact_sheet_table(protein, liquid, grams, total):
    food = FoodSpec(D(protein), is_liquid=liquid)
    assert [grams_rounded(dose, food) for dose in practall_7()] == [D(g) for g in grams.split()]
    assert grams_rounded(D("4443"), food) == D(total)


def test_grams_rounded_rounds_half_up_to_a_hundredth():
    food = FoodSpec(D("10"))  # 1 mg protein = 0.01 g food
    assert grams_rounded(D("0.5"), food) == D("0.01")  # 0.005 g -> 0.01
    assert grams_rounded(D("0.4999"), food) == D("0.00")
    assert grams_rounded(D("1"), food).as_tuple().exponent == -2


# --- geometric ladder -----------------------------------------------------------------------------------------


def test_geometric_ladder_by_steps_reproduces_a_practall_like_ladder():
    expected = [D(n) for n in ("3", "9.5", "30", "95", "300", "950", "3000")]
    assert geometric_ladder(D("3"), D("3000"), steps=7) == expected


def test_geometric_ladder_by_factor_ends_exactly_at_top():
    assert geometric_ladder(D("3"), D("3000"), factor=D("3.3")) == [
        D(n) for n in ("3", "9.9", "33", "110", "360", "1200", "3000")
    ]


def test_geometric_ladder_keeps_the_ends_as_given():
    ladder = geometric_ladder(D("2.50"), D("1000.0"), steps=4)
    assert ladder[0].as_tuple() == D("2.50").as_tuple()
    assert ladder[-1].as_tuple() == D("1000.0").as_tuple()


def test_geometric_ladder_keeps_more_figures_rather_than_repeat_a_dose():
    assert geometric_ladder(D("10"), D("11"), steps=5) == [D(n) for n in ("10", "10.2", "10.5", "10.7", "11")]


def test_geometric_ladder_has_no_exponent_in_its_values():
    ladder = geometric_ladder(D("1"), D("1000"), factor=D("2"))
    assert ladder == [D(n) for n in (1, 2, 4, 8, 16, 32, 64, 130, 260, 510, 1000)]
    assert all(dose.as_tuple().exponent <= 0 for dose in ladder)


@pytest.mark.parametrize(
    ("start", "top", "options", "code"),
    [
        (D("0"), D("10"), {"steps": 3}, "start_not_positive"),
        (D("-1"), D("10"), {"steps": 3}, "start_not_positive"),
        (D("10"), D("5"), {"steps": 3}, "top_not_above_start"),
        (D("10"), D("10"), {"steps": 3}, "top_not_above_start"),
        (D("1"), D("10"), {"steps": 1}, "too_few_steps"),
        (D("1"), D("10"), {"steps": 51}, "too_few_steps"),
        (D("1"), D("10"), {"factor": D("1")}, "factor_too_small"),
        (D("1"), D("10"), {"factor": D("0.5")}, "factor_too_small"),
        (D("1"), D("10"), {"steps": 3, "factor": D("2")}, "steps_or_factor"),
        (D("1"), D("10"), {}, "steps_or_factor"),
        (D("1"), D("1000"), {"factor": D("1.01")}, "too_many_steps"),
    ],
)
def test_geometric_ladder_rejects_bad_input(start, top, options, code):
    with pytest.raises(DosingError) as excinfo:
        geometric_ladder(start, top, **options)
    assert excinfo.value.code == code


@FAST
@given(
    start=st.decimals(min_value=D("0.1"), max_value=D("100"), places=2),
    ratio=st.decimals(min_value=D("1.5"), max_value=D("10000"), places=1),
    steps=st.integers(min_value=2, max_value=12),
)
def test_geometric_ladder_by_steps_properties(start, ratio, steps):
    top = start * ratio
    ladder = geometric_ladder(start, top, steps=steps)
    assert len(ladder) == steps
    assert ladder[0] == start
    assert ladder[-1] == top
    assert all(a < b for a, b in zip(ladder, ladder[1:], strict=False))


@FAST
@given(
    start=st.decimals(min_value=D("0.1"), max_value=D("100"), places=2),
    ratio=st.decimals(min_value=D("1.5"), max_value=D("10000"), places=1),
    factor=st.decimals(min_value=D("1.5"), max_value=D("10"), places=1),
)
def test_geometric_ladder_by_factor_never_rises_much_faster_than_the_factor(start, ratio, factor):
    top = start * ratio
    ladder = geometric_ladder(start, top, factor=factor)
    assert ladder[0] == start
    assert ladder[-1] == top
    rises = [b / a for a, b in zip(ladder, ladder[1:], strict=False)]
    assert all(rise > 1 for rise in rises)
    # Rounding to 2 significant figures moves each dose by at most 5 %.
    assert all(rise <= factor * D("1.05") / D("0.95") for rise in rises)


def test_round_significant():
    assert round_significant(D("1174"), 2) == D("1200")
    assert str(round_significant(D("1174"), 2)) == "1200"
    assert round_significant(D("0.012345"), 3) == D("0.0123")
    assert round_significant(D("9.96"), 2) == D("10")
    assert round_significant(D("0.125"), 2) == D("0.13")  # half-up


# --- FPIES -----------------------------------------------------------------------------------------------------


def test_fpies_default_is_three_equal_portions_of_0_3_g_per_kg():
    # docs/clinical-sources.md §1.5: 0.3 g/kg (seeded default), 3 equal portions.
    assert fpies_weight_based(D("7.3")) == [D("730")] * 3


def test_fpies_total_is_capped_at_3_g():
    # docs/clinical-sources.md §1.5: cap 3 g protein for an initial feeding; 20 kg × 0.3 g/kg would be 6 g.
    assert fpies_weight_based(D("20")) == [D("1000")] * 3


def test_fpies_portions_sum_exactly_with_the_remainder_last():
    portions = fpies_weight_based(D("3.3333"))  # 999.99 mg in total
    assert portions == [D("333.3"), D("333.3"), D("333.39")]
    assert sum(portions) == D("999.99")


@pytest.mark.parametrize("per_kg", [D("0.06"), D("0.6")])
def test_fpies_accepts_the_ends_of_the_published_range(per_kg):
    assert sum(fpies_weight_based(D("4"), protein_g_per_kg=per_kg)) == D("4") * per_kg * 1000


def test_fpies_custom_portions_and_cap():
    assert fpies_weight_based(D("10"), cap_g=D("2"), portions=4) == [D("500")] * 4


@pytest.mark.parametrize(
    ("weight", "options", "code"),
    [
        (D("10"), {"protein_g_per_kg": D("0.059")}, "dose_per_kg_out_of_range"),
        (D("10"), {"protein_g_per_kg": D("0.61")}, "dose_per_kg_out_of_range"),
        (D("0"), {}, "weight_not_positive"),
        (D("-5"), {}, "weight_not_positive"),
        (D("10"), {"cap_g": D("0")}, "cap_not_positive"),
        (D("10"), {"portions": 0}, "portions_not_positive"),
    ],
)
def test_fpies_rejects_bad_input(weight, options, code):
    with pytest.raises(DosingError) as excinfo:
        fpies_weight_based(weight, **options)
    assert excinfo.value.code == code


def test_fpies_range_message_names_the_range():
    with pytest.raises(DosingError) as excinfo:
        fpies_weight_based(D("10"), protein_g_per_kg=D("1"))
    assert "0.06 to 0.6 g/kg" in excinfo.value.message
    assert "got 1 g/kg" in excinfo.value.message


@FAST
@given(
    weight=st.decimals(min_value=D("0.5"), max_value=D("150"), places=2),
    per_kg=st.decimals(min_value=D("0.06"), max_value=D("0.6"), places=3),
    portions=st.integers(min_value=1, max_value=6),
)
def test_fpies_portions_properties(weight, per_kg, portions):
    result = fpies_weight_based(weight, protein_g_per_kg=per_kg, portions=portions)
    assert len(result) == portions
    assert sum(result) == min(weight * per_kg, D("3")) * 1000
    assert len(set(result[:-1])) <= 1
    assert D("0") <= result[-1] - result[0] < D("0.1") * portions


# --- household measures (ASCIA peanut) -------------------------------------------------------------------------


def test_ascia_peanut_teaspoons_in_grams():
    # docs/clinical-sources.md §1.3: 1/8, 1/4, 1/2, 1, 2 tsp at 1 tsp = 5 g.
    grams = household_ladder(ASCIA_PEANUT_TSP, grams_per_measure=ASCIA_GRAMS_PER_TSP)
    assert grams == [D("0.625"), D("1.25"), D("2.5"), D("5"), D("10")]
    assert sum(grams) == D("19.375")


def test_ascia_peanut_protein_matches_the_fact_sheet():
    # docs/clinical-sources.md §1.3 [computed] at 22.21 g/100 g: 139, 278, 555, 1110, 2221 mg; total 4303 mg. 5 g holds
    # 1110.5 mg, which the source table shows as 1110, i.e. rounded half to even.
    grams = household_ladder(ASCIA_PEANUT_TSP, grams_per_measure=ASCIA_GRAMS_PER_TSP)
    protein = [protein_for_food_amount(g, PEANUT_BUTTER) for g in grams]
    rounded = [mg.quantize(D(1), rounding=ROUND_HALF_EVEN) for mg in protein]
    assert rounded == [D(n) for n in (139, 278, 555, 1110, 2221)]
    assert sum(protein).quantize(D(1)) == D("4303")


def test_household_ladder_accepts_thirds_and_whole_numbers():
    assert household_ladder([Fraction(1, 3), 3], grams_per_measure=D("3")) == [D("1"), D("9")]


@pytest.mark.parametrize(
    ("measures", "grams_per_measure"),
    [([Fraction(0)], D("5")), ([Fraction(-1, 8)], D("5")), ([0.5], D("5")), ([Fraction(1)], D("0"))],
)
def test_household_ladder_rejects_bad_measures(measures, grams_per_measure):
    with pytest.raises(DosingError) as excinfo:
        household_ladder(measures, grams_per_measure=grams_per_measure)
    assert excinfo.value.code == "measure_not_positive"


# --- home reintroduction ---------------------------------------------------------------------------------------


def test_home_ladder_for_a_cheesecake_serving():
    steps = home_serving_ladder(D("100"))
    # docs/clinical-sources.md §11.1: steps of at most about 3×.
    grams = ("0.1", "0.25", "0.5", "1", "2.5", "6.25", "12.5", "25", "50", "100")
    assert [step.food_g for step in steps] == [D(n) for n in grams]
    assert [step.fraction_label for step in steps] == [
        "crumb",
        "",
        "",
        "",
        "",
        "1/16",
        "1/8",
        "1/4",
        "1/2",
        "full serving",
    ]
    # docs/clinical-sources.md §5.4: a new amount every 3-5 days, watch 24-48 h.
    assert [step.day_offset for step in steps] == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]
    assert {step.watch_hours for step in steps} == {48}
    assert [step.number for step in steps] == list(range(1, 11))


def test_the_old_fractions_still_give_the_old_ladder():
    steps = home_serving_ladder(D("100"), home_ladder.HOME_FRACTIONS)
    assert [step.food_g for step in steps] == [D(n) for n in ("0.1", "6.25", "12.5", "25", "50", "100")]
    assert dosing.max_rise([step.food_g for step in steps]) == D("62.5")  # the jump the gentle ladder removes


@pytest.mark.parametrize("serving", ["2", "10", "30", "100", "250", "1000"])
def test_gentle_home_ladder_never_rises_more_than_3_times(serving):
    grams = [g for g, _label in home_ladder.gentle_home_amounts(D(serving))]
    rise = dosing.max_rise(grams)
    assert rise is not None
    assert rise <= home_ladder.HOME_MAX_RISE
    assert grams[0] == home_ladder.CRUMB_G
    assert grams[-1] == D(serving)


def test_gentle_home_ladder_below_the_crumb_limit():
    # 0.3 g: the crumb within 3× of 1/16 … no, 1/16 of 0.3 g is below the crumb and left out.
    assert [g for g, _ in home_ladder.gentle_home_amounts(D("0.3"))] == [D("0.1"), D("0.15"), D("0.3")]
    with pytest.raises(DosingError) as excinfo:
        home_ladder.gentle_home_amounts(D("0.1"))
    assert excinfo.value.code == "not_increasing"


@pytest.mark.parametrize(
    ("rise_limit_side", "amounts", "expected"),
    [
        ("at the limit", ("1", "3"), "3"),
        ("just above", ("1", "3.01"), "3.01"),
        ("one amount", ("1",), None),
    ],
)
def test_max_rise(rise_limit_side, amounts, expected):
    result = dosing.max_rise([D(a) for a in amounts])
    assert result == (None if expected is None else D(expected))


# --- semi-log rounding (docs/clinical-sources.md §1.1, §11.3) -------------------------------------------------


@pytest.mark.parametrize(
    ("ladder", "expected"),
    [
        ({"start": D(3), "top": D(3000), "steps": 7}, ("3", "10", "30", "100", "300", "1000", "3000")),
        ({"start": D(1), "top": D(1000), "steps": 10}, ("1", "2", "5", "10", "20", "50", "100", "200", "500", "1000")),
        ({"start": D(5), "top": D(800), "steps": 6}, ("5", "10", "30", "100", "300", "800")),
    ],
)
def test_geometric_ladders_round_to_semilog_numbers(ladder, expected):
    assert ladders.round_ladder_semilog(geometric_ladder(**ladder)) == [D(v) for v in expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.73", "1"),  # just below √3: nearer 1 on a log scale
        ("1.74", "3"),  # just above √3
        ("5.47", "3"),  # just below √30
        ("5.48", "10"),
    ],
)
def test_semilog_rounding_is_nearest_on_a_log_scale(value, expected):
    assert ladders._nearest_in_series(D(value), ladders.SEMILOG_SERIES[0]) == D(expected)


def test_semilog_rounding_keeps_ends_and_short_ladders():
    assert ladders.round_ladder_semilog([D("7"), D("9")]) == [D("7"), D("9")]
    assert ladders.round_ladder_semilog([D("7"), D("9.5"), D("12")])[1] in (D("9.5"), D("10"))


def test_semilog_rounding_refuses_zero():
    with pytest.raises(DosingError) as excinfo:
        ladders.round_ladder_semilog([D("0"), D("1"), D("2")])
    assert excinfo.value.code == "dose_not_positive"


def test_home_ladder_rounds_to_the_scale():
    steps = home_serving_ladder(D("85"), (Fraction(1, 16), Fraction(1)))
    assert steps == [
        HomeStep(number=1, food_g=D("5.31"), fraction_label="1/16", day_offset=0, watch_hours=48),
        HomeStep(number=2, food_g=D("85"), fraction_label="full serving", day_offset=3, watch_hours=48),
    ]


def test_home_ladder_custom_spacing_and_crumb():
    steps = home_serving_ladder(D("40"), crumb_g=D("0.05"), days_between=5, watch_hours=24)
    assert steps[0].food_g == D("0.05")
    assert [step.day_offset for step in steps] == [5 * i for i in range(len(steps))]
    assert steps[-1].watch_hours == 24


@pytest.mark.parametrize(
    ("serving", "fractions", "options", "code"),
    [
        (D("1"), home_ladder.HOME_FRACTIONS, {}, "not_increasing"),  # 1/16 of 1 g is smaller than the crumb
        (D("100"), (Fraction(1, 2), Fraction(1, 4)), {}, "not_increasing"),
        (D("100"), (), {}, "not_increasing"),
        (D("100"), (Fraction(1, 8), CRUMB), {}, "crumb_not_first"),
        (D("100"), (Fraction(0), Fraction(1)), {}, "bad_fraction"),
        (D("100"), (Fraction(1, 2), Fraction(3, 2)), {}, "bad_fraction"),
        (D("0"), home_ladder.HOME_FRACTIONS, {}, "serving_not_positive"),
        (D("100"), home_ladder.HOME_FRACTIONS, {"crumb_g": D("0")}, "crumb_not_positive"),
        (D("100"), home_ladder.HOME_FRACTIONS, {"days_between": 1, "watch_hours": 48}, "watch_overlaps_next_step"),
        (D("100"), home_ladder.HOME_FRACTIONS, {"days_between": 0}, "timing_not_positive"),
    ],
)
def test_home_ladder_rejects_bad_input(serving, fractions, options, code):
    with pytest.raises(DosingError) as excinfo:
        home_serving_ladder(serving, fractions, **options)
    assert excinfo.value.code == code


def test_home_ladder_allows_a_watch_that_ends_as_the_next_step_starts():
    assert home_serving_ladder(D("100"), days_between=2, watch_hours=48)[1].day_offset == 2


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

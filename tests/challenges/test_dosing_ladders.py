"""Dose ladders (clinical.ladders): PRACTALL, geometric ladders and their semi-log rounding, FPIES portions per kg
and household measures (ASCIA peanut).

Expected numbers come from docs/clinical-sources.md, sections 1 and 2, and the primary sources named there.
"""

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical import ladders
from clinical.dosing import DosingError, FoodSpec, grams_rounded, protein_for_food_amount
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
from tests.challenges.hypothesis_settings import FAST
from tests.challenges.reference_foods import PEANUT_BUTTER

D = Decimal


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

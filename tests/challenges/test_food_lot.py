"""The food used for a challenge and the preparation of a dose (clinical.food_lot, docs/clinical-sources.md §12)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clinical import food_lot
from clinical.food_lot import FoodLotError, compare_label

LIBRARY = Decimal("22.21")  # smooth peanut butter in the library


@pytest.mark.parametrize(
    ("label", "uses_label"),
    [
        (Decimal("24.431"), False),  # +10 % exactly: the library figure stays
        (Decimal("24.432"), True),  # just over +10 %
        (Decimal("24.43"), False),  # just under +10 %
        (Decimal("19.989"), False),  # −10 % exactly
        (Decimal("19.988"), True),  # just over −10 %
        (Decimal("19.99"), False),  # just under −10 %
        (LIBRARY, False),
    ],
)
def test_the_label_is_used_only_when_it_differs_by_more_than_10_percent(label, uses_label):
    comparison = compare_label(LIBRARY, label)
    assert comparison.uses_label is uses_label
    assert comparison.protein_g_per_100 == (label if uses_label else LIBRARY)


def test_ten_percent_exactly_is_within_tolerance_in_both_directions():
    assert compare_label(Decimal(20), Decimal(22)).difference_pct == Decimal(10)
    assert not compare_label(Decimal(20), Decimal(22)).uses_label
    assert compare_label(Decimal(20), Decimal(18)).difference_pct == Decimal(-10)
    assert not compare_label(Decimal(20), Decimal(18)).uses_label
    assert compare_label(Decimal(20), Decimal("22.001")).uses_label
    assert compare_label(Decimal(20), Decimal("17.999")).uses_label


def test_the_difference_is_said_plainly_either_way():
    assert compare_label(LIBRARY, Decimal(25)).note == (
        "label 25 g/100 g vs library 22.21 g/100 g (+12.6 %): amounts recalculated from the label"
    )
    assert compare_label(LIBRARY, Decimal(23)).note == (
        "label 23 g/100 g vs library 22.21 g/100 g (+3.6 %): within 10 %, the library figure is kept"
    )
    assert compare_label(LIBRARY, Decimal(19)).note == (
        "label 19 g/100 g vs library 22.21 g/100 g (−14.5 %): amounts recalculated from the label"
    )
    assert compare_label(Decimal("3.4"), None, per="100 mL").note == (
        "no label value recorded: the library figure (3.4 g/100 mL) is used"
    )
    assert compare_label(LIBRARY, None).protein_g_per_100 == LIBRARY


def test_a_composite_food_keeps_its_allergen_figure_whatever_the_label():
    """A baked-milk muffin is dosed in milk protein (1.3 g/100 g); its label gives the whole food's protein (6 g/100 g
    in the library): the label is compared, never used for the doses (a 6 g figure would give 4.6 times too little
    muffin)."""
    muffin = {"allergen_g_per_100": Decimal("1.3"), "protein_name": "milk protein"}
    comparison = compare_label(Decimal(6), Decimal(8), **muffin)  # +33 %: a whole food would be recalculated
    assert (comparison.uses_label, comparison.protein_g_per_100) == (False, Decimal("1.3"))
    assert comparison.note == (
        "label 8 g/100 g vs library 6 g/100 g of whole-food protein (+33.3 %): the doses are counted in milk protein, "
        "which a label does not state, so the library figure (1.3 g/100 g of milk protein) is kept"
    )
    assert compare_label(Decimal(6), None, **muffin).note == (
        "no label value recorded: the library figure (1.3 g/100 g of milk protein) is used"
    )


@pytest.mark.parametrize("label", [Decimal(0), Decimal("100.001"), Decimal("NaN")])
def test_an_impossible_label_value_is_refused(label):
    with pytest.raises(FoodLotError) as error:
        compare_label(LIBRARY, label)
    assert error.value.code == "label_protein_out_of_range"


def test_a_float_is_refused():
    with pytest.raises(TypeError):
        compare_label(LIBRARY, 25.0)  # type: ignore[arg-type]


def test_a_lot_may_be_used_up_to_its_expiry_date():
    challenge_day = date(2026, 11, 26)
    assert food_lot.expiry_problem(date(2026, 11, 26), challenge_day) is None  # expires that day: usable
    assert food_lot.expiry_problem(date(2026, 11, 27), challenge_day) is None
    problem = food_lot.expiry_problem(date(2026, 11, 25), challenge_day)
    assert problem == "This lot expired on 25 Nov 2026, before the challenge on 26 Nov 2026: use an in-date pack."


def test_a_second_check_is_required_for_a_diluted_dose_in_clinic_only():
    assert food_lot.needs_second_check(diluted=True, in_clinic=True)
    assert not food_lot.needs_second_check(diluted=False, in_clinic=True)
    assert not food_lot.needs_second_check(diluted=True, in_clinic=False)


def test_the_checker_is_never_the_preparer():
    assert food_lot.checker_problem(7, 7) is not None
    assert food_lot.checker_problem(7, 8) is None
    assert food_lot.checker_problem(7, None) is None


def test_a_mix_delivers_its_volume_times_its_concentration():
    # 1 g of peanut butter (222.1 mg protein) in 100 mL of water; 1.4 mL given delivers 3.1094 mg, not the 3 mg aimed
    # at; a partial 0.7 mL delivers half of that.
    concentration = food_lot.mix_concentration_mg_per_ml(Decimal("222.1"), Decimal(100))
    assert concentration == Decimal("2.221")
    assert food_lot.delivered_protein_mg(Decimal("1.4"), concentration) == Decimal("3.1094")
    assert food_lot.delivered_protein_mg(Decimal("0.7"), concentration) == Decimal("1.5547")


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: food_lot.mix_concentration_mg_per_ml(Decimal(0), Decimal(100)), "mix_not_positive"),
        (lambda: food_lot.mix_concentration_mg_per_ml(Decimal(1), Decimal(0)), "mix_not_positive"),
        (lambda: food_lot.delivered_protein_mg(Decimal(0), Decimal(2)), "volume_not_positive"),
    ],
)
def test_a_mix_of_nothing_is_refused(call, code):
    with pytest.raises(FoodLotError) as error:
        call()
    assert error.value.code == code

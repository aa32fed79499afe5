"""clinical.diagnostics: each kind's range on both sides of each boundary, its unit, which results a report shows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinical import diagnostics
from clinical.diagnostics import COMPONENT_IGE, SKIN_PRICK, SPECIFIC_IGE, TRYPTASE, DiagnosticValueError


@pytest.mark.parametrize(
    ("kind", "unit", "lowest", "highest", "too_high"),
    [
        (SPECIFIC_IGE, "kU/L", "0", "100", "100.01"),
        (COMPONENT_IGE, "kU/L", "0", "100", "100.01"),
        (SKIN_PRICK, "mm", "0", "50", "50.1"),
        (TRYPTASE, "ng/mL", "0", "200", "200.1"),
    ],
)
def test_each_kind_has_a_fixed_unit_and_accepts_only_its_range(kind, unit, lowest, highest, too_high):
    assert diagnostics.KINDS[kind].unit == unit
    diagnostics.check_value(kind, Decimal(lowest))
    diagnostics.check_value(kind, Decimal(highest))
    for outside in (Decimal(lowest) - Decimal("0.01"), Decimal(too_high)):
        with pytest.raises(DiagnosticValueError) as refused:
            diagnostics.check_value(kind, outside)
        assert refused.value.code == "out_of_range"
        assert unit in refused.value.message


@pytest.mark.parametrize(
    ("kind", "fine", "too_precise"),
    [
        (SPECIFIC_IGE, "0.35", "0.351"),
        (COMPONENT_IGE, "0.35", "0.351"),
        (SKIN_PRICK, "3.5", "3.55"),
        (TRYPTASE, "5.4", "5.45"),
    ],
)
def test_decimal_places_per_kind(kind, fine, too_precise):
    diagnostics.check_value(kind, Decimal(fine))
    diagnostics.check_value(kind, Decimal(fine + "0"))  # a trailing zero adds no precision
    with pytest.raises(DiagnosticValueError) as refused:
        diagnostics.check_value(kind, Decimal(too_precise))
    assert refused.value.code == "too_precise"


def test_unknown_kind_and_non_numbers_are_refused():
    with pytest.raises(DiagnosticValueError) as refused:
        diagnostics.check_value("patch_test", Decimal("1"))
    assert refused.value.code == "unknown_kind"
    with pytest.raises(DiagnosticValueError) as refused:
        diagnostics.check_value(SPECIFIC_IGE, Decimal("NaN"))
    assert refused.value.code == "not_a_number"


@pytest.mark.parametrize(
    ("component", "group"),
    [
        ("Ara h 2", "peanut"),
        ("ara  h 6", "peanut"),
        ("Gal d 1", "egg"),
        ("Cor a 14", "tree_nut"),
        ("Bet v 1", ""),
        ("Arah 2", ""),
    ],
)
def test_component_names_point_to_their_allergen_group(component, group):
    assert diagnostics.component_group(component) == group


PEANUT = ("Peanut butter", "Peanut")


@pytest.mark.parametrize(
    ("kind", "allergen", "component", "shown"),
    [
        (SPECIFIC_IGE, "peanut", "", True),
        (SPECIFIC_IGE, "Peanuts", "", True),
        (SKIN_PRICK, "peanut butter (commercial extract)", "", True),
        (SPECIFIC_IGE, "egg white", "", False),
        (SPECIFIC_IGE, "peanutty", "", False),  # a whole word, not a prefix
        (COMPONENT_IGE, "", "Ara h 2", True),
        (COMPONENT_IGE, "", "Gal d 1", False),
        (TRYPTASE, "", "", True),  # baseline tryptase bears on every challenge
    ],
)
def test_which_results_a_peanut_challenge_report_shows(kind, allergen, component, shown):
    assert (
        diagnostics.is_relevant(kind=kind, allergen=allergen, component=component, food_terms=PEANUT, group="peanut")
        is shown
    )


def test_a_food_of_the_other_group_shows_every_result():
    assert diagnostics.is_relevant(
        kind=SPECIFIC_IGE, allergen="egg", component="", food_terms=("Cheesecake",), group="other"
    )


def test_names_food_folds_accents_and_case():
    assert diagnostics.names_food("Crème BRÛLÉE", ("creme brulee",))
    assert not diagnostics.names_food("Corn", ("Peanut", ""))


@pytest.mark.parametrize(
    ("kind", "stored", "comparator", "value", "shown"),
    [
        # Below the range: a laboratory value entered as 0 is "< the lowest reportable value"; just above 0 is measured.
        (SPECIFIC_IGE, "0", "<", "0.1", "<0.1 kU/L"),
        (SPECIFIC_IGE, "0.01", "", "0.01", "0.01 kU/L"),
        (COMPONENT_IGE, "0", "<", "0.1", "<0.1 kU/L"),
        (TRYPTASE, "0", "<", "1", "<1 ng/mL"),
        (TRYPTASE, "0.1", "", "0.1", "0.1 ng/mL"),
        # A wheal of 0 mm is a real, negative reading.
        (SKIN_PRICK, "0", "", "0", "0 mm"),
        # The top of the IgE range is "at or above it"; just below is measured.
        (SPECIFIC_IGE, "100", ">=", "100", "≥100 kU/L"),
        (SPECIFIC_IGE, "99.99", "", "99.99", "99.99 kU/L"),
        (COMPONENT_IGE, "100.00", ">=", "100", "≥100 kU/L"),
        # Tryptase above 200 is diluted and measured by the laboratory: 200 is a measured value.
        (TRYPTASE, "200", "", "200", "200 ng/mL"),
        (SKIN_PRICK, "50", "", "50", "50 mm"),
    ],
)
def test_a_value_at_the_end_of_the_assay_range_reads_as_beyond_it(kind, stored, comparator, value, shown):
    read = diagnostics.reading(kind, Decimal(stored))
    assert (read.comparator, read.value) == (comparator, Decimal(value))
    assert diagnostics.reading_text(kind, Decimal(stored)) == shown

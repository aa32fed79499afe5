"""Library forms: the shape of typed input (strict numbers, comma lists, measure lines, waits)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from challenges.library.forms.fields import AmountField, WholeNumberField
from challenges.library.forms.foods import FoodForm
from challenges.library.forms.steps import StepForm, step_initial
from challenges.library.forms.washout import WashoutDurationField, washout_duration_text
from clinical import washout_rules
from clinical.plan import PlannedStep


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("５", "non_ascii_digits"),
        ("١٢", "non_ascii_digits"),
        (".5", "leading_zero"),
        ("1e3", "exponent"),
        ("1,5", "separator"),
        ("NaN", "not_finite"),
        ("0.0001", "places"),
        ("1000000000", "too_large"),
    ],
)
def test_amount_field_refuses(typed, code):
    field = AmountField(places=3, max_digits=12, unit="mg")
    with pytest.raises(forms.ValidationError) as caught:
        field.clean(typed)
    assert caught.value.code == code


def test_amount_field_keeps_what_was_typed():
    field = AmountField(places=3, max_digits=12, unit="mg")
    assert field.clean("0.50") == Decimal("0.50")
    assert field.clean("3.000") == Decimal("3")  # trailing zeros are not extra decimal places
    assert field.clean("999999999.999") == Decimal("999999999.999")
    assert AmountField(places=3, max_digits=12, required=False).clean("") is None


@pytest.mark.parametrize(
    ("typed", "code"), [("1.5", "not_whole"), ("３０", "non_ascii_digits"), ("-1", "out_of_range")]
)
def test_whole_number_field_refuses(typed, code):
    with pytest.raises(forms.ValidationError) as caught:
        WholeNumberField(min_value=Decimal(0)).clean(typed)
    assert caught.value.code == code


def test_whole_number_field_gives_an_int():
    assert WholeNumberField().clean("30") == 30
    assert isinstance(WholeNumberField().clean("30"), int)


@pytest.mark.parametrize(
    ("minutes", "wait", "unit"),
    [(30, 30, "min"), (60, 1, "h"), (90, 90, "min"), (4320, 3, "d"), (1500, 25, "h"), (0, 0, "min")],
)
def test_step_wait_is_shown_in_the_largest_whole_unit(minutes, wait, unit):
    initial = step_initial(PlannedStep(1, Decimal(3), None, "", minutes))
    assert (initial["wait"], initial["wait_unit"]) == (wait, unit)


def test_step_form_turns_the_wait_into_minutes():
    form = StepForm({"protein_mg": "3", "wait": "2", "wait_unit": "d"})
    assert form.is_valid(), form.errors
    assert form.planned_step(4) == PlannedStep(4, Decimal("3"), None, "", 2 * 24 * 60)


def test_food_form_reads_measure_lines():
    form = FoodForm(
        {
            "name": "Oat drink",
            "form": "Brand O",
            "allergen_group": "other",
            "protein_g_per_100": "1.1",
            "protein_source": "label",
            "physical_form": "liquid",
            "household_measures": "cup = 250\n\ntbsp=15",
        }
    )
    assert form.is_valid(), form.errors
    draft = form.draft()
    assert draft.household_measures == {"cup": "250", "tbsp": "15"}
    assert draft.physical_form == "liquid"


# --- wash-out durations: days, or hours under a day (issue 16) ----------------------------------------------


@pytest.mark.parametrize(
    ("typed", "hours"),
    [
        ("7", 168),
        ("7 d", 168),
        ("7 days", 168),
        ("0.5", 12),
        ("1.5", 36),
        ("12 h", 12),
        ("12h", 12),
        ("23 hours", 23),
        ("0", 0),
        ("", None),
    ],
)
def test_a_washout_duration_is_typed_in_days_or_in_hours(typed, hours):
    assert WashoutDurationField().clean(typed) == hours


@pytest.mark.parametrize(
    ("typed", "code"),
    [("1.5 h", "whole_hours"), ("-1", None), ("-2 h", None), ("12 m", None), (".5", None), ("1,5", None)],
)
def test_a_washout_duration_that_is_not_one_is_a_field_error(typed, code):
    with pytest.raises(forms.ValidationError) as refused:
        WashoutDurationField().clean(typed)
    if code:
        assert refused.value.code == code


@pytest.mark.parametrize(("hours", "shown"), [(1, "1 h"), (12, "12 h"), (23, "23 h"), (24, "1"), (36, "1.5"), (0, "0")])
def test_the_editor_shows_a_rule_under_a_day_in_hours_and_others_in_days(hours, shown):
    assert washout_duration_text(hours) == shown


def test_the_longest_washout_is_accepted_in_days_and_in_hours_and_one_more_is_not():
    longest = washout_rules.MAX_WASHOUT_HOURS
    assert WashoutDurationField().clean(f"{longest} h") == longest
    with pytest.raises(forms.ValidationError):
        WashoutDurationField().clean(f"{longest + 1} h")

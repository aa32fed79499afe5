"""Emergency adrenaline dosing (clinical.adrenaline) and the rule in words that the printed sheets show."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinical import adrenaline
from clinical.adrenaline import (
    AdrenalineError,
    adrenaline_autoinjector,
    adrenaline_dose_mg,
    dose_rule_text,
)


@pytest.mark.parametrize(
    ("weight", "dose"),
    [
        ("3.3", "0.03"),
        ("10", "0.10"),
        ("12.4", "0.12"),
        ("12.5", "0.13"),  # half-up at the 0.01 mg step
        ("25", "0.25"),
        ("49.9", "0.50"),
        ("50", "0.50"),
        ("80", "0.50"),  # capped at 0.5 mg
    ],
)
def test_adrenaline_dose(weight, dose):
    result = adrenaline_dose_mg(Decimal(weight))
    assert result == Decimal(dose)
    assert result.as_tuple().exponent == -2


def test_adrenaline_dose_accepts_whole_kg():
    assert adrenaline_dose_mg(20) == Decimal("0.20")


@pytest.mark.parametrize("weight", [Decimal(0), Decimal(-5), Decimal("NaN"), Decimal("501"), 10.0, "10", True])
def test_adrenaline_rejects_bad_weight(weight):
    with pytest.raises(AdrenalineError) as excinfo:
        adrenaline_dose_mg(weight)
    assert excinfo.value.code == "bad_weight"
    with pytest.raises(AdrenalineError):
        adrenaline_autoinjector(weight)


@pytest.mark.parametrize(
    ("weight", "device"),
    [
        ("5", "none"),
        ("7.4", "none"),
        ("7.5", "0.15 mg"),
        ("15", "0.15 mg"),
        ("20", "0.15 mg"),  # ASCIA: 0.15 mg device for 7.5-20 kg
        ("20.1", "0.3 mg"),  # ... and 0.3 mg over 20 kg (docs/clinical-sources.md §10)
        ("25", "0.3 mg"),
        ("70", "0.3 mg"),
    ],
)
def test_adrenaline_autoinjector(weight, device):
    assert adrenaline_autoinjector(Decimal(weight)) == device


def test_the_printed_rule_is_built_from_the_constants():
    assert dose_rule_text() == "0.01 mg/kg, at most 0.5 mg"  # leading zero, no trailing zero (ISMP)


def test_the_printed_rule_follows_a_changed_constant(monkeypatch):
    monkeypatch.setattr(adrenaline, "ADRENALINE_MAX_MG", Decimal("0.30"))
    assert dose_rule_text() == "0.01 mg/kg, at most 0.3 mg"
    assert adrenaline_dose_mg(Decimal(80)) == Decimal("0.30")  # the dose and its printed rule move together


@pytest.mark.parametrize(
    ("dose", "text"),
    [
        ("0.24", "0.24 mg = 0.24 mL of 1 mg/mL (1:1000)"),
        ("0.5", "0.5 mg = 0.5 mL of 1 mg/mL (1:1000)"),
        ("0.10", "0.1 mg = 0.1 mL of 1 mg/mL (1:1000)"),  # no trailing zero
        ("0.05", "0.05 mg = 0.05 mL of 1 mg/mL (1:1000)"),  # leading zero, never ".05"
    ],
)
def test_dose_with_volume_in_mg_and_ml(dose, text):
    assert adrenaline.dose_with_volume(Decimal(dose)) == text


def test_emergency_text_gives_route_site_and_repeat():
    assert adrenaline.emergency_text(Decimal("0.24")) == (
        "Adrenaline 0.24 mg = 0.24 mL of 1 mg/mL (1:1000) IM into the anterolateral thigh. "
        "Repeat after 5 minutes if no improvement."
    )


@pytest.mark.parametrize(
    ("text", "mg"),
    [
        ("0.3 mg", "0.3"),
        ("0.3mg IM", "0.3"),
        ("300 micrograms", "0.3"),
        ("150 mcg", "0.15"),
        ("0.5 milligrams", "0.5"),
        (".5 mg", None),  # a bare point is unreadable, not 5 mg
        ("0,5 mg", None),
        ("0.5", None),  # no unit
        ("0.5 mL", None),  # a volume, not a dose
        ("half an ampoule", None),
    ],
)
def test_parse_recorded_dose(text, mg):
    assert adrenaline.parse_dose_mg(text) == (None if mg is None else Decimal(mg))


@pytest.mark.parametrize(
    ("weight", "limit"),
    [
        (None, "0.5"),  # no weight: the single-dose cap
        ("10", "0.15"),  # the 0.15 mg device gives more than 0.01 mg/kg below 15 kg
        ("18", "0.18"),
        ("20", "0.2"),
        ("20.1", "0.3"),  # the 0.3 mg device from just over 20 kg
        ("40", "0.4"),
        ("50", "0.5"),
        ("90", "0.5"),
    ],
)
def test_max_recorded_dose_by_weight(weight, limit):
    assert adrenaline.max_recorded_mg(None if weight is None else Decimal(weight)) == Decimal(limit)


@pytest.mark.parametrize(
    ("dose", "weight", "code"),
    [
        ("0.2 mg", "20", None),
        ("0.21 mg", "20", adrenaline.ABOVE_MAX),
        ("0.5 mg", "50", None),
        ("0.51 mg", "50", adrenaline.ABOVE_MAX),
        ("0.5 mg", None, None),
        ("0.6 mg", None, adrenaline.ABOVE_MAX),
        ("5 mg", "70", adrenaline.ABOVE_MAX),  # a slipped decimal point
        ("0.5", "70", adrenaline.UNREADABLE),
    ],
)
def test_recorded_dose_checked_against_the_weight_based_maximum(dose, weight, code):
    problem = adrenaline.check_recorded_dose(dose, None if weight is None else Decimal(weight))
    assert (problem.code if problem else None) == code


@pytest.mark.parametrize(
    ("number", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (21, "21st")]
)
def test_adrenaline_doses_are_counted_in_words(number, text):
    from clinical.adrenaline import ordinal

    assert ordinal(number) == text

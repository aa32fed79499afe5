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
        ("24.9", "0.15 mg"),
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

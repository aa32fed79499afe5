"""clinical.allergy_status: one status per substance from the confirmed results, and its criticality."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clinical.allergy_status import Result, criticality, status, worst
from clinical.outcome import is_partial_form


def day(n: int) -> datetime:
    return datetime(2026, 1, n, 12, tzinfo=UTC)


def test_a_failed_challenge_confirms_the_allergy():
    found = status([Result(day(1), "failed")])
    assert (found.clinical, found.verification) == ("active", "confirmed")
    assert found.basis == Result(day(1), "failed")


def test_a_pass_without_an_earlier_failure_refutes_it_and_is_never_resolved():
    found = status([Result(day(1), "passed")])
    assert (found.clinical, found.verification) == ("inactive", "refuted")


def test_a_pass_after_a_failure_is_an_allergy_outgrown():
    found = status([Result(day(2), "passed"), Result(day(1), "failed")])  # given out of order
    assert (found.clinical, found.verification) == ("resolved", "confirmed")
    assert found.basis == Result(day(2), "passed")


def test_a_failure_after_a_pass_makes_it_active_again():
    found = status([Result(day(1), "passed"), Result(day(2), "failed")])
    assert (found.clinical, found.verification) == ("active", "confirmed")


def test_a_later_equivocal_result_does_not_override_the_deciding_one():
    found = status([Result(day(1), "failed"), Result(day(2), "equivocal"), Result(day(3), "dose_not_reached")])
    assert (found.clinical, found.verification) == ("active", "confirmed")
    assert found.basis == Result(day(1), "failed")


@pytest.mark.parametrize("outcome", ["equivocal", "dose_not_reached"])
def test_nothing_decisive_is_active_and_unconfirmed(outcome):
    found = status([Result(day(1), outcome)])
    assert (found.clinical, found.verification, found.basis) == ("active", "unconfirmed", None)


def test_a_passed_heated_form_rules_nothing_out():
    baked = Result(day(2), "passed", partial_form=True)
    assert (status([baked]).clinical, status([baked]).verification) == ("active", "unconfirmed")
    after_failure = status([Result(day(1), "failed"), baked])
    assert (after_failure.clinical, after_failure.verification) == ("active", "confirmed")


def test_a_failed_heated_form_confirms_the_allergy():
    found = status([Result(day(1), "passed"), Result(day(2), "failed", partial_form=True)])
    assert (found.clinical, found.verification) == ("active", "confirmed")


def test_partial_forms_are_the_heated_milk_and_egg_forms():
    assert is_partial_form(allergen="milk", processing="baked")
    assert is_partial_form(allergen="egg", processing="boiled")
    assert not is_partial_form(allergen="milk", processing="")
    assert not is_partial_form(allergen="peanut", processing="roasted")


@pytest.mark.parametrize(
    ("clinical", "severity", "anaphylaxis", "adrenaline", "expected"),
    [
        ("active", "moderate", False, True, "high"),  # adrenaline given
        ("active", "mild", True, False, "high"),  # anaphylaxis criteria met
        ("active", "severe", False, False, "high"),
        ("active", "anaphylaxis", False, False, "high"),
        ("active", "moderate", False, False, "low"),
        ("active", "mild", False, False, "low"),
        ("active", "", False, False, "unable-to-assess"),
        ("resolved", "severe", True, True, None),
        ("inactive", "", False, False, None),
    ],
)
def test_criticality(clinical, severity, anaphylaxis, adrenaline, expected):
    got = criticality(clinical=clinical, worst_severity=severity, anaphylaxis=anaphylaxis, adrenaline_given=adrenaline)
    assert got == expected


def test_worst_severity():
    assert worst(["mild", "anaphylaxis", "moderate"]) == "anaphylaxis"
    assert worst(["", "unknown"]) == ""

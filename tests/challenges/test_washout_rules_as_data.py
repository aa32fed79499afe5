"""Medications and wash-out rules as data: refusals, the JSON round trip, defaults and which rule wins
(clinical.washout_rules)."""

from __future__ import annotations

import json

import pytest

from clinical.dates import format_when
from clinical.washout import Medication, PremedItem
from clinical.washout_rules import (
    DEFAULT_WASHOUT,
    MAX_WASHOUT_HOURS,
    WashoutError,
    WashoutRule,
    rules_from_data,
    rules_to_data,
)
from tests.challenges.washout_helpers import check

# --- medications and rules as data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "code"),
    [
        (lambda: Medication("X", "antihistamine"), "unknown_class"),
        (lambda: PremedItem("X", "H1"), "unknown_class"),
        (lambda: Medication("X", "h1_antihistamine", route="eyes"), "unknown_route"),
        (lambda: Medication("X", "h1_antihistamine", route=""), "unknown_route"),
    ],
)
def test_bad_medication_is_rejected(factory, code):
    with pytest.raises(WashoutError) as excinfo:
        factory()
    assert excinfo.value.code == code


def test_rules_round_trip_through_json():
    data = json.loads(json.dumps(rules_to_data(DEFAULT_WASHOUT)))
    assert data[0] == {
        "med_class": "h1_antihistamine",
        "hours": 168,
        "note": DEFAULT_WASHOUT[0].note,
        "source": DEFAULT_WASHOUT[0].source,
    }
    assert data[1]["drug"] == "diphenhydramine"
    assert data[1]["route"] == "oral"
    assert rules_from_data(data) == DEFAULT_WASHOUT


def test_rules_from_data_defaults_and_accepts_a_year():
    assert rules_from_data([{"med_class": "biologic", "hours": MAX_WASHOUT_HOURS}]) == (
        WashoutRule("biologic", 365 * 24, "", ""),
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"med_class": "nsaid", "hours": 24}, "bad_type"),
        ("[]", "bad_type"),
        ([["nsaid", 24]], "bad_type"),
        ([{"med_class": "antihistamine", "hours": 24}], "unknown_class"),
        ([{"med_class": 7, "hours": 24}], "unknown_class"),
        ([{"med_class": "nsaid", "hours": -1}], "bad_hours"),
        ([{"med_class": "nsaid", "hours": MAX_WASHOUT_HOURS + 1}], "bad_hours"),
        ([{"med_class": "nsaid", "hours": "24"}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24.0}], "bad_type"),
        ([{"med_class": "nsaid", "hours": True}], "bad_type"),
        ([{"med_class": "nsaid", "hours": None}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24, "note": 5}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24, "source": None}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24, "route": "ear"}], "unknown_route"),
        ([{"med_class": "h1_antihistamine", "hours": 24, "drug": "Zyrtec®"}], "bad_drug"),
        ([{"med_class": "nsaid"}], "missing_field"),
        ([{"hours": 24}], "missing_field"),
        ([{"med_class": "nsaid", "hours": 24, "days": 1}], "unknown_field"),
        ([{"med_class": "nsaid", "hours": 24}, {"med_class": "nsaid", "hours": 48}], "duplicate_class"),
        (
            [
                {"med_class": "h1_antihistamine", "hours": 48, "route": "eye"},
                {"med_class": "h1_antihistamine", "hours": 24, "route": "eye"},
            ],
            "duplicate_class",
        ),
    ],
)
def test_rules_from_data_rejects_bad_data(data, code):
    with pytest.raises(WashoutError) as excinfo:
        rules_from_data(data)
    assert excinfo.value.code == code


def test_a_class_rule_and_its_drug_rule_are_not_duplicates():
    rules = rules_from_data(
        [
            {"med_class": "h1_antihistamine", "hours": 168},
            {"med_class": "h1_antihistamine", "hours": 72, "drug": "cetirizine"},
        ]
    )
    assert [r.label for r in rules] == ["H1 antihistamine", "H1 antihistamine: cetirizine"]
    # Without a route, a drug rule covers every route of the drug; it still loses to a route rule.
    [conflict] = check(Medication("Cétirizine 10 mg", "h1_antihistamine"), rules=rules)
    assert conflict.hours == 72


def test_longest_of_equally_specific_rules_wins():
    rules = (WashoutRule("h1_antihistamine", 72), WashoutRule("h1_antihistamine", 240))
    [conflict] = check(Medication("Hydroxyzine", "h1_antihistamine"), rules=rules)
    assert format_when(conflict.stop_by) == "Fri 27 Feb 2026 09:00"
    assert "10 days before" in conflict.message

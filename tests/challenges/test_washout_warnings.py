"""Medicines the check never asks to stop: risk factors are reviewed, biologics defer, PPIs and NSAIDs warn, the
rest give nothing (clinical.washout)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from clinical.washout import BLOCK, WARN, Medication
from clinical.washout_decisions import first_dose_refusal, review
from clinical.washout_rules import DEFAULT_WASHOUT, WashoutRule
from tests.challenges.washout_helpers import LONDON, START, boundary, check, no_stop

# --- risk factors: a review, never "stop" --------------------------------------------------------------------

OLD_RISK_RULES = (WashoutRule("beta_blocker", 24), WashoutRule("ace_inhibitor", 24))  # protocols saved before


@pytest.mark.parametrize("diagnostic", [True, False])
@pytest.mark.parametrize("rules", [DEFAULT_WASHOUT, OLD_RISK_RULES, ()])
@pytest.mark.parametrize(("med_class", "name"), [("beta_blocker", "Bisoprolol 2.5 mg"), ("ace_inhibitor", "Ramipril")])
def test_risk_factor_is_a_risk_review_and_never_says_stop(med_class, name, rules, diagnostic):
    now = datetime(2026, 3, 9, 8, 0, tzinfo=LONDON)  # even after any deadline a rule could set
    [conflict] = check(Medication(name, med_class, medication_id=2), rules=rules, diagnostic=diagnostic, now=now)
    assert (conflict.kind, conflict.severity, conflict.stop_by, conflict.earliest) == ("risk_review", BLOCK, None, None)
    assert conflict.actions == {"proceed", "defer", "switch"}
    assert "Risk review" in conflict.message
    assert no_stop(conflict.message)
    [reviewed] = review([conflict], [], START)
    assert no_stop(reviewed.status)
    assert no_stop(first_dose_refusal([reviewed]).message)
    for label in (label for _code, label in reviewed.choices):
        assert no_stop(label)


def test_beta_blocker_recorded_as_stopped_is_still_reviewed():
    [conflict] = check(Medication("Bisoprolol", "beta_blocker", stopped_on=date(2026, 3, 1)))
    assert conflict.kind == "risk_review"


# --- biologics: defer by months, a warning ------------------------------------------------------------------


def test_biologic_is_a_warning_to_defer():
    [conflict] = check(Medication("Omalizumab 300 mg", "biologic", route="injection"))
    assert (conflict.kind, conflict.severity, conflict.earliest) == ("biologic", WARN, None)
    assert "lasts months" in conflict.message
    assert first_dose_refusal(review([conflict], [], START)) is None


def test_biologic_deferral_can_run_past_the_old_90_day_cap():
    six_months = 183 * 24
    assert six_months > 90 * 24
    rules = (WashoutRule("biologic", six_months, source="clinic policy"),)
    med = Medication("Omalizumab", "biologic", route="injection")
    [conflict] = check(
        Medication("Omalizumab", "biologic", stopped_on=date(2026, 2, 2), route="injection"), rules=rules
    )
    assert conflict.earliest == datetime(2026, 8, 5, 9, 0, tzinfo=LONDON)
    assert "earliest date Wed 5 Aug 2026" in conflict.message
    in_time, too_late = boundary(med, 183, rules=rules)
    assert in_time == []
    assert [c.kind for c in too_late] == ["biologic"]


def test_biologic_on_a_home_plan_gives_nothing():
    assert check(Medication("Omalizumab", "biologic"), diagnostic=False) == []


# --- PPIs and NSAIDs: warnings, not blocks --------------------------------------------------------------------


def test_ppi_is_a_warning():
    [conflict] = check(Medication("Omeprazole 20 mg", "ppi"))
    assert (conflict.kind, conflict.severity) == ("ppi_warning", WARN)
    assert conflict.actions == frozenset()


def test_nsaid_is_a_cofactor_warning_until_it_is_stopped_in_time():
    med = Medication("Ibuprofen", "nsaid")
    [conflict] = check(med)
    assert (conflict.kind, conflict.severity) == ("cofactor", WARN)
    in_time, too_late = boundary(med, 1)
    assert in_time == []
    assert [c.kind for c in too_late] == ["cofactor"]


def test_other_medicines_give_nothing():
    assert check(Medication("Budesonide/formoterol inhaler", "other", route="inhaled")) == []

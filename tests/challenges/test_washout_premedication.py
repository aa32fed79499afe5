"""The medication check and the protocol's premedication: in an MCAS plan the premedicated classes continue by
design; a diagnostic challenge flags them as masking (clinical.washout)."""

from __future__ import annotations

from clinical.washout import BLOCK, INFO, WARN, Medication, PremedItem
from clinical.washout_decisions import first_dose_refusal, review
from clinical.washout_rules import DEFAULT_WASHOUT, WashoutRule
from tests.challenges.washout_helpers import START, check, kinds

# --- MCAS: premedicated classes continue by design -----------------------------------------------------------

MCAS_PREMEDICATION = (
    PremedItem("Cromolyn sodium 100 mg", "mast_cell_stabiliser"),
    PremedItem("Cetirizine 10 mg", "h1_antihistamine"),
    PremedItem("Famotidine 20 mg", "h2_blocker"),
)
MCAS_MEDICATIONS = (
    Medication("Cromolyn sodium", "mast_cell_stabiliser"),
    Medication("Cetirizine", "h1_antihistamine"),
    Medication("Famotidine", "h2_blocker"),
    Medication("Propranolol", "beta_blocker"),
)
RULES_WITH_CROMOLYN = (*DEFAULT_WASHOUT, WashoutRule("mast_cell_stabiliser", 24))


def test_mcas_plan_keeps_h1_h2_and_cromolyn_by_design_and_reviews_the_beta_blocker():
    conflicts = check(*MCAS_MEDICATIONS, diagnostic=False, rules=RULES_WITH_CROMOLYN, premedication=MCAS_PREMEDICATION)
    assert kinds(conflicts) == [
        ("continues_by_design", INFO, "Cromolyn sodium"),
        ("continues_by_design", INFO, "Cetirizine"),
        ("continues_by_design", INFO, "Famotidine"),
        ("risk_review", BLOCK, "Propranolol"),
    ]
    assert "continues by design" in conflicts[1].message
    assert first_dose_refusal(review(conflicts, [], START)).code == "medication_review_required"


def test_non_diagnostic_still_warns_for_a_washed_out_class_not_in_the_premedication():
    conflicts = check(Medication("Famotidine", "h2_blocker"), diagnostic=False, premedication=MCAS_PREMEDICATION[:2])
    assert kinds(conflicts) == [("must_stop", WARN, "Famotidine")]


def test_non_diagnostic_protocol_without_rules_washes_out_nothing():
    assert check(Medication("Loratadine", "h1_antihistamine"), diagnostic=False, rules=()) == []


def test_mcas_patient_on_a_diagnostic_protocol_is_told_why_her_blockers_matter():
    conflicts = check(*MCAS_MEDICATIONS[:3], rules=RULES_WITH_CROMOLYN, conditions=["mcas"])
    assert [c.kind for c in conflicts] == ["must_stop"] * 3
    assert all("The patient has MCAS" in c.message for c in conflicts)
    assert "MCAS" not in check(Medication("Cetirizine", "h1_antihistamine"))[0].message


def test_diagnostic_challenge_with_premedication_flags_masking():
    premedication = (
        *MCAS_PREMEDICATION,
        PremedItem("Montelukast", "leukotriene_antagonist"),
        PremedItem("Omeprazole", "ppi"),
    )
    conflicts = check(premedication=premedication)
    assert [c.kind for c in conflicts] == ["masking_premedication"] * 4
    assert all(c.severity == WARN and c.stop_by is None for c in conflicts)


def test_diagnostic_does_not_exempt_current_medication_given_as_premedication():
    conflicts = check(
        Medication("Cetirizine", "h1_antihistamine"), premedication=[PremedItem("Cetirizine 10 mg", "h1_antihistamine")]
    )
    assert [c.kind for c in conflicts] == ["must_stop", "masking_premedication"]

"""Stop rules read from the checklist (clinical.stopping): objective signs, and subjective symptoms on
consecutive doses (Utrecht)."""

import pytest

from clinical.stop_rules import HOLD, STOP, StopRules
from tests.challenges.stopping_helpers import at, check, codes, only, seen

# --- Objective signs ---------------------------------------------------------------------------------------


def test_objective_sign_message_names_item_grade_time_and_dose():
    hits = check([seen("skin_urticaria", 2, 5, at(10, 42))])
    assert codes(hits) == ["objective_sign"]
    assert hits[0].message == "Objective sign: Urticaria/angioedema, moderate (2) at 10:42 after dose 5"


def test_absent_objective_sign_does_not_stop():
    assert check([seen("lower_resp_wheeze", 0, 2)]) == []


def test_objective_severity_threshold():
    rules = StopRules(objective_min_severity=2)
    assert check([seen("skin_erythema", 1, 3)], rules=rules) == []
    hit = only(check([seen("skin_erythema", 2, 3)], rules=rules), "objective_sign")
    assert "(limit: moderate or worse)" in hit.message


def test_one_hit_per_objective_item_with_all_findings_as_evidence():
    findings = [
        seen("gi_vomiting", 1, 4, at(11, 5)),
        seen("skin_urticaria", 1, 4, at(11, 0)),
        seen("skin_urticaria", 3, 5, at(11, 30)),
    ]
    hits = check(findings)
    assert codes(hits) == ["objective_sign", "objective_sign"]
    assert hits[0].message.startswith("Objective sign: Urticaria/angioedema, mild (1) at 11:00")
    assert hits[0].evidence == (
        "Urticaria/angioedema, mild (1) at 11:00 after dose 4",
        "Urticaria/angioedema, severe (3) at 11:30 after dose 5",
    )
    assert "Vomiting/diarrhoea" in hits[1].message


def test_findings_before_the_first_dose_are_baseline_not_a_reaction():
    assert check([seen("skin_urticaria", 2, None)]) == []


def test_objective_sign_must_be_worse_than_before_the_first_dose():
    eczema = seen("skin_erythema", 1, None, at(9))
    assert check([eczema, seen("skin_erythema", 1, 2)]) == []
    hit = only(check([eczema, seen("skin_erythema", 2, 2)]), "objective_sign")
    assert "(before the first dose: mild (1))" in hit.message


@pytest.mark.parametrize("code", ["upper_resp_sneezing", "cardio_neuro", "mcas_flushing", "mcas_tachycardia"])
def test_every_objective_item_stops_at_grade_1(code):
    assert codes(check([seen(code, 1, 1)])) == ["objective_sign"]


# --- Subjective symptoms on consecutive doses (Utrecht) -----------------------------------------------------


def test_subjective_symptom_on_two_consecutive_doses_does_not_stop():
    assert check([seen("gi_subjective", 1, 3), seen("gi_subjective", 1, 4)]) == []


def test_same_subjective_symptom_on_three_consecutive_doses_stops():
    findings = [
        seen("gi_subjective", 1, 3, at(10, 2)),
        seen("gi_subjective", 2, 4, at(10, 32)),
        seen("gi_subjective", 1, 5, at(11, 2)),
    ]
    hits = [hit for hit in check(findings) if hit.tier == STOP]
    assert codes(hits) == ["subjective_repeated"]
    assert hits[0].message == (
        "Subjective symptom on 3 consecutive doses: Nausea/abdominal pain after doses 3, 4, 5 "
        "(limit: same symptom on 3 consecutive doses)"
    )
    assert hits[0].evidence == (
        "Nausea/abdominal pain, mild (1) at 10:02 after dose 3",
        "Nausea/abdominal pain, moderate (2) at 10:32 after dose 4",
        "Nausea/abdominal pain, mild (1) at 11:02 after dose 5",
    )


def test_a_gap_in_the_doses_breaks_the_run():
    findings = [seen("oral_symptoms", 1, 3), seen("oral_symptoms", 1, 4), seen("oral_symptoms", 1, 6)]
    assert check(findings) == []


def test_a_later_run_after_a_gap_still_counts():
    findings = [seen("skin_pruritus", 1, n) for n in (2, 3, 5, 6, 7)]
    hit = only(check(findings), "subjective_repeated")
    assert "after doses 5, 6, 7" in hit.message


def test_several_findings_after_one_dose_count_as_one_dose():
    findings = [
        seen("gi_subjective", 1, 3, at(10)),
        seen("gi_subjective", 1, 3, at(10, 10)),
        seen("gi_subjective", 1, 4),
    ]
    assert check(findings) == []


def test_different_subjective_symptoms_are_not_the_same_symptom():
    findings = [seen("skin_pruritus", 1, 3), seen("gi_subjective", 1, 4), seen("oral_symptoms", 1, 5)]
    assert check(findings) == []


def test_subjective_minimum_severity():
    findings = [seen("mcas_headache", 1, n) for n in (1, 2, 3)]
    assert check(findings, rules=StopRules(subjective_min_severity=2)) == []
    assert codes(check(findings)) == ["subjective_repeated"]


def test_subjective_run_length_is_configurable():
    findings = [seen("mcas_brain_fog", 1, 1), seen("mcas_brain_fog", 1, 2)]
    assert codes(check(findings, rules=StopRules(subjective_consecutive_doses=2))) == ["subjective_repeated"]


def test_subjective_symptom_present_before_dosing_must_get_worse_to_count():
    findings = [seen("mcas_itch", 1, None), *(seen("mcas_itch", 1, n) for n in (1, 2, 3))]
    assert check(findings) == []


def test_subjective_symptoms_never_count_as_objective():
    hits = check([seen("behaviour_change", 3, 1), seen("gi_subjective", 3, 1)])
    assert codes(hits) == ["subjective_severe", "subjective_severe"]
    assert {hit.tier for hit in hits} == {HOLD}

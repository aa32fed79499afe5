"""The FPIES rule (Leonard 2018): vomiting 1-4 h after the food with minor criteria, read from the checklist,
vital signs and a neutrophil rise."""

from datetime import datetime
from decimal import Decimal

import pytest

from clinical.stop_observations import Finding, Vitals
from clinical.stop_rules import HOLD, STOP, default_rules
from clinical.stopping import evaluate
from tests.challenges.stopping_helpers import at, check, codes, only, seen

# --- FPIES (Leonard 2018) ---------------------------------------------------------------------------------

FPIES = default_rules("fpies")
PORTIONS = {1: at(9), 2: at(9, 15), 3: at(9, 30)}  # 3 portions over ~1 h (docs/clinical-sources.md §1.5)


def fpies_findings(vomit_at: datetime) -> list[Finding]:
    return [
        seen("gi_vomiting", 1, 3, vomit_at),
        seen("mental_state", 1, 3, at(11, 10)),  # lethargy: drowsy
        seen("infant_pallor", 1, 3, at(11, 10)),  # pallor
    ]


def test_fpies_vomiting_at_2_h_with_two_minor_criteria_is_positive():
    hit = only(check(fpies_findings(at(11)), rules=FPIES, age=Decimal(2), dose_times=PORTIONS), "fpies_positive")
    assert hit.message == (
        "FPIES challenge positive: vomiting at 11:00, 1 h 30 min after dose 3, plus 2 minor criteria "
        "(lethargy, pallor) (limit: vomiting 1-4 h after the food plus ≥ 2 minor criteria)"
    )
    assert hit.evidence[0] == "Vomiting/diarrhoea, mild (1) at 11:00 after dose 3"


def test_fpies_vomiting_with_one_minor_criterion_is_not_positive_and_holds_the_next_portion():
    findings = [seen("gi_vomiting", 1, 3, at(11)), seen("mental_state", 1, 3, at(11, 10))]
    hits = check(findings, rules=FPIES, age=Decimal(2), dose_times=PORTIONS)
    assert "fpies_positive" not in codes(hits)
    assert "objective_sign" not in codes(hits)  # clinical review S6: the first vomit is not a failed challenge
    held = [hit for hit in hits if hit.code == "fpies_sign_hold"]  # the vomiting and the drowsiness
    assert len(held) == 2
    assert {hit.tier for hit in held} == {HOLD}  # but no further portion until a clinician decides


def test_vomiting_outside_an_fpies_challenge_is_still_an_objective_stop_sign():
    hits = check([seen("gi_vomiting", 1, 3, at(11))], rules=default_rules("open"), age=Decimal(2))
    assert only(hits, "objective_sign").tier == STOP


@pytest.mark.parametrize(
    ("finding", "minor"),
    [
        (("behaviour_change", 1), None),  # "quieter or more irritable than usual" is not lethargy (S6)
        (("behaviour_change", 3), None),  # nor is "anxious/distressed": the mood item never counts
        (("cardio_neuro", 1), None),  # "weak, dizzy or tachycardia" is not pallor (S6)
        (("mental_state", 1), "lethargy"),
        (("infant_pallor", 1), "pallor"),
    ],
)
def test_fpies_minor_criteria_are_read_only_from_the_items_that_name_them(finding, minor):
    code, grade = finding
    findings = [seen("gi_vomiting", 1, 3, at(11)), seen(code, grade, 3, at(11, 10))]
    vitals = [Vitals(at(11, 20), systolic=70)]  # age 2: below 74 mmHg, hypotension: one minor criterion already
    hits = check(findings, vitals, rules=FPIES, age=Decimal(2), dose_times=PORTIONS)
    if minor is None:
        assert "fpies_positive" not in codes(hits)
    else:
        assert f"({minor}, hypotension)" in only(hits, "fpies_positive").message


def test_pale_and_floppy_counts_as_lethargy_and_pallor():
    findings = [seen("gi_vomiting", 1, 3, at(11)), seen("infant_pallor", 2, 3, at(11, 10))]
    hit = only(check(findings, rules=FPIES, age=Decimal(2), dose_times=PORTIONS), "fpies_positive")
    assert "(lethargy, pallor)" in hit.message


@pytest.mark.parametrize(
    ("diarrhoea_at", "counts"),
    [
        (at(14, 29), False),  # 4 h 59 min after the last portion (09:30)
        (at(14, 30), True),  # exactly 5 h
        (at(19, 30), True),  # exactly 10 h
        (at(19, 31), False),  # 10 h 1 min
    ],
)
def test_fpies_diarrhoea_counts_5_to_10_h_after_the_food(diarrhoea_at, counts):
    findings = [seen("gi_vomiting", 1, 3, at(11)), seen("gi_diarrhoea", 1, 3, diarrhoea_at)]
    vitals = [Vitals(at(11, 20), systolic=70)]  # hypotension: the other minor criterion
    hits = check(findings, vitals, rules=FPIES, age=Decimal(2), dose_times=PORTIONS)
    assert ("fpies_positive" in codes(hits)) is counts
    assert "objective_sign" not in codes(hits)  # diarrhoea in FPIES holds, it does not fail the challenge


def test_a_neutrophil_rise_is_a_minor_criterion_and_never_moves_the_onset_earlier():
    findings = [seen("gi_vomiting", 1, 3, at(11))]
    vitals = [Vitals(at(11, 20), systolic=70)]
    rise = "neutrophils 4,000 → 6,000 cells/µL (rise of 2,000)"
    hits = stopping_evaluate(findings, vitals, neutrophil_rise=rise)
    hit = only(hits, "fpies_positive")
    assert "neutrophil rise" in hit.message
    assert min(hit.evidence_at) == at(11)  # the vomiting's time
    assert "fpies_positive" not in codes(stopping_evaluate(findings, vitals, neutrophil_rise=None))


def stopping_evaluate(findings, vitals, *, neutrophil_rise):
    return evaluate(
        FPIES,
        findings=findings,
        vitals=vitals,
        baseline=None,
        age_years=Decimal(2),
        dose_times=PORTIONS,
        neutrophil_rise=neutrophil_rise,
    )


@pytest.mark.parametrize(
    ("vomit_at", "positive"),
    [
        (at(9, 55), False),  # 25 min after the last portion, 55 min after the first: too early
        (at(10), True),  # exactly 1 h after the first portion
        (at(13, 30), True),  # exactly 4 h after the last portion
        (at(13, 31), False),  # 4 h 1 min after the last portion
    ],
)
def test_fpies_vomiting_must_start_1_to_4_h_after_the_food(vomit_at, positive):
    hits = check(fpies_findings(vomit_at), rules=FPIES, age=Decimal(2), dose_times=PORTIONS)
    assert ("fpies_positive" in codes(hits)) is positive


def test_fpies_minor_criteria_from_vital_signs():
    findings = [seen("gi_vomiting", 2, 3, at(11))]
    vitals = [Vitals(at(11, 20), systolic=70, temperature_c=Decimal("34.8"))]  # age 2: limit 74 mmHg
    hit = only(check(findings, vitals, rules=FPIES, age=Decimal(2), dose_times=PORTIONS), "fpies_positive")
    assert "(hypotension, hypothermia)" in hit.message
    assert "hypothermia: 11:20 temperature 34.8 °C" in hit.evidence


def test_fpies_normal_temperature_is_not_hypothermia():
    findings = [seen("gi_vomiting", 2, 3, at(11))]
    vitals = [Vitals(at(11, 20), systolic=70, temperature_c=Decimal("36.4"))]
    hits = check(findings, vitals, rules=FPIES, age=Decimal(2), dose_times=PORTIONS)
    assert "fpies_positive" not in codes(hits)


def test_fpies_without_dose_times_fires_and_says_timing_was_not_checked():
    hit = only(check(fpies_findings(at(11)), rules=FPIES, age=Decimal(2)), "fpies_positive")
    assert "time from the food not checked" in hit.message


def test_fpies_rule_is_off_for_ige_challenges():
    hits = check(fpies_findings(at(11)), rules=default_rules("open"), age=Decimal(2), dose_times=PORTIONS)
    assert "fpies_positive" not in codes(hits)


@pytest.mark.parametrize(("grade", "tier"), [(2, HOLD), (3, STOP)])
def test_fpies_signs_hold_below_their_worst_grade_and_stop_at_it(grade, tier):  # S6
    hits = check([seen("mental_state", grade, 3, at(11))], rules=FPIES, age=Decimal(2), dose_times=PORTIONS)
    assert {hit.tier for hit in hits} == {tier}

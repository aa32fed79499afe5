"""Suggested reaction grades: Sampson 2003, WAO 2010 (with adrenaline suffix) and Brown 2004."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clinical.grading import (
    SCALES,
    GradeInput,
    GradingError,
    suggest,
    suggest_brown,
    suggest_sampson,
    suggest_wao2010,
    wao_adrenaline_suffix,
)

LONDON = ZoneInfo("Europe/London")
FIRST_SYMPTOM = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)


def _input(*findings: tuple[str, int], **vitals: Any) -> GradeInput:
    return GradeInput(findings=findings, **vitals)


def sampson(*findings: tuple[str, int], **vitals: Any) -> tuple[str, tuple[str, ...]]:
    result = suggest_sampson(_input(*findings, **vitals))
    return result.grade, result.reasons


def wao(*findings: tuple[str, int], **vitals: Any) -> tuple[str, tuple[str, ...]]:
    result = suggest_wao2010(_input(*findings, **vitals))
    return result.grade, result.reasons


def brown(*findings: tuple[str, int], **vitals: Any) -> tuple[str, tuple[str, ...]]:
    result = suggest_brown(_input(*findings, **vitals))
    return result.grade, result.reasons


# --- Sampson 2003 --------------------------------------------------------------------------------------------


def test_sampson_no_findings_is_grade_0():
    assert sampson() == ("0", ("No findings recorded",))


def test_sampson_absent_items_and_ungraded_items_give_grade_0():
    grade, reasons = sampson(("skin_urticaria", 0), ("mcas_brain_fog", 1), ("mcas_headache", 2))
    assert grade == "0"
    assert reasons == (
        "Not graded on this scale: Brain fog: mild (1)",
        "Not graded on this scale: Headache: moderate (2)",
    )


@pytest.mark.parametrize(
    ("findings", "vitals", "grade", "reason"),
    [
        # grade 1: localised skin or oral signs
        ([("skin_urticaria", 1)], {}, "1", "Urticaria/angioedema: mild (1)"),
        ([("skin_urticaria", 2)], {}, "1", "Urticaria/angioedema: moderate (2)"),
        ([("oral_symptoms", 3)], {}, "1", "Oral symptoms: severe (3)"),
        ([("skin_pruritus", 2)], {}, "1", "Pruritus: moderate (2)"),
        # grade 2: generalised skin signs, one vomit, nausea, sneezing, activity change
        ([("skin_urticaria", 3)], {}, "2", "Urticaria/angioedema: severe (3)"),
        ([("skin_erythema", 3)], {}, "2", "Erythema/rash: severe (3)"),
        ([("mcas_flushing", 3)], {}, "2", "Flushing: severe (3)"),
        ([("mcas_itch", 3)], {}, "2", "Itch: severe (3)"),
        ([("upper_resp_sneezing", 3)], {}, "3", "Sneezing/nasal itch: severe (3)"),
        ([("behaviour_change", 3)], {}, "3", "Behaviour change: severe (3)"),
        ([("gi_vomiting", 1)], {}, "2", "Vomiting/diarrhoea: mild (1)"),
        ([("gi_subjective", 1)], {}, "2", "Nausea/abdominal pain: mild (1)"),
        ([("upper_resp_sneezing", 1)], {}, "2", "Sneezing/nasal itch: mild (1)"),
        ([("behaviour_change", 1)], {}, "2", "Behaviour change: mild (1)"),
        # grade 3: repeated vomiting, throat clearing, tachycardia
        ([("gi_vomiting", 2)], {}, "3", "Vomiting/diarrhoea: moderate (2)"),
        ([("gi_vomiting", 3)], {}, "3", "Vomiting/diarrhoea: severe (3)"),
        ([("lower_resp_laryngeal", 1)], {}, "3", "Laryngeal symptoms: mild (1)"),
        ([("cardio_neuro", 1)], {}, "4", "Cardiovascular/neurological: mild (1)"),
        ([("mcas_tachycardia", 1)], {}, "3", "Tachycardia (reported): mild (1)"),
        ([], {"max_heart_rate": 116, "baseline_heart_rate": 100}, "3", "Heart rate 116/min (up 16/min from 100/min)"),
        # grade 4: wheeze, hoarseness, hypoxaemia, mild hypotension
        ([("lower_resp_wheeze", 1)], {}, "4", "Wheeze: mild (1)"),
        ([("lower_resp_laryngeal", 2)], {}, "4", "Laryngeal symptoms: moderate (2)"),
        ([("lower_resp_laryngeal", 3)], {}, "4", "Laryngeal symptoms: severe (3)"),
        ([("cardio_neuro", 2)], {}, "4", "Cardiovascular/neurological: moderate (2)"),
        ([], {"min_spo2": 90}, "4", "SpO2 90 %"),
        ([], {"min_systolic": 85}, "4", "Systolic BP 85 mmHg (below 90 mmHg for age 30 y)"),
        ([], {"pef_drop_pct": Decimal("25")}, "4", "PEF drop 25 %"),
        # grade 5: collapse, loss of consciousness
        ([("cardio_neuro", 3)], {}, "5", "Cardiovascular/neurological: severe (3)"),
        ([], {"loss_of_consciousness": True}, "5", "Loss of consciousness"),
    ],
)
def test_sampson_grade_from_single_feature(findings, vitals, grade, reason):
    assert sampson(*findings, **vitals) == (grade, (reason,))


def test_sampson_grade_is_worst_organ_system_and_names_only_its_drivers():
    grade, reasons = sampson(
        ("skin_urticaria", 3), ("gi_vomiting", 2), ("upper_resp_sneezing", 1), ("lower_resp_laryngeal", 1)
    )
    assert grade == "3"
    assert reasons == ("Vomiting/diarrhoea: moderate (2)", "Laryngeal symptoms: mild (1)")


def test_sampson_repeated_item_uses_worst_severity():
    assert sampson(("skin_urticaria", 1), ("skin_urticaria", 3), ("skin_urticaria", 2))[0] == "2"


def test_sampson_tachycardia_needs_rise_above_15():
    assert sampson(("skin_urticaria", 1), max_heart_rate=115, baseline_heart_rate=100)[0] == "1"
    assert sampson(("skin_urticaria", 1), max_heart_rate=116, baseline_heart_rate=100)[0] == "3"
    assert sampson(("skin_urticaria", 1), max_heart_rate=140)[0] == "1"  # no baseline, no rise


def test_sampson_spo2_below_92_only():
    assert sampson(("skin_urticaria", 1), min_spo2=92)[0] == "1"
    assert sampson(("skin_urticaria", 1), min_spo2=91) == ("4", ("SpO2 91 %",))


def test_sampson_pef_drop_must_exceed_20_percent():
    assert sampson(("skin_urticaria", 1), pef_drop_pct=Decimal(20))[0] == "1"
    assert sampson(("skin_urticaria", 1), pef_drop_pct=Decimal("20.5"))[0] == "4"


def test_sampson_realistic_peanut_reaction_in_a_child():
    grade, reasons = sampson(
        ("skin_urticaria", 3),
        ("gi_vomiting", 2),
        ("lower_resp_wheeze", 2),
        min_spo2=90,
        max_heart_rate=150,
        baseline_heart_rate=110,
        age_years=Decimal(4),
    )
    assert grade == "4"
    assert reasons == ("Wheeze: moderate (2)", "SpO2 90 %")


# --- Hypotension by age (docs/clinical-sources.md §7)
# ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "low", "normal"),
    [("0.5", 69, 70), ("1", 71, 72), ("5", 79, 80), ("10", 89, 90), ("14", 89, 90), ("40", 89, 90)],
)
def test_paediatric_hypotension_grades_sampson_4(age, low, normal):
    assert sampson(("skin_urticaria", 1), min_systolic=low, age_years=Decimal(age)) == (
        "4",
        (f"Systolic BP {low} mmHg (below {normal} mmHg for age {age} y)",),
    )
    assert sampson(("skin_urticaria", 1), min_systolic=normal, age_years=Decimal(age))[0] == "1"


def test_adult_systolic_drop_must_exceed_30_percent():
    assert sampson(("skin_urticaria", 1), min_systolic=98, baseline_systolic=140)[0] == "1"  # exactly 30 %
    assert sampson(("skin_urticaria", 1), min_systolic=97, baseline_systolic=140) == (
        "4",
        ("Systolic BP 97 mmHg (31 % below baseline 140 mmHg)",),
    )


def test_adult_below_90_is_hypotension_whatever_the_baseline():
    assert sampson(min_systolic=89, baseline_systolic=95)[0] == "4"


def test_child_relative_drop_counts_even_above_the_age_threshold():
    # Age 10: <90 is low, and 90 is not; but 90 from a baseline of 130 is a 31 % drop.
    assert sampson(min_systolic=90, baseline_systolic=130, age_years=Decimal(10))[0] == "4"
    assert sampson(min_systolic=91, baseline_systolic=130, age_years=Decimal(10))[0] == "0"


# --- WAO 2010 -------------------------------------------------------------------------------------------------


def test_wao_no_findings_has_no_grade_and_no_suffix():
    assert wao() == ("none", ("No findings recorded",))


def test_wao_one_organ_system_is_grade_1():
    grade, reasons = wao(("skin_urticaria", 2), ("skin_pruritus", 3))
    assert grade == "1z"
    assert reasons == ("Urticaria/angioedema: moderate (2)", "Pruritus: severe (3)", "Adrenaline not given")


def test_wao_more_than_one_organ_system_is_grade_2():
    grade, reasons = wao(("skin_urticaria", 1), ("upper_resp_sneezing", 1))
    assert grade == "2z"
    assert "2 organ systems involved: skin, upper respiratory" in reasons
    assert "Sneezing/nasal itch: mild (1)" in reasons


def test_wao_a_measured_tachycardia_is_not_an_organ_system():
    # Anxious tachycardia plus two hives is a one-system reaction (WAO 2010 lists no tachycardia feature).
    assert wao(max_heart_rate=130, baseline_heart_rate=100)[0] == "none"
    assert wao(("skin_urticaria", 1), max_heart_rate=130, baseline_heart_rate=100)[0] == "1z"
    # Dizziness or weakness the nurse records is still a second system.
    assert wao(("skin_urticaria", 1), ("cardio_neuro", 1))[0] == "2z"


def test_wao_abdominal_cramps_are_grade_2_and_a_single_nausea_complaint_grade_1():
    assert wao(("gi_subjective", 1))[0] == "1z"
    assert wao(("gi_subjective", 2))[0] == "2z"


def test_wao_tongue_or_uvula_swelling_is_grade_3():
    assert wao(("tongue_swelling", 1))[0] == "3z"


def test_wao_conjunctival_signs_are_their_own_organ_system():
    assert wao(("eyes_conjunctival", 1))[0] == "1z"
    assert wao(("eyes_conjunctival", 1), ("skin_urticaria", 1))[0] == "2z"


def test_wao_contact_redness_alone_is_no_systemic_reaction():
    assert wao(("skin_contact", 3))[0] == "none"


def test_sampson_diarrhoea_is_grade_4_and_dizziness_is_neurological_4():
    assert suggest_sampson(_input(("gi_diarrhoea", 1))).grade == "4"
    assert suggest_sampson(_input(("gi_vomiting", 3))).grade == "3"
    assert suggest_sampson(_input(("cardio_neuro", 1))).grade == "4"


def test_brown_confusion_is_severe():
    assert suggest_brown(_input(("mental_state", 1))).grade == "severe"


def test_wao_headache_counts_as_other_system():
    assert wao(("mcas_headache", 1))[0] == "1z"
    assert wao(("mcas_headache", 1), ("mcas_flushing", 2))[0] == "2z"


@pytest.mark.parametrize(
    ("findings", "vitals", "grade", "reason"),
    [
        ([("gi_vomiting", 1)], {}, "2z", "Vomiting/diarrhoea: mild (1)"),
        ([("lower_resp_wheeze", 1)], {}, "2z", "Wheeze: mild (1)"),
        ([("lower_resp_laryngeal", 1)], {}, "1z", "Laryngeal symptoms: mild (1)"),
        ([("lower_resp_laryngeal", 2)], {}, "3z", "Laryngeal symptoms: moderate (2)"),
        ([("lower_resp_laryngeal", 3)], {}, "3z", "Laryngeal symptoms: severe (3)"),
        ([("cardio_neuro", 2)], {}, "4z", "Cardiovascular/neurological: moderate (2)"),
        ([("cardio_neuro", 3)], {}, "4z", "Cardiovascular/neurological: severe (3)"),
        ([], {"min_systolic": 60, "age_years": Decimal(2)}, "4z", "Systolic BP 60 mmHg (below 74 mmHg for age 2 y)"),
        ([], {"min_spo2": 90}, "3z", "SpO2 90 %"),
        ([], {"loss_of_consciousness": True}, "4z", "Loss of consciousness"),
    ],
)
def test_wao_grade_from_single_feature(findings, vitals, grade, reason):
    result_grade, reasons = wao(*findings, **vitals)
    assert result_grade == grade
    assert reasons[0] == reason


@pytest.mark.parametrize(
    ("pef", "responded", "grade"),
    [
        ("25", True, "2z"),
        ("39.9", True, "2z"),
        ("40", True, "3z"),  # one grade-3 marker: cautious reading
        ("30", False, "3z"),  # one grade-3 marker: cautious reading
        ("45", False, "3z"),
        (None, None, "2z"),
        (None, False, "3z"),
    ],
)
def test_wao_asthma_graded_by_pef_drop_and_bronchodilator_response(pef, responded, grade):
    pef_drop = Decimal(pef) if pef else None
    assert wao(("lower_resp_wheeze", 2), pef_drop_pct=pef_drop, bronchodilator_response=responded)[0] == grade


def test_wao_grade_3_asthma_names_pef_and_response():
    grade, reasons = wao(("lower_resp_wheeze", 3), pef_drop_pct=Decimal(45), bronchodilator_response=False)
    assert grade == "3z"
    assert reasons == ("Wheeze: severe (3)", "PEF drop 45 %", "No response to bronchodilator", "Adrenaline not given")


def test_wao_pef_drop_alone_counts_only_above_20_percent():
    assert wao(pef_drop_pct=Decimal(20))[0] == "none"
    assert wao(pef_drop_pct=Decimal(21), bronchodilator_response=True) == (
        "2z",
        ("PEF drop 21 %", "Responded to bronchodilator", "Adrenaline not given"),
    )


@pytest.mark.parametrize(
    ("delay", "letter"),
    [
        (timedelta(0), "a"),
        (timedelta(minutes=5), "a"),
        (timedelta(minutes=5, seconds=1), "b"),
        (timedelta(minutes=10), "b"),
        (timedelta(minutes=10, seconds=1), "c"),
        (timedelta(minutes=20), "c"),
        (timedelta(minutes=20, seconds=1), "d"),
        (timedelta(minutes=21), "d"),
        (timedelta(hours=2), "d"),
    ],
)
def test_wao_adrenaline_suffix_boundaries(delay, letter):
    grade, reasons = wao(("gi_vomiting", 2), first_symptom_at=FIRST_SYMPTOM, adrenaline_at=FIRST_SYMPTOM + delay)
    assert grade == f"2{letter}"
    assert reasons[-1].startswith("Adrenaline ")


def test_wao_suffix_reason_gives_the_delay():
    assert wao_adrenaline_suffix(FIRST_SYMPTOM, FIRST_SYMPTOM + timedelta(minutes=5, seconds=1)) == (
        "b",
        "Adrenaline 5 min 1 s after the first symptom",
    )
    assert wao_adrenaline_suffix(FIRST_SYMPTOM, None) == ("z", "Adrenaline not given")


def test_wao_suffix_uses_absolute_time_across_dst():
    # Clocks go forward at 01:00 GMT on 29 Mar 2026: 00:58 GMT to 02:03 BST is 5 minutes, not 65.
    first = datetime(2026, 3, 29, 0, 58, tzinfo=LONDON)
    given = datetime(2026, 3, 29, 2, 3, tzinfo=LONDON)
    assert wao_adrenaline_suffix(first, given)[0] == "a"


def test_wao_suffix_works_across_time_zones():
    first = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)
    given = datetime(2026, 3, 2, 5, 12, tzinfo=ZoneInfo("America/New_York"))  # 10:12 in London
    assert wao_adrenaline_suffix(first, given)[0] == "c"


def test_wao_adrenaline_without_first_symptom_time_is_an_error():
    with pytest.raises(GradingError) as excinfo:
        wao(("gi_vomiting", 1), adrenaline_at=FIRST_SYMPTOM)
    assert excinfo.value.code == "first_symptom_missing"


def test_wao_adrenaline_before_first_symptom_is_an_error():
    with pytest.raises(GradingError) as excinfo:
        wao(("gi_vomiting", 1), first_symptom_at=FIRST_SYMPTOM, adrenaline_at=FIRST_SYMPTOM - timedelta(seconds=1))
    assert excinfo.value.code == "adrenaline_before_symptom"


def test_wao_realistic_reaction_with_prompt_adrenaline():
    grade, reasons = wao(
        ("skin_urticaria", 3),
        ("lower_resp_laryngeal", 3),
        ("gi_vomiting", 1),
        first_symptom_at=FIRST_SYMPTOM,
        adrenaline_at=FIRST_SYMPTOM + timedelta(minutes=8),
    )
    assert grade == "3b"
    assert reasons == ("Laryngeal symptoms: severe (3)", "Adrenaline 8 min after the first symptom")


# --- Brown 2004 -----------------------------------------------------------------------------------------------


def test_brown_no_findings_is_none():
    assert brown() == ("none", ("No findings recorded",))
    assert brown(("mcas_headache", 2))[0] == "none"


def test_brown_skin_only_is_mild_even_when_generalised():
    grade, reasons = brown(("skin_urticaria", 3), ("skin_erythema", 3), ("skin_pruritus", 2), ("oral_symptoms", 1))
    assert grade == "mild"
    assert "Urticaria/angioedema: severe (3)" in reasons
    assert len(reasons) == 4


@pytest.mark.parametrize(
    ("findings", "vitals", "reason"),
    [
        ([("gi_vomiting", 1)], {}, "Vomiting/diarrhoea: mild (1)"),
        ([("gi_subjective", 2)], {}, "Nausea/abdominal pain: moderate (2)"),
        ([("lower_resp_wheeze", 1)], {}, "Wheeze: mild (1)"),
        ([("lower_resp_laryngeal", 3)], {}, "Laryngeal symptoms: severe (3)"),
        ([("cardio_neuro", 1)], {}, "Cardiovascular/neurological: mild (1)"),
        ([], {"max_heart_rate": 120, "baseline_heart_rate": 90}, "Heart rate 120/min (up 30/min from 90/min)"),
        ([], {"pef_drop_pct": Decimal("22.5")}, "PEF drop 22.5 %"),
    ],
)
def test_brown_moderate(findings, vitals, reason):
    assert brown(("skin_urticaria", 3), *findings, **vitals) == ("moderate", (reason,))


@pytest.mark.parametrize(
    ("findings", "vitals", "reason"),
    [
        ([("cardio_neuro", 2)], {}, "Cardiovascular/neurological: moderate (2)"),
        ([("cardio_neuro", 3)], {}, "Cardiovascular/neurological: severe (3)"),
        ([], {"min_spo2": 92}, "SpO2 92 %"),
        ([], {"min_systolic": 95, "baseline_systolic": 140}, "Systolic BP 95 mmHg (32 % below baseline 140 mmHg)"),
        ([], {"loss_of_consciousness": True}, "Loss of consciousness"),
    ],
)
def test_brown_severe(findings, vitals, reason):
    assert brown(("gi_vomiting", 2), *findings, **vitals) == ("severe", (reason,))


def test_brown_spo2_93_is_not_hypoxia():
    assert brown(("gi_vomiting", 2), min_spo2=93)[0] == "moderate"


# --- Dispatcher, labels and input checks ----------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "grade"), [("sampson_2003", "4"), ("wao_2010", "2z"), ("brown_2004", "moderate")])
def test_suggest_dispatches_and_labels(scale, grade):
    result = suggest(scale, _input(("lower_resp_wheeze", 1)))
    assert (result.scale, result.grade) == (scale, grade)
    assert result.scale_label == SCALES[scale]


def test_scale_labels_cite_the_papers():
    assert SCALES["sampson_2003"] == "Sampson 2003 (Pediatrics 2003;111:1601-8)"
    assert "2010;125:569-74" in SCALES["wao_2010"]
    assert "2004;114:371-6" in SCALES["brown_2004"]


def test_suggest_unknown_scale():
    with pytest.raises(GradingError) as excinfo:
        suggest("cofar_v3", _input())
    assert excinfo.value.code == "unknown_scale"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"findings": [("skin_hives", 1)]}, "unknown_item"),
        ({"findings": [("skin_urticaria", 4)]}, "bad_severity"),
        ({"findings": [("skin_urticaria", -1)]}, "bad_severity"),
        ({"findings": [("skin_urticaria", True)]}, "bad_severity"),
        ({"findings": [("skin_urticaria", "2")]}, "bad_severity"),
        ({"findings": [], "min_spo2": 101}, "bad_vital"),
        ({"findings": [], "max_heart_rate": 0}, "bad_vital"),
        ({"findings": [], "age_years": Decimal(-1)}, "bad_age"),
        ({"findings": [], "first_symptom_at": datetime(2026, 3, 2, 10, 0)}, "naive_datetime"),  # noqa: DTZ001
    ],
)
def test_grade_input_rejects_bad_data(kwargs, code):
    with pytest.raises(GradingError) as excinfo:
        GradeInput(**kwargs)
    assert excinfo.value.code == code


def test_grade_input_freezes_findings():
    findings = [("skin_urticaria", 1)]
    data = GradeInput(findings=findings)
    findings.append(("lower_resp_wheeze", 3))
    assert suggest_sampson(data).grade == "1"

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from clinical.checklist import PROTOCOL_KINDS
from clinical.stop_observations import Finding, Vitals
from clinical.stop_rules import (
    ADVISORY,
    DEFAULT_RULES,
    HOLD,
    OBSERVE,
    STOP,
    RuleHit,
    StopRuleError,
    StopRules,
    default_rules,
    worst_tier,
)
from clinical.stopping import evaluate

# Local wall-clock time; 10:42 here is 09:42 UTC, so messages prove they use the time as given.
TZ = ZoneInfo("Europe/Amsterdam")
ADULT = Decimal(30)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=TZ)


def seen(code: str, severity: int, after_dose: int | None, when: datetime | None = None) -> Finding:
    return Finding(item_code=code, severity=severity, observed_at=when or at(10), after_dose=after_dose)


def check(
    findings=(),
    vitals=(),
    *,
    baseline=None,
    age=ADULT,
    rules=DEFAULT_RULES,
    dose_times=None,
) -> list[RuleHit]:
    return evaluate(rules, findings=findings, vitals=vitals, baseline=baseline, age_years=age, dose_times=dose_times)


def codes(hits: list[RuleHit]) -> list[str]:
    return [hit.code for hit in hits]


def only(hits: list[RuleHit], code: str) -> RuleHit:
    matching = [hit for hit in hits if hit.code == code]
    assert len(matching) == 1, codes(hits)
    return matching[0]


# --- Age hypotension (the table itself is tested in test_vitals.py) ------------------------------------------


@pytest.mark.parametrize(
    ("age", "limit"),
    [
        ("0.5", 70),  # docs/clinical-sources.md §7 vector
        ("0.99", 70),
        ("1", 72),
        ("1.5", 72),  # a Decimal age counts in completed years
        ("5.9", 80),
        ("10.9", 90),
        ("45", 90),  # adult
    ],
)
def test_a_decimal_age_uses_the_limit_for_its_completed_years(age, limit):
    assert check(vitals=[Vitals(at(10), systolic=limit)], age=Decimal(age)) == []
    hit = only(check(vitals=[Vitals(at(10), systolic=limit - 1)], age=Decimal(age)), "hypotension")
    assert f"(limit: below {limit} mmHg at age {age} years)" in hit.message


@pytest.mark.parametrize("age", [Decimal(-1), Decimal("NaN"), 5.0, "5", True])
def test_evaluate_refuses_a_bad_age(age):
    with pytest.raises(StopRuleError) as caught:
        check(vitals=[Vitals(at(10), systolic=120)], age=age)
    assert caught.value.code == "bad_age"


@pytest.mark.parametrize(
    ("age", "breach", "no_breach"),
    [("0.5", 69, 70), ("1", 71, 72), ("5", 79, 80), ("10", 89, 90), ("11", 89, 90), ("40", 89, 90)],
)
def test_age_hypotension_applies_below_the_limit_without_a_baseline(age, breach, no_breach):
    assert check(vitals=[Vitals(at(10), systolic=no_breach)], age=Decimal(age)) == []
    hit = only(check(vitals=[Vitals(at(10), systolic=breach)], age=Decimal(age)), "hypotension")
    assert f"systolic BP {breach} mmHg" in hit.message
    assert f"below {no_breach} mmHg at age {age} years" in hit.message


def test_age_hypotension_can_be_switched_off():
    rules = StopRules(use_age_hypotension=False)
    assert check(vitals=[Vitals(at(10), systolic=60)], rules=rules) == []


# --- Systolic BP relative to baseline ----------------------------------------------------------------------


def test_sbp_drop_of_exactly_20_mmhg_is_not_a_breach():
    assert check(vitals=[Vitals(at(10), systolic=100)], baseline=Vitals(at(9), systolic=120)) == []


def test_sbp_drop_of_21_mmhg_is_a_breach_with_units_in_the_message():
    hits = check(vitals=[Vitals(at(10), systolic=99)], baseline=Vitals(at(9), systolic=120))
    assert codes(hits) == ["sbp_drop"]
    assert hits[0].message == "Systolic BP 99 mmHg is 21 mmHg below baseline 120 mmHg (limit: drop > 20 mmHg)"


def test_sbp_drop_message_names_the_worst_reading_and_lists_all():
    readings = [Vitals(at(10), systolic=99), Vitals(at(10, 15), systolic=88), Vitals(at(10, 30), systolic=110)]
    hit = only(check(vitals=readings, baseline=Vitals(at(9), systolic=120)), "sbp_drop")
    assert hit.message == "Systolic BP 88 mmHg is 32 mmHg below baseline 120 mmHg (limit: drop > 20 mmHg)"
    assert hit.evidence == ("10:00 systolic BP 99 mmHg", "10:15 systolic BP 88 mmHg")


def test_adult_baseline_120_reading_84_is_exactly_30_percent_and_not_hypotension():
    # Isolate the NIAID relative rule: age limit off, mmHg rule wide.
    rules = StopRules(use_age_hypotension=False, sbp_drop_mmhg=50)
    assert check(vitals=[Vitals(at(10), systolic=84)], baseline=Vitals(at(9), systolic=120), rules=rules) == []


def test_adult_baseline_120_reading_83_is_more_than_30_percent_drop():
    rules = StopRules(use_age_hypotension=False, sbp_drop_mmhg=50)
    hits = check(vitals=[Vitals(at(10), systolic=83)], baseline=Vitals(at(9), systolic=120), rules=rules)
    assert codes(hits) == ["hypotension"]
    assert hits[0].message == (
        "Hypotension: systolic BP 83 mmHg is 30.8 % below baseline 120 mmHg (limit: drop > 30 %)"
    )


def test_one_reading_can_meet_several_bp_rules():
    hits = check(vitals=[Vitals(at(10), systolic=80)], baseline=Vitals(at(9), systolic=120))
    assert codes(hits) == ["sbp_drop", "hypotension", "hypotension"]
    assert "limit: below 90 mmHg" in hits[1].message
    assert "limit: drop > 30 %" in hits[2].message


# --- Heart rate, PEF, SpO2 ---------------------------------------------------------------------------------


def test_heart_rate_rise_of_exactly_20_percent_is_not_a_breach():
    assert check(vitals=[Vitals(at(10), heart_rate=120)], baseline=Vitals(at(9), heart_rate=100)) == []


def test_heart_rate_rise_above_20_percent_is_a_breach():
    hits = check(vitals=[Vitals(at(10), heart_rate=121)], baseline=Vitals(at(9), heart_rate=100))
    assert codes(hits) == ["hr_rise"]
    assert hits[0].message == (
        "Heart rate 121/min is 21 % above baseline 100/min (limit: rise > 20 %); advisory on its own: look for "
        "another sign"
    )
    assert hits[0].evidence == ("10:00 heart rate 121/min",)


def test_pef_drop_of_exactly_20_percent_is_not_a_breach():
    assert check(vitals=[Vitals(at(10), pef=240)], baseline=Vitals(at(9), pef=300)) == []


def test_pef_drop_above_20_percent_is_a_breach():
    hits = check(vitals=[Vitals(at(10), pef=239)], baseline=Vitals(at(9), pef=300))
    assert codes(hits) == ["pef_drop"]
    assert hits[0].message == "PEF 239 L/min is 20.3 % below baseline 300 L/min (limit: drop > 20 %)"


def test_a_breach_just_over_the_limit_never_reads_as_the_limit():
    hit = only(check(vitals=[Vitals(at(10), pef=399)], baseline=Vitals(at(9), pef=499)), "pef_drop")
    assert "is 20.05 % below" in hit.message


def test_spo2_92_is_not_low_and_91_is():
    assert check(vitals=[Vitals(at(10), spo2=92)]) == []
    hits = check(vitals=[Vitals(at(10), spo2=91)])
    assert codes(hits) == ["spo2_low"]
    assert hits[0].message == "SpO2 91 % (limit: below 92 %)"


def test_without_baseline_relative_rules_are_skipped_but_absolute_ones_apply():
    reading = Vitals(at(10), heart_rate=190, systolic=85, spo2=90, pef=50)
    assert codes(check(vitals=[reading], baseline=None)) == ["hypotension", "spo2_low"]


def test_baseline_without_a_value_skips_only_that_rule():
    baseline = Vitals(at(9), heart_rate=100)  # no systolic, no PEF
    hits = check(vitals=[Vitals(at(10), heart_rate=130, systolic=95, pef=50)], baseline=baseline)
    assert codes(hits) == ["hr_rise"]


def test_zero_baseline_is_refused():
    with pytest.raises(StopRuleError) as caught:
        check(vitals=[Vitals(at(10), heart_rate=90)], baseline=Vitals(at(9), heart_rate=0))
    assert caught.value.code == "bad_baseline"


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


# --- Input checks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finding", "code"),
    [
        (seen("skin_hives", 1, 1), "unknown_item"),
        (seen("skin_urticaria", 4, 1), "bad_severity"),
        (seen("skin_urticaria", -1, 1), "bad_severity"),
        (seen("skin_urticaria", True, 1), "bad_severity"),
        (seen("skin_urticaria", 1, 0), "bad_dose_number"),
    ],
)
def test_bad_findings_are_refused_with_a_code(finding, code):
    with pytest.raises(StopRuleError) as caught:
        check([finding])
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


# --- Settings as stored JSON -------------------------------------------------------------------------------


def test_defaults_are_the_published_values():
    # Utrecht, EuroPrevall, NIAID/FAAN, soy DBPCFC, Japanese grading (docs/clinical-sources.md §3.2, 7).
    assert DEFAULT_RULES.to_dict() == {
        "objective_min_severity": 1,
        "subjective_consecutive_doses": 3,
        "subjective_min_severity": 1,
        "subjective_hold_severity": 2,
        "subjective_hold_minutes": 45,
        "sbp_drop_mmhg": 20,
        "sbp_drop_pct": 30,
        "use_age_hypotension": True,
        "hr_rise_pct": 20,
        "pef_drop_pct": 20,
        "fev1_drop_pct": 12,
        "spo2_below": 92,
        "fpies_rule": False,
    }


def test_to_dict_and_from_dict_round_trip():
    rules = StopRules(objective_min_severity=2, spo2_below=94, fpies_rule=True)
    assert StopRules.from_dict(rules.to_dict()) == rules


def test_from_dict_fills_missing_settings_with_defaults():
    assert StopRules.from_dict({}) == DEFAULT_RULES
    assert StopRules.from_dict({"hr_rise_pct": 25}).hr_rise_pct == 25


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"spo2_belwo": 92}, "unknown_field"),
        ({1: 92, "spo2_below": 92}, "unknown_field"),
        ({"sbp_drop_mmhg": "20"}, "bad_type"),
        ({"sbp_drop_mmhg": 20.5}, "bad_type"),
        ({"sbp_drop_mmhg": True}, "bad_type"),
        ({"sbp_drop_mmhg": None}, "bad_type"),
        ({"fpies_rule": 1}, "bad_type"),
        ({"fpies_rule": "yes"}, "bad_type"),
        ({"objective_min_severity": 0}, "out_of_range"),
        ({"subjective_min_severity": 4}, "out_of_range"),
        ({"subjective_consecutive_doses": 0}, "out_of_range"),
        ({"sbp_drop_pct": 100}, "out_of_range"),
        ({"spo2_below": 101}, "out_of_range"),
        ({"hr_rise_pct": -20}, "out_of_range"),
        ([("spo2_below", 92)], "bad_type"),
    ],
)
def test_from_dict_refuses_bad_settings_with_a_code(data, code):
    with pytest.raises(StopRuleError) as caught:
        StopRules.from_dict(data)
    assert caught.value.code == code


def test_range_error_names_the_setting_and_its_range():
    with pytest.raises(StopRuleError, match=r"sbp_drop_mmhg must be from 1 to 100 mmHg, not 250"):
        StopRules.from_dict({"sbp_drop_mmhg": 250})


@pytest.mark.parametrize("kind", PROTOCOL_KINDS)
def test_every_kind_has_default_rules_and_only_fpies_uses_the_fpies_rule(kind):
    rules = default_rules(kind)
    assert rules.fpies_rule is (kind == "fpies")
    assert rules.sbp_drop_mmhg == 20


def test_unknown_kind_has_no_default_rules():
    with pytest.raises(StopRuleError) as caught:
        default_rules("oit")
    assert caught.value.code == "unknown_kind"


# --- Three tiers: continue, hold, stop (PRACTALL 2024; Niggemann & Beyer 2010; EuroPrevall) ---------------------


def test_a_grade_1_subjective_symptom_alone_raises_nothing():
    assert check([seen("gi_subjective", 1, 3)]) == []


def test_a_grade_2_subjective_symptom_raises_a_hold():
    hit = only(check([seen("gi_subjective", 2, 3, at(10, 5))]), "subjective_severe")
    assert hit.tier == HOLD
    assert hit.blocks
    assert hit.message == (
        "Hold: Nausea/abdominal pain, moderate (2) at 10:05 after dose 3 "
        "(limit: a subjective symptom moderate (2) or worse)"
    )
    assert hit.evidence_at == (at(10, 5),)


def test_a_subjective_symptom_no_worse_than_its_baseline_raises_no_hold():
    findings = [seen("mcas_brain_fog", 2, None, at(9)), seen("mcas_brain_fog", 2, 1, at(10))]
    assert check(findings) == []


def test_a_subjective_symptom_lasting_45_min_raises_no_hold():
    findings = [seen("oral_symptoms", 1, 2, at(10)), seen("oral_symptoms", 1, 2, at(10, 45))]
    assert check(findings) == []


def test_a_subjective_symptom_lasting_46_min_raises_a_hold():
    findings = [seen("oral_symptoms", 1, 2, at(10)), seen("oral_symptoms", 1, 2, at(10, 46))]
    hit = only(check(findings), "subjective_persistent")
    assert hit.tier == HOLD
    assert hit.message == (
        "Hold: Oral itch/tingling persists 46 min, from 10:00 to 10:46 "
        "(limit: a subjective symptom lasting more than 45 min)"
    )
    assert hit.evidence_at == (at(10), at(10, 46))


def test_a_symptom_recorded_absent_in_between_ends_the_episode():
    findings = [
        seen("oral_symptoms", 1, 2, at(10)),
        seen("oral_symptoms", 0, 2, at(10, 20)),
        seen("oral_symptoms", 1, 2, at(10, 50)),
    ]
    assert check(findings) == []


def test_the_hold_limits_are_settings():
    rules = StopRules(subjective_hold_severity=3, subjective_hold_minutes=60)
    assert check([seen("gi_subjective", 2, 3)], rules=rules) == []
    assert codes(check([seen("gi_subjective", 3, 3)], rules=rules)) == ["subjective_severe"]


def test_contact_redness_is_observe_not_stop():
    hit = only(check([seen("skin_contact", 2, 1, at(10, 3))]), "contact_redness")
    assert hit.tier == OBSERVE
    assert not hit.blocks
    assert hit.message.startswith("Observe: Redness round the mouth or where the food touched (contact only)")


def test_spreading_erythema_is_still_a_stop():
    hit = only(check([seen("skin_erythema", 1, 1)]), "objective_sign")
    assert hit.tier == STOP
    assert hit.blocks


def test_a_heart_rate_rise_alone_is_advisory():
    hit = only(check(vitals=[Vitals(at(10), heart_rate=121)], baseline=Vitals(at(9), heart_rate=100)), "hr_rise")
    assert hit.tier == ADVISORY
    assert not hit.blocks


def test_worst_tier_orders_stop_hold_observe_advisory():
    assert worst_tier([ADVISORY, HOLD, OBSERVE]) == HOLD
    assert worst_tier([HOLD, STOP]) == STOP
    assert worst_tier(["unknown"]) == STOP  # safe default
    assert worst_tier([]) is None


# --- FEV1 (EuroPrevall: drop > 12 %) -----------------------------------------------------------------------------


def test_fev1_drop_of_exactly_12_percent_is_not_a_breach():
    assert check(vitals=[Vitals(at(10), fev1_ml=2200)], baseline=Vitals(at(9), fev1_ml=2500)) == []


def test_fev1_drop_above_12_percent_stops():
    hit = only(check(vitals=[Vitals(at(10), fev1_ml=2199)], baseline=Vitals(at(9), fev1_ml=2500)), "fev1_drop")
    assert hit.tier == STOP
    assert hit.message == "FEV1 2199 mL is 12.04 % below baseline 2500 mL (limit: drop > 12 %)"


def test_fev1_without_a_baseline_is_not_judged():
    assert check(vitals=[Vitals(at(10), fev1_ml=1000)]) == []


@pytest.mark.parametrize(("grade", "tier"), [(2, HOLD), (3, STOP)])
def test_fpies_signs_hold_below_their_worst_grade_and_stop_at_it(grade, tier):  # S6
    hits = check([seen("mental_state", grade, 3, at(11))], rules=FPIES, age=Decimal(2), dose_times=PORTIONS)
    assert {hit.tier for hit in hits} == {tier}

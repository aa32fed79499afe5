"""The three tiers of a stop-rule hit: continue, hold, stop, with observe and advisory (PRACTALL 2024;
Niggemann & Beyer 2010; EuroPrevall)."""

from clinical.stop_observations import Vitals
from clinical.stop_rules import ADVISORY, HOLD, OBSERVE, STOP, StopRules, worst_tier
from tests.challenges.stopping_helpers import at, check, codes, only, seen

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

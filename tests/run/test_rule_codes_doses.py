"""Rule codes of the doses, and of the findings, vital signs and stop rules during dosing (see test_rule_codes.py)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from challenges.home import services as home
from challenges.run import services as runs
from tests.helpers import second_checker
from tests.run.helpers import db_state
from tests.run.rule_code_helpers import _alert, _check_in, _dose, _doses, _schedule, _urticaria, assert_refused


def test_a_dose_needs_a_checked_in_challenge(challenge, nurse, clock):
    assert_refused("not_dosing", lambda: _dose(challenge, nurse, clock))


def test_a_dose_needs_passed_checks(challenge, nurse, clock):
    _check_in(challenge, nurse, clock, emergency_ready=False)
    assert_refused("checks", lambda: _dose(challenge, nurse, clock))


def test_a_dose_waits_for_the_allergist_after_a_stop_rule(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    _urticaria(challenge, nurse, clock)
    assert_refused("stop_alert_open", lambda: _dose(challenge, nurse, clock))


def test_a_dose_waits_for_a_clinician_while_a_hold_is_undecided(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 3)
    runs.observation_record(challenge=challenge, by=nurse, item_code="gi_subjective", severity=2, observed_at=clock.now)
    error = assert_refused("hold_open", lambda: _dose(challenge, nurse, clock))
    assert "Nausea/abdominal pain, moderate (2)" in error.message


def test_one_tap_adrenaline_needs_the_patients_weight(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    challenge.patient.weight_kg = None
    challenge.patient.save()
    assert_refused(
        "no_weight", lambda: runs.adrenaline_record(challenge=challenge, by=nurse, idempotency_key=uuid.uuid4())
    )


def test_a_dose_before_its_time_is_refused(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _dose(challenge, nurse, clock)
    clock.move(minutes=10)
    assert_refused("too_early", lambda: _dose(challenge, nurse, clock))


def test_a_dose_of_nothing_is_refused(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    assert_refused("amount_not_positive", lambda: _dose(challenge, nurse, clock, mix_volume_ml=Decimal(0)))
    _doses(challenge, nurse, clock, 4)  # step 5, 300 mg (0.57 g of peanut flour), is weighed
    assert_refused("amount_not_positive", lambda: _dose(challenge, nurse, clock, food_amount=Decimal(0)))


def test_more_than_the_planned_amount_is_refused(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    # Step 1 is 1.1 mL of a mix: 5 % over is a measuring tolerance, 2 mL is more than planned.
    assert_refused("more_than_planned", lambda: _dose(challenge, nurse, clock, mix_volume_ml=Decimal(2)))
    _doses(challenge, nurse, clock, 4)
    # Step 5 is 300 mg, 0.575 g of peanut flour (522 mg/g): 1 g is more than 5 % over.
    assert_refused("more_than_planned", lambda: _dose(challenge, nurse, clock, food_amount=Decimal(1)))


def test_a_diluted_dose_is_recorded_as_a_volume_and_a_weighed_one_as_food(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    assert_refused("volume_required", lambda: _dose(challenge, nurse, clock, food_amount=Decimal("0.01")))
    _doses(challenge, nurse, clock, 4)  # steps 1-4 are mixes of peanut flour; step 5 is weighed
    assert_refused("not_a_dilution", lambda: _dose(challenge, nurse, clock, mix_volume_ml=Decimal(1)))


def test_a_diluted_dose_in_clinic_needs_a_second_person_of_the_clinic(
    challenge, nurse, allergist, other_clinic_nurse, clock
):
    _check_in(challenge, nurse, clock)
    assert_refused("check_required", lambda: _dose(challenge, nurse, clock, checked_by=None))
    assert_refused("checker_is_preparer", lambda: _dose(challenge, nurse, clock, checked_by=nurse))
    assert_refused(
        "checker_is_preparer", lambda: _dose(challenge, nurse, clock, prepared_by=allergist, checked_by=allergist)
    )
    assert_refused("not_clinic_staff", lambda: _dose(challenge, nurse, clock, checked_by=other_clinic_nurse))


def _lot(challenge, by, **changes):
    data = {"brand": "Pic's", "lot": "L2291", "expires_on": date(2027, 3, 1), "label_protein_g_per_100": None}
    return lambda: runs.food_lot_record(challenge=challenge, by=by, **{**data, **changes})


def test_the_food_used_is_recorded_before_the_first_dose_from_an_in_date_pack(
    challenge, nurse, patient_user, other_clinic_nurse, clock
):
    assert_refused("lot_expired", _lot(challenge, nurse, expires_on=date(2026, 11, 25)))  # the day before
    assert_refused("staff_only", _lot(challenge, other_clinic_nurse))
    assert_refused("staff_only", _lot(challenge, patient_user))
    _check_in(challenge, nurse, clock)
    _dose(challenge, nurse, clock)
    assert_refused("food_after_first_dose", _lot(challenge, nurse))


def test_no_food_is_recorded_for_a_cancelled_challenge(challenge, nurse, clock):
    runs.challenge_cancel(challenge=challenge, by=nurse, reason="Unwell")
    assert_refused("cancelled", _lot(challenge, nurse))


def test_a_dose_time_in_the_future_is_refused(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    assert_refused(
        "future_time",
        lambda: runs.dose_record(
            challenge=challenge,
            by=nurse,
            food_amount=None,
            given_at=clock.now + timedelta(hours=1),
            idempotency_key=uuid.uuid4(),
            checked_by=second_checker(challenge, nurse),
        ),
    )


def test_a_dose_form_used_for_another_challenge_is_refused(challenge, practall, other_patient, allergist, nurse, clock):
    other = _schedule(other_patient, practall, allergist, nurse, nurse)
    for each in (challenge, other):
        _check_in(each, nurse, clock)
    key = uuid.uuid4()
    assert _dose(challenge, nurse, clock, idempotency_key=key).created
    assert_refused("key_reused", lambda: _dose(other, nurse, clock, idempotency_key=key))


def test_the_same_dose_form_again_adds_nothing_and_says_so(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    key = uuid.uuid4()
    first = _dose(challenge, nurse, clock, idempotency_key=key)
    before = db_state()
    again = _dose(challenge, nurse, clock, idempotency_key=key)
    assert first.created
    assert not again.created
    assert again.dose == first.dose
    assert db_state() == before


def test_no_dose_after_the_plan_was_cut_short(plan, patient_user, allergist, clock):  # noqa: F811
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    home.plan_change(challenge=plan, by=allergist, steps=[], reason="Stop after the first step; reassess in clinic")
    clock.move(days=4)
    assert_refused("no_more_steps", lambda: _dose(plan, allergist, clock))


def test_a_home_step_waits_for_its_release(plan, patient_user, clock):  # noqa: F811
    plan.clinic.home_steps_need_release = True
    plan.clinic.save()
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    clock.move(hours=73)
    assert_refused(
        "not_released",
        lambda: home.patient_dose(
            challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4()
        ),
    )


# --- findings, vitals and the stop rules --------------------------------------------------------------------


def test_a_finding_in_clinic_waits_for_check_in(challenge, nurse, clock):
    error = assert_refused("not_started", lambda: _urticaria(challenge, nurse, clock))
    assert "Check the patient in" in error.message


def test_a_symptom_at_home_waits_for_the_first_step(plan, patient_user, clock):  # noqa: F811
    error = assert_refused(
        "not_started",
        lambda: home.patient_symptom(
            challenge=plan, by=patient_user, item_code="mcas_itch", severity=1, observed_at=clock.now
        ),
    )
    assert "after you have taken the first step" in error.message


def test_a_finding_off_the_checklist_is_refused(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    assert_refused(
        "unknown_item",
        lambda: runs.observation_record(
            challenge=challenge, by=nurse, item_code="not_an_item", severity=1, observed_at=clock.now
        ),
    )


def test_a_finding_before_the_challenge_is_refused(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    assert_refused(
        "time_before_start",
        lambda: runs.observation_record(
            challenge=challenge,
            by=nurse,
            item_code="skin_urticaria",
            severity=1,
            observed_at=clock.now - timedelta(days=2),
        ),
    )


def test_vitals_need_a_value(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    assert_refused(
        "no_values",
        lambda: runs.vitals_record(
            challenge=challenge, by=nurse, values={"taken_at": clock.now, "heart_rate": None, "spo2": None}
        ),
    )


def test_only_an_allergist_decides_a_stop_alert(challenge, nurse, clock):
    alert = _alert(challenge, nurse, clock)
    assert_refused("allergist_only", lambda: runs.alert_decide(alert=alert, by=nurse, decision="stop", reason="Hives"))


def test_wait_longer_needs_how_long(challenge, nurse, allergist, clock):
    alert = _alert(challenge, nurse, clock)
    for minutes in (None, 4, 241):
        assert_refused(
            "wait_minutes",
            lambda m=minutes: runs.alert_decide(
                alert=alert, by=allergist, decision="wait", reason="Unsure", wait_minutes=m
            ),
        )


def test_a_decision_must_be_stop_repeat_or_continue(challenge, nurse, allergist, clock):
    alert = _alert(challenge, nurse, clock)
    assert_refused(
        "bad_decision", lambda: runs.alert_decide(alert=alert, by=allergist, decision="maybe", reason="Unsure")
    )


def test_a_decided_alert_is_not_decided_again(challenge, nurse, allergist, clock):
    alert = _alert(challenge, nurse, clock)
    runs.alert_decide(alert=alert, by=allergist, decision="continue", reason="Contact erythema only")
    assert_refused(
        "already_decided", lambda: runs.alert_decide(alert=alert, by=allergist, decision="stop", reason="Changed mind")
    )


def test_a_decision_needs_a_reason(challenge, nurse, allergist, clock):
    alert = _alert(challenge, nurse, clock)
    assert_refused(
        "reason_required", lambda: runs.alert_decide(alert=alert, by=allergist, decision="continue", reason="  ")
    )
    alert.refresh_from_db()
    assert alert.is_open

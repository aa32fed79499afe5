"""Every rule the run and home services enforce, called directly: the refusal's code, and nothing stored.

Each test drives a challenge to the state where one rule applies (through the services, as the pages would), then
asks for the write the rule refuses. The refusal must carry the rule's stable code, and the database must be exactly
as before (every model of the challenges app, its history, and the audit chain). The last test checks that each
code raised in challenges/run/services/ and challenges/home/services.py is asserted here.
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from challenges.home import services as home
from challenges.library.services.protocols import protocol_clone
from challenges.run import services as runs
from challenges.run.models import (
    Challenge,
    FollowUp,
    PreChallengeCheck,
    Status,
)
from challenges.run.services import ChallengeRuleError
from clinical import blinding
from clinical.plan import PlannedStep
from clinics.models import Role
from clinics.services import clinical_record_mark_entered_in_error
from tests.factories import MedicationFactory, UserFactory
from tests.helpers import second_checker
from tests.run.conftest import START
from tests.run.helpers import db_state

ANSWERS = dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True)
BASELINE = {"heart_rate": 80, "systolic": 120, "diastolic": 70}
ROOT = Path(__file__).resolve().parents[2]


def assert_refused(code: str, write: Callable[[], object]) -> ChallengeRuleError:
    """The write is refused with `code`, and the database is unchanged."""
    before = db_state()
    with pytest.raises(ChallengeRuleError) as excinfo:
        write()
    assert excinfo.value.code == code, excinfo.value.message
    assert db_state() == before
    return excinfo.value


def _check_in(challenge: Challenge, by, clock, **answers: bool) -> None:
    runs.checks_record(
        challenge=challenge, by=by, answers={**ANSWERS, **answers}, baseline={**BASELINE, "taken_at": clock.now}
    )


def _dose(challenge: Challenge, by, clock, **extra) -> runs.DoseRecorded:
    extra.setdefault("idempotency_key", uuid.uuid4())
    extra.setdefault("food_amount", None)
    if challenge.setting == "clinic":  # a diluted dose in clinic is checked by a second person
        extra.setdefault("checked_by", second_checker(challenge, by))
    return runs.dose_record(challenge=challenge, by=by, given_at=clock.now, **extra)


def _doses(challenge: Challenge, by, clock, count: int) -> None:
    for _ in range(count):
        _dose(challenge, by, clock)
        clock.move(minutes=30)


def _urticaria(challenge: Challenge, by, clock) -> None:
    runs.observation_record(challenge=challenge, by=by, item_code="skin_urticaria", severity=2, observed_at=clock.now)


def _refused_outcome() -> runs.OutcomeInput:
    return runs.OutcomeInput("dose_not_reached", "Refused further doses", "wao_2010", "", "rechallenge", False)


def _stopped_with_outcome(challenge: Challenge, nurse, allergist, clock) -> Challenge:
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    runs.challenge_stop(challenge=challenge, by=nurse, reason="Child refused further doses")
    runs.outcome_confirm(challenge=challenge, by=allergist, data=_refused_outcome())
    return challenge


def _schedule(patient, protocol, allergist, nurse, by, **extra) -> Challenge:
    return runs.challenge_schedule(
        patient=patient, protocol=protocol, scheduled_at=START, allergist=allergist, nurse=nurse, by=by, **extra
    )


# --- scheduling ---------------------------------------------------------------------------------------------


def _fpies_protocol(**changes):
    from challenges.library.models import Protocol

    protocol = Protocol.objects.get(clinic=None, name="FPIES oral food challenge (egg, dosed per kg)")
    for name, value in changes.items():
        setattr(protocol, name, value)
    return protocol


def test_schedule_refuses_fpies_without_a_weight(library, patient, allergist, nurse, clock):
    patient.weight_kg = None
    patient.save()
    assert_refused("weight_missing", lambda: _schedule(patient, _fpies_protocol(), allergist, nurse, allergist))


def test_schedule_refuses_fpies_doses_above_0_6_g_per_kg(library, patient, allergist, nurse, clock):
    # A fixed-dose FPIES protocol (no per-kg generation) gives 3 × 393.3 mg = 1.18 g of egg protein; for 1.9 kg that
    # is 0.62 g/kg, above the 0.6 g/kg maximum (docs/clinical-sources.md §1.5).
    protocol = protocol_clone(protocol=_fpies_protocol(), clinic=patient.clinic, by=allergist)
    protocol.fpies_protein_g_per_kg = None
    protocol.save()
    patient.weight_kg = Decimal("1.9")
    patient.save()
    assert_refused("dose_per_kg_too_high", lambda: _schedule(patient, protocol, allergist, nurse, allergist))


def test_a_patient_does_not_record_a_first_step_taken_in_clinic(home_protocol, patient, patient_user, allergist, clock):
    plan = _schedule(patient, home_protocol, allergist, None, allergist)
    assert plan.first_step_in_clinic
    assert_refused(
        "first_step_in_clinic",
        lambda: home.patient_dose(
            challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4()
        ),
    )


def test_a_lip_smear_has_no_quantity_to_record(library, patient, allergist, nurse, clock):
    from challenges.library.models import Protocol

    ascia = Protocol.objects.get(clinic=None, name="ASCIA peanut butter household ladder")
    challenge = _schedule(patient, ascia, allergist, nurse, nurse)
    _check_in(challenge, nurse, clock)
    assert_refused("lip_smear_quantity", lambda: _dose(challenge, nurse, clock, food_amount=Decimal("0.5")))


def test_neutrophils_are_recorded_only_for_fpies(challenge, nurse):
    assert_refused(
        "not_fpies",
        lambda: runs.neutrophils_record(challenge=challenge, by=nurse, baseline_per_ul=4000, six_hours_per_ul=None),
    )


# --- continuations (X5; clinical.continuation) --------------------------------------------------------------------


def _home_days_protocol():
    from challenges.library.models import Protocol

    return Protocol.objects.get(clinic=None, name="ASCIA peanut days 2-7 at home (after a negative clinic challenge)")


def test_schedule_refuses_a_continuation_kind_without_the_challenge_it_continues(practall, patient, allergist, clock):
    assert_refused(
        "continuation_kind",
        lambda: _schedule(patient, practall, allergist, None, allergist, continuation_kind="day_2"),
    )


def test_schedule_refuses_to_continue_another_patients_challenge(practall, patient, other_patient, allergist, clock):
    theirs = _schedule(other_patient, practall, allergist, None, allergist)
    assert_refused(
        "continuation_other_patient",
        lambda: _schedule(patient, practall, allergist, None, allergist, continues=theirs, continuation_kind="day_2"),
    )


def test_schedule_refuses_to_continue_a_cancelled_challenge(practall, patient, allergist, clock):
    first = _schedule(patient, practall, allergist, None, allergist)
    runs.challenge_cancel(challenge=first, by=allergist, reason="Patient unwell")
    assert_refused(
        "continuation_of_void",
        lambda: _schedule(patient, practall, allergist, None, allergist, continues=first, continuation_kind="day_2"),
    )


def test_schedule_refuses_home_days_before_the_clinic_challenge_has_passed(practall, patient, allergist, clock):
    first = _schedule(patient, practall, allergist, None, allergist)
    assert_refused(
        "continuation_outcome",
        lambda: _schedule(
            patient, _home_days_protocol(), allergist, None, allergist, continues=first, continuation_kind="home_days"
        ),
    )


def test_schedule_refuses_a_day_2_after_a_failed_day_1(practall, patient, allergist, nurse, clock):
    from challenges.run.services import OutcomeInput
    from tests.interop.conftest import check_in, give_doses

    first = _schedule(patient, practall, allergist, nurse, nurse)
    check_in(first, nurse, clock.now)
    give_doses(first, nurse, clock, 1)
    runs.challenge_stop(challenge=first, by=allergist, reason="Hives after the first dose")
    outcome = OutcomeInput("failed", "Hives after the first dose", "wao_2010", "1", "strict_avoidance", False)
    runs.outcome_confirm(challenge=first, by=allergist, data=outcome)
    assert_refused(
        "continuation_after_failed",
        lambda: _schedule(patient, practall, allergist, None, allergist, continues=first, continuation_kind="day_2"),
    )


def test_schedule_refuses_home_days_on_a_clinic_protocol(practall, patient, allergist, nurse, clock):
    from tests.interop.conftest import run_passed

    first = run_passed(patient, practall, allergist, nurse, clock)
    assert_refused(
        "continuation_not_home",
        lambda: _schedule(
            patient, practall, allergist, None, allergist, continues=first, continuation_kind="home_days"
        ),
    )


def test_schedule_refuses_an_open_feeding_after_an_open_challenge(practall, patient, allergist, nurse, clock):
    from tests.interop.conftest import run_passed

    first = run_passed(patient, practall, allergist, nurse, clock)
    assert_refused(
        "continuation_not_blinded",
        lambda: _schedule(
            patient, practall, allergist, None, allergist, continues=first, continuation_kind="open_after_dbpcfc"
        ),
    )


def test_schedule_refuses_a_patient_of_another_clinic(practall, other_clinic_patient, allergist, nurse, clock):
    assert_refused("bad_patient", lambda: _schedule(other_clinic_patient, practall, allergist, nurse, nurse))


def test_schedule_refuses_another_clinics_protocol(practall, patient, allergist, nurse, other_clinic_nurse, clock):
    theirs = protocol_clone(protocol=practall, clinic=other_clinic_nurse.clinic, by=other_clinic_nurse)
    assert_refused("bad_protocol", lambda: _schedule(patient, theirs, allergist, nurse, nurse))


def test_schedule_refuses_a_protocol_whose_paste_doses_cannot_be_prepared(practall, patient, allergist, nurse, clock):
    """P1: a protocol saved before the dispersal rule (3 mg of peanut butter "diluted" in water) cannot be booked."""
    from challenges.models import Food

    ours = protocol_clone(protocol=practall, clinic=allergist.clinic, by=allergist)
    ours.food = Food.objects.get(clinic=None, name="Peanut butter", form="smooth")
    ours.save()
    refusal = assert_refused("dose_not_preparable", lambda: _schedule(patient, ours, allergist, nurse, nurse))
    assert "Step 1: 3 mg of protein is 0.0135 g of Peanut butter, smooth" in refusal.message
    assert "Peanut flour, defatted" in refusal.message  # the standard peanut powder, proposed from the food list


def test_schedule_refuses_a_nurse_as_supervising_allergist(practall, patient, nurse, clock):
    assert_refused("bad_allergist", lambda: _schedule(patient, practall, nurse, nurse, nurse))


def test_schedule_refuses_a_nurse_of_another_clinic(practall, patient, allergist, nurse, other_clinic_nurse, clock):
    assert_refused("bad_nurse", lambda: _schedule(patient, practall, allergist, other_clinic_nurse, nurse))


def test_schedule_refuses_more_placebo_doses_than_active_steps(dbpcfc, patient, allergist, nurse, clock):
    assert_refused("bad_placebo", lambda: _schedule(patient, dbpcfc, allergist, nurse, nurse, placebo_doses=8))


def test_schedule_refuses_placebo_on_an_open_protocol(practall, patient, allergist, nurse, clock):
    """Review X1: placebo only on blinded kinds (clinical.blinding.check_placebo_count)."""
    assert_refused(
        "placebo_not_blinded_kind", lambda: _schedule(patient, practall, allergist, nurse, nurse, placebo_doses=1)
    )


def test_check_in_refuses_a_cancelled_challenge(challenge, nurse, clock):
    runs.challenge_cancel(challenge=challenge, by=nurse, reason="Unwell today")
    assert_refused("bad_transition", lambda: runs.challenge_check_in(challenge=challenge, by=nurse))


def test_cancel_refuses_a_blank_reason(challenge, nurse, clock):
    assert_refused("reason_required", lambda: runs.challenge_cancel(challenge=challenge, by=nurse, reason=" \n\t "))
    challenge.refresh_from_db()
    assert challenge.status == Status.PLANNED


def test_a_challenge_entered_in_error_takes_no_more_writes(challenge, nurse, allergist, clock):
    clinical_record_mark_entered_in_error(record=challenge, by=allergist, reason="Booked for the wrong patient")
    assert_refused("in_error", lambda: runs.challenge_check_in(challenge=challenge, by=nurse))


# --- the checks before the first dose -----------------------------------------------------------------------


def test_checks_refused_after_the_first_dose(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    assert_refused("too_late", lambda: _check_in(challenge, nurse, clock))


def test_only_an_allergist_overrides_failed_checks(challenge, nurse, clock):
    _check_in(challenge, nurse, clock, no_illness=False)
    assert_refused("allergist_only", lambda: runs.checks_override(challenge=challenge, by=nurse, reason="Mild cold"))


# --- doses --------------------------------------------------------------------------------------------------


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


def _alert(challenge: Challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    _urticaria(challenge, nurse, clock)
    return challenge.alerts.get()


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


# --- the end ------------------------------------------------------------------------------------------------


def test_a_challenge_not_running_cannot_be_stopped(challenge, nurse, clock):
    assert_refused(
        "bad_transition", lambda: runs.challenge_stop(challenge=challenge, by=nurse, reason="Changed our minds")
    )


def test_the_observation_period_runs_its_course(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 7)
    assert_refused("observation_running", lambda: runs.observation_finish(challenge=challenge, by=nurse))


def test_the_outcome_waits_until_dosing_has_ended(challenge, nurse, allergist, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    assert_refused(
        "still_dosing", lambda: runs.outcome_confirm(challenge=challenge, by=allergist, data=_refused_outcome())
    )


def test_a_challenge_still_observing_cannot_be_signed(challenge, nurse, allergist, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 7)
    early = "Parent must leave; phone review at 2 h"
    runs.outcome_confirm(
        challenge=challenge,
        by=allergist,
        data=runs.OutcomeInput("passed", "All doses tolerated", "wao_2010", "none", "eat_regularly", False, "", early),
    )
    assert_refused("not_finished", lambda: runs.challenge_sign(challenge=challenge, by=allergist))


def test_signing_needs_a_confirmed_outcome(challenge, nurse, allergist, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    runs.challenge_stop(challenge=challenge, by=nurse, reason="Child refused further doses")
    assert_refused("no_outcome", lambda: runs.challenge_sign(challenge=challenge, by=allergist))


def test_signing_waits_for_an_open_stop_alert(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)
    clock.move(minutes=20)
    _urticaria(challenge, nurse, clock)  # a late finding after the stop raises a new alert
    assert challenge.alerts.filter(decision="").exists()
    assert_refused("stop_alert_open", lambda: runs.challenge_sign(challenge=challenge, by=allergist))


class _ChangesWhileDrawing:
    """A signed-report maker whose first snapshot differs from the one rebuilt under the lock: as if a nurse saved a
    finding while the PDF was being drawn (tests/reports/test_signing.py makes that write for real)."""

    def __init__(self) -> None:
        from challenges.reports import build_signed_report

        self.real, self.calls = build_signed_report, 0

    def snapshot(self, challenge, *, signed_by, signed_at):
        self.calls += 1
        snapshot = self.real.snapshot(challenge, signed_by=signed_by, signed_at=signed_at)
        return {**snapshot, "drawn_before_a_change": True} if self.calls == 1 else snapshot

    def draw(self, snapshot):
        return b"%PDF-drawn"


def test_signing_refuses_a_record_that_changed_while_its_report_was_drawn(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)
    clock.move(hours=2)
    maker = _ChangesWhileDrawing()
    assert_refused(
        "changed_while_signing", lambda: runs.challenge_sign(challenge=challenge, by=allergist, render=maker)
    )


def test_a_signed_challenge_takes_only_addenda(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)
    clock.move(hours=2)
    runs.challenge_sign(challenge=challenge, by=allergist)
    assert_refused("signed", lambda: _urticaria(challenge, nurse, clock))
    runs.addendum_add(challenge=challenge, by=allergist, text="Phoned next day: well")
    assert challenge.events.filter(kind="addendum").count() == 1


def test_an_open_challenge_cannot_be_unblinded(challenge, allergist, clock):
    assert_refused("not_blinded", lambda: runs.challenge_unblind(challenge=challenge, by=allergist))


def _blinded_stopped(patient, dbpcfc, nurse, allergist, clock) -> Challenge:
    blinded = _schedule(patient, dbpcfc, allergist, nurse, nurse, placebo_doses=1)
    return _stopped_with_outcome(blinded, nurse, allergist, clock)


def test_unblinding_needs_the_blinded_verdict_first(patient, dbpcfc, nurse, allergist, clock):
    """Review X2: the observer's verdict is recorded before the key is opened."""
    blinded = _blinded_stopped(patient, dbpcfc, nurse, allergist, clock)
    assert_refused("verdict_first", lambda: runs.challenge_unblind(challenge=blinded, by=allergist))


def test_a_blinded_verdict_names_a_dose_given(patient, dbpcfc, nurse, allergist, clock):
    blinded = _blinded_stopped(patient, dbpcfc, nurse, allergist, clock)
    assert_refused(
        "bad_verdict",
        lambda: runs.blinded_verdict_record(challenge=blinded, by=allergist, reaction=True, after_dose=5),
    )


def test_a_blinded_verdict_waits_for_the_end_of_dosing(patient, dbpcfc, nurse, allergist, clock):
    blinded = _schedule(patient, dbpcfc, allergist, nurse, nurse, placebo_doses=1)
    _check_in(blinded, nurse, clock)
    _doses(blinded, nurse, clock, 1)
    assert_refused(
        "verdict_before_dosing_ended",
        lambda: runs.blinded_verdict_record(challenge=blinded, by=allergist, reaction=False, after_dose=None),
    )


def test_a_challenge_under_way_is_not_marked_entered_in_error(challenge, nurse, allergist, clock):
    """It would leave the board while the patient is dosed or watched: stop or cancel it first; then it may be."""
    _check_in(challenge, nurse, clock)
    mark = lambda: runs.challenge_mark_entered_in_error(challenge=challenge, by=allergist, reason="Wrong patient")  # noqa: E731
    assert_refused("under_way", mark)
    _doses(challenge, nurse, clock, 1)
    assert_refused("under_way", mark)
    runs.challenge_stop(challenge=challenge, by=nurse, reason="Child refused further doses")
    runs.outcome_confirm(challenge=challenge, by=allergist, data=_refused_outcome())
    assert_refused(
        "allergist_only",
        lambda: runs.challenge_mark_entered_in_error(challenge=challenge, by=nurse, reason="Wrong patient"),
    )
    mark()
    challenge.refresh_from_db()
    assert (challenge.entered_in_error, challenge.entered_in_error_reason) == (True, "Wrong patient")


def test_a_signed_blinded_challenge_is_not_unblinded_afterwards(patient, dbpcfc, nurse, allergist, clock):
    """Security review L5: unblinding writes the challenge row, so it happens before signing, never after."""
    blinded = _schedule(patient, dbpcfc, allergist, nurse, nurse, placebo_doses=1)
    _stopped_with_outcome(blinded, nurse, allergist, clock)
    clock.move(hours=2)
    runs.challenge_sign(challenge=blinded, by=allergist)
    assert_refused("signed", lambda: runs.challenge_unblind(challenge=blinded, by=allergist))


# --- the reaction, the observation and the discharge ----------------------------------------------------------


def _reaction_stopped(challenge: Challenge, nurse, allergist, clock) -> Challenge:
    """Hives 30 min after dose 2 (a stop alert), decided "stop" by the allergist."""
    alert = _alert(challenge, nurse, clock)
    runs.alert_decide(alert=alert, by=allergist, decision="stop", reason="Objective urticaria")
    return challenge


def _adrenaline(challenge: Challenge, nurse, given_at) -> None:
    runs.treatment_record(
        challenge=challenge,
        by=nurse,
        kind="adrenaline",
        drug="Adrenaline 1 mg/mL",
        dose="0.5 mg",
        route="im",
        given_at=given_at,
    )


def _discharge(challenge: Challenge, nurse, clock, **vitals):
    return runs.discharge_record(
        challenge=challenge,
        by=nurse,
        discharged_at=clock.now,
        condition="well",
        vitals=vitals or {"heart_rate": 84, "systolic": 118, "diastolic": 72, "spo2": 98},
    )


def test_adrenaline_timed_before_the_first_symptom_is_refused(challenge, nurse, allergist, clock):
    _reaction_stopped(challenge, nurse, allergist, clock)  # hives at clock.now
    error = assert_refused(
        "adrenaline_before_onset", lambda: _adrenaline(challenge, nurse, clock.now - timedelta(minutes=1))
    )
    assert "Check both times" in error.message


def _adrenaline_dose(challenge: Challenge, nurse, clock, dose: str, notes: str = ""):
    return runs.treatment_record(
        challenge=challenge,
        by=nurse,
        kind="adrenaline",
        drug="Adrenaline 1 mg/mL",
        dose=dose,
        route="im",
        given_at=clock.now,
        notes=notes,
    )


def test_adrenaline_above_the_weight_based_maximum_needs_a_reason(challenge, nurse, allergist, clock):
    challenge.patient.weight_kg = Decimal(20)  # at most 0.2 mg (0.01 mg/kg; the 0.15 mg device for 20 kg)
    challenge.patient.save()
    _reaction_stopped(challenge, nurse, allergist, clock)
    error = assert_refused("adrenaline_above_max", lambda: _adrenaline_dose(challenge, nurse, clock, "0.21 mg"))
    assert "Adrenaline 0.21 mg is more than 0.2 mg, the most for 20 kg" in error.message
    _adrenaline_dose(challenge, nurse, clock, "0.2 mg")  # at the maximum: recorded, not flagged
    assert not challenge.events.filter(kind="adrenaline_above_max").exists()
    _adrenaline_dose(challenge, nurse, clock, "0.3 mg", notes="Only a 0.3 mg auto-injector was at hand")
    flag = challenge.events.get(kind="adrenaline_above_max")
    assert flag.reason.endswith("Reason: Only a 0.3 mg auto-injector was at hand")


def test_adrenaline_dose_must_be_written_in_mg(challenge, nurse, allergist, clock):
    _reaction_stopped(challenge, nurse, allergist, clock)
    assert_refused("adrenaline_dose_unreadable", lambda: _adrenaline_dose(challenge, nurse, clock, "0.5"))


def test_a_reaction_is_not_signed_before_its_symptoms_resolved(challenge, nurse, allergist, clock):
    _reaction_stopped(challenge, nurse, allergist, clock)
    runs.outcome_confirm(
        challenge=challenge,
        by=allergist,
        data=runs.OutcomeInput("failed", "Urticaria", "wao_2010", "1z", "strict_avoidance", True),
    )
    clock.move(hours=3)
    assert_refused("symptoms_not_resolved", lambda: runs.challenge_sign(challenge=challenge, by=allergist))


def test_a_reaction_is_not_signed_before_its_observation_ends(challenge, nurse, allergist, clock):
    _reaction_stopped(challenge, nurse, allergist, clock)
    runs.outcome_confirm(
        challenge=challenge,
        by=allergist,
        data=runs.OutcomeInput("failed", "Urticaria", "wao_2010", "1z", "strict_avoidance", True),
    )
    clock.move(minutes=40)
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=clock.now)
    clock.move(hours=2, seconds=-1)
    assert_refused("observation_running", lambda: runs.challenge_sign(challenge=challenge, by=allergist))
    assert_refused(
        "allergist_only",
        lambda: runs.challenge_sign(challenge=challenge, by=nurse, observation_override_reason="Ward is closing"),
    )


def test_a_failed_challenge_is_not_advised_to_eat_the_food_regularly(challenge, nurse, allergist, clock):
    _reaction_stopped(challenge, nurse, allergist, clock)
    contradiction = runs.OutcomeInput("failed", "Urticaria", "wao_2010", "1z", "eat_regularly", False)
    error = assert_refused(
        "advice_conflict", lambda: runs.outcome_confirm(challenge=challenge, by=allergist, data=contradiction)
    )
    assert "A failed challenge cannot be followed by “eat the food regularly”" in error.message


def test_a_stop_needs_a_known_kind(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    assert_refused(
        "bad_stop_kind",
        lambda: runs.challenge_stop(challenge=challenge, by=nurse, reason="Bored", kind="boredom"),
    )


def test_passed_is_not_confirmed_while_the_observation_runs(challenge, nurse, allergist, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 7)  # the last dose 30 min ago: 1 h 30 min of observation left
    passed = runs.OutcomeInput("passed", "All doses tolerated", "wao_2010", "none", "eat_regularly", False)
    assert_refused("observation_running", lambda: runs.outcome_confirm(challenge=challenge, by=allergist, data=passed))


def test_no_resolution_without_a_symptom(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)
    assert_refused(
        "no_symptoms", lambda: runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=clock.now)
    )


def test_symptoms_cannot_resolve_before_the_last_one_recorded(challenge, nurse, allergist, clock):
    _reaction_stopped(challenge, nurse, allergist, clock)
    assert_refused(
        "resolved_before_symptom",
        lambda: runs.symptoms_resolved_record(
            challenge=challenge, by=nurse, resolved_at=clock.now - timedelta(minutes=5)
        ),
    )


def test_a_single_dose_of_adrenaline_needs_its_response(challenge, nurse, allergist, clock):
    _reaction_stopped(challenge, nurse, allergist, clock)
    clock.move(minutes=3)
    _adrenaline(challenge, nurse, clock.now)
    clock.move(minutes=30)
    assert_refused(
        "response_required",
        lambda: runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=clock.now),
    )


def test_symptoms_resolve_only_after_dosing_ended(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    runs.observation_record(challenge=challenge, by=nurse, item_code="oral_symptoms", severity=1, observed_at=clock.now)
    assert_refused(
        "still_dosing",
        lambda: runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=clock.now),
    )


def test_a_home_plan_records_no_resolution_or_discharge(plan, patient_user, allergist, clock):
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    runs.challenge_stop(challenge=plan, by=allergist, reason="Patient asked to stop")
    assert_refused(
        "home_plan", lambda: runs.symptoms_resolved_record(challenge=plan, by=allergist, resolved_at=clock.now)
    )
    assert_refused("home_plan", lambda: _discharge(plan, allergist, clock))


def test_a_nurse_cannot_end_the_observation_while_dosing(challenge, nurse, allergist, clock):
    """Security review H2: ending "the observation" mid-dosing would skip the remaining doses and the observation."""
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    assert_refused("allergist_only", lambda: runs.observation_finish(challenge=challenge, by=nurse))
    assert_refused(
        "allergist_only",
        lambda: runs.observation_finish(challenge=challenge, by=nurse, override_reason="Patient wants to go"),
    )
    assert_refused("reason_required", lambda: runs.observation_finish(challenge=challenge, by=allergist))


def test_only_an_observing_challenge_ends_its_observation(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)
    clock.move(hours=3)
    assert_refused("bad_transition", lambda: runs.observation_finish(challenge=challenge, by=allergist))


def test_the_observation_does_not_end_over_an_open_alert(challenge, nurse, allergist, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 7)
    _urticaria(challenge, nurse, clock)
    clock.move(hours=3)
    assert_refused(
        "stop_alert_open",
        lambda: runs.observation_finish(challenge=challenge, by=allergist, override_reason="Going home"),
    )


def test_no_discharge_before_the_observation_ends(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)  # the last dose 30 min ago
    clock.move(minutes=89)
    assert_refused("observation_running", lambda: _discharge(challenge, nurse, clock))


def test_no_discharge_before_a_reaction_resolved(challenge, nurse, allergist, clock):
    _reaction_stopped(challenge, nurse, allergist, clock)
    clock.move(hours=3)
    assert_refused("symptoms_not_resolved", lambda: _discharge(challenge, nurse, clock))


def test_no_discharge_while_dosing(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    assert_refused("still_dosing", lambda: _discharge(challenge, nurse, clock))


def test_no_discharge_over_an_open_alert(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)
    clock.move(hours=2)
    _urticaria(challenge, nurse, clock)
    assert_refused("stop_alert_open", lambda: _discharge(challenge, nurse, clock))


def test_a_patient_is_discharged_once(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)
    clock.move(hours=2)
    _discharge(challenge, nurse, clock)
    assert_refused("already_discharged", lambda: _discharge(challenge, nurse, clock))


def test_a_discharge_needs_its_vital_signs(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)
    clock.move(hours=2)
    assert_refused("no_values", lambda: _discharge(challenge, nurse, clock, spo2=None))


def test_discharge_vital_signs_that_meet_a_stop_rule_refuse_the_discharge(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)
    clock.move(hours=2)
    error = assert_refused("discharge_vitals_abnormal", lambda: _discharge(challenge, nurse, clock, spo2=89))
    assert "SpO2 89 %" in error.message


def test_a_challenge_entered_in_error_is_not_discharged(challenge, nurse, allergist, clock):
    _stopped_with_outcome(challenge, nurse, allergist, clock)
    clock.move(hours=2)
    clinical_record_mark_entered_in_error(record=challenge, by=allergist, reason="Wrong patient")
    assert_refused("in_error", lambda: _discharge(challenge, nurse, clock))


# --- home plans ---------------------------------------------------------------------------------------------


def test_a_clinic_challenge_is_not_a_home_plan(challenge, patient_user, clock):
    assert_refused(
        "not_home",
        lambda: home.patient_dose(
            challenge=challenge, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4()
        ),
    )


def test_at_home_a_symptom_pauses_the_next_step(plan, patient_user, clock):
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    clock.move(hours=40)
    home.patient_symptom(challenge=plan, by=patient_user, item_code="mcas_itch", severity=1, observed_at=clock.now)
    clock.move(hours=32)
    assert_refused(
        "symptom_pause",
        lambda: home.patient_dose(
            challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4()
        ),
    )


def test_usual_symptoms_come_from_the_plans_list(plan, patient_user, clock):
    assert_refused(
        "bad_usual", lambda: home.usual_symptoms_set(challenge=plan, by=patient_user, usual={"made_up_item": 1})
    )


@pytest.fixture
def other_patient_user(other_patient):
    user = UserFactory(username="t-other-patient", role=Role.PATIENT, clinic=other_patient.clinic)
    other_patient.user = user
    other_patient.save()
    return user


def test_a_patient_records_only_in_their_own_plan(plan, other_patient_user, clock):  # noqa: F811
    assert_refused(
        "not_yours",
        lambda: home.patient_dose(
            challenge=plan, by=other_patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4()
        ),
    )


def test_a_patient_corrects_only_their_own_entries(plan, patient_user, allergist, clock):  # noqa: F811
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    entry = runs.observation_record(
        challenge=plan, by=allergist, item_code="mcas_itch", severity=1, observed_at=clock.now
    )
    assert_refused(
        "not_own_entry",
        lambda: home.patient_correct_symptom(
            original=entry,
            by=patient_user,
            reason="Worse than that",
            item_code="mcas_itch",
            severity=2,
            observed_at=clock.now,
        ),
    )
    entry.refresh_from_db()
    assert not entry.entered_in_error


def test_only_a_home_plan_has_steps_to_release(challenge, allergist, clock):
    assert_refused("not_running_home", lambda: home.step_release(challenge=challenge, by=allergist))


def test_only_an_allergist_releases_a_step(plan, patient_user, nurse, clock):  # noqa: F811
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    assert_refused("allergist_only", lambda: home.step_release(challenge=plan, by=nurse))


def test_an_open_stop_alert_is_decided_before_a_release(plan, nurse, allergist, clock):  # noqa: F811
    # Vital signs taken at the clinic before the first home step met a stop rule: the plan has not started (so it
    # is not paused), but no step is released until the allergist decides.
    runs.vitals_record(challenge=plan, by=nurse, values={"taken_at": clock.now, "spo2": 88})
    assert plan.alerts.get().is_open
    assert_refused("stop_alert_open", lambda: home.step_release(challenge=plan, by=allergist))


def test_no_release_after_the_plan_was_cut_short(plan, patient_user, allergist, clock):  # noqa: F811
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    home.plan_change(challenge=plan, by=allergist, steps=[], reason="Stop after the first step; reassess in clinic")
    assert_refused("no_more_steps", lambda: home.step_release(challenge=plan, by=allergist))


def test_a_plan_change_needs_a_reason(plan, allergist, clock):  # noqa: F811
    steps = [PlannedStep(1, None, Decimal(3), "", 3 * 24 * 60)]
    assert_refused("reason_required", lambda: home.plan_change(challenge=plan, by=allergist, steps=steps, reason=" "))


def _follow_up(challenge: Challenge, nurse, clock) -> FollowUp:
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    runs.challenge_stop(challenge=challenge, by=nurse, reason="Child refused further doses")
    return challenge.follow_ups.order_by("hours_after").first()


def test_a_tryptase_needs_the_time_its_sample_was_taken(challenge, nurse, clock):
    follow_up = _follow_up(challenge, nurse, clock)
    assert_refused(
        "tryptase_time",
        lambda: home.follow_up_record(
            follow_up=follow_up, by=nurse, method="phone", symptoms=False, findings="", tryptase_ug_l=Decimal(9)
        ),
    )


def test_a_check_in_is_recorded_once(challenge, nurse, clock):
    follow_up = _follow_up(challenge, nurse, clock)
    home.follow_up_record(follow_up=follow_up, by=nurse, method="phone", symptoms=False, findings="Well")
    assert_refused(
        "already_done",
        lambda: home.follow_up_record(
            follow_up=follow_up, by=nurse, method="phone", symptoms=True, findings="Now with hives"
        ),
    )


def test_a_patient_records_only_their_own_check_in(plan, patient_user, other_patient_user, allergist, clock):  # noqa: F811
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    runs.challenge_stop(challenge=plan, by=allergist, reason="Patient asked to stop")
    follow_up = plan.follow_ups.order_by("hours_after").first()
    assert_refused(
        "not_yours",
        lambda: home.follow_up_record(
            follow_up=follow_up, by=other_patient_user, method="patient", symptoms=False, findings=""
        ),
    )


# --- medication decisions before the first dose (services.washout; the first dose in services.doses) ------------


def _medication(patient, med_class: str, name: str = "Cetirizine", **extra):
    return MedicationFactory(patient=patient, name=name, med_class=med_class, **extra)


def test_the_first_dose_waits_for_every_medication_decision(challenge, patient, nurse, allergist, clock):
    cetirizine = _medication(patient, "h1_antihistamine")
    bisoprolol = _medication(patient, "beta_blocker", "Bisoprolol")
    _check_in(challenge, nurse, clock)
    assert_refused("washout_unresolved", lambda: _dose(challenge, nurse, clock))
    runs.washout_override(challenge=challenge, by=allergist, medication=cetirizine, reason="Chronic urticaria")
    assert_refused("medication_review_required", lambda: _dose(challenge, nurse, clock))
    runs.medication_decide(challenge=challenge, by=allergist, medication=bisoprolol, action="switch", reason="GP")
    assert_refused("medication_deferred", lambda: _dose(challenge, nurse, clock))


def test_stop_dates_are_confirmed_by_staff_in_time_and_not_in_the_future(
    challenge, patient, patient_user, nurse, clock
):
    cetirizine = _medication(patient, "h1_antihistamine")

    def confirm(stopped_on: date, by=nurse):
        return lambda: runs.washout_confirm_stop(
            challenge=challenge, by=by, medication=cetirizine, stopped_on=stopped_on
        )

    assert_refused("staff_only", confirm(date(2026, 11, 1), by=patient_user))
    assert_refused("future_date", confirm(date(2026, 11, 27)))
    assert_refused("washout_too_short", confirm(date(2026, 11, 19)))


def test_a_drug_with_no_wash_out_time_is_for_the_allergist(challenge, patient, nurse, clock):
    doxepin = _medication(patient, "tricyclic_antidepressant", "Doxepin")
    assert_refused(
        "no_washout_time",
        lambda: runs.washout_confirm_stop(
            challenge=challenge, by=nurse, medication=doxepin, stopped_on=date(2026, 11, 1)
        ),
    )


def test_medication_decisions_name_one_of_this_patients_conflicts(challenge, patient, other_patient, allergist, clock):
    theirs = _medication(other_patient, "h1_antihistamine")
    omeprazole = _medication(patient, "ppi", "Omeprazole")
    in_error = _medication(patient, "h1_antihistamine", entered_in_error=True)
    for medication in (theirs, in_error):
        assert_refused(
            "bad_medication",
            lambda medication=medication: runs.washout_override(
                challenge=challenge, by=allergist, medication=medication, reason="x"
            ),
        )
    # A PPI is a warning: there is nothing to decide.
    assert_refused(
        "no_conflict",
        lambda: runs.washout_override(challenge=challenge, by=allergist, medication=omeprazole, reason="x"),
    )


def test_a_risk_review_is_one_of_its_own_decisions_with_a_short_reason(challenge, patient, allergist, clock):
    bisoprolol = _medication(patient, "beta_blocker", "Bisoprolol")

    def decide(action: str, reason: str = "Cardiology agree"):
        return lambda: runs.medication_decide(
            challenge=challenge, by=allergist, medication=bisoprolol, action=action, reason=reason
        )

    assert_refused("bad_action", decide("accept_limitation"))
    assert_refused("reason_required", decide("proceed", reason="  "))
    assert_refused("reason_too_long", decide("proceed", reason="x" * 2001))


def test_medication_decisions_end_with_the_first_dose(challenge, patient, nurse, allergist, clock):
    _check_in(challenge, nurse, clock)
    _dose(challenge, nurse, clock)
    cetirizine = _medication(patient, "h1_antihistamine")  # added after dose 1: shown, but no longer decided here
    assert_refused(
        "after_first_dose",
        lambda: runs.washout_override(challenge=challenge, by=allergist, medication=cetirizine, reason="x"),
    )


# --- premedication (clinical.premedication) -------------------------------------------------------------------


def _premed_refuses(plan: Challenge):
    item = plan.protocol.premedications.get(before_each_step=True)
    item.if_not_taken = "refuse"
    item.save()
    return item


def test_a_step_without_its_premedication_is_refused_when_the_item_says_so(plan, patient_user, clock):  # noqa: F811
    _premed_refuses(plan)
    assert_refused(
        "premedication_not_taken",
        lambda: home.patient_dose(
            challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4()
        ),
    )


def test_a_step_sooner_than_the_premedication_lead_time_is_refused(plan, patient_user, clock):  # noqa: F811
    item = _premed_refuses(plan)
    home.patient_premedication(challenge=plan, by=patient_user, item_id=item.pk, given_at=clock.now)
    clock.move(minutes=29)
    error = assert_refused(
        "premedication_too_soon",
        lambda: home.patient_dose(
            challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4()
        ),
    )
    assert "The step can be taken from 09:30." in error.message


def test_only_a_timed_premedication_is_recorded_as_taken(plan, patient_user, clock):  # noqa: F811
    regimen = plan.protocol.premedications.filter(continue_regular=True).first()
    assert_refused(
        "not_planned",
        lambda: home.patient_premedication(challenge=plan, by=patient_user, item_id=regimen.pk, given_at=clock.now),
    )


def test_no_premedication_below_the_labels_youngest_age(plan, patient_user, clock):  # noqa: F811
    plan.patient.date_of_birth = date(2025, 6, 1)  # 1 year old: the label gives no dose under 2 years
    plan.patient.save()
    item = plan.protocol.premedications.get(before_each_step=True)
    assert_refused(
        "premedication_dose_unset",
        lambda: home.patient_premedication(challenge=plan, by=patient_user, item_id=item.pk, given_at=clock.now),
    )


def _book_the_same_plan_again(plan, by, reason: str = "") -> Challenge:
    return runs.challenge_schedule(
        patient=plan.patient,
        protocol=plan.protocol,
        scheduled_at=plan.scheduled_at,
        allergist=plan.allergist,
        nurse=None,
        by=by,
        first_step_in_clinic=False,
        replace_reason=reason,
    )


def test_one_home_plan_at_a_time_per_food(plan, allergist, nurse, clock):  # noqa: F811
    refused = assert_refused("home_plan_open", lambda: _book_the_same_plan_again(plan, allergist))
    assert "Finish or stop it first" in refused.message
    assert_refused("replace_needs_allergist", lambda: _book_the_same_plan_again(plan, nurse, "Start again"))
    replacement = _book_the_same_plan_again(plan, allergist, "Start again")  # the other side: an allergist's reason
    plan.refresh_from_db()
    assert plan.status == Status.CANCELLED
    assert replacement.status == Status.PLANNED


# --- every code has its test --------------------------------------------------------------------------------

SERVICES = [*sorted((ROOT / "challenges/run/services").glob("*.py")), ROOT / "challenges/home/services.py"]
# The first dose's medication refusals: services.doses raises the code that
# clinical.washout_decisions.first_dose_refusal names.
FIRST_DOSE_REFUSALS = ROOT / "clinical/washout_decisions.py"
# A step's premedication refusals: services.doses raises the code clinical.premedication.step_problems names.
PREMEDICATION_REFUSALS = ROOT / "clinical/premedication.py"
# A continuation's refusals: services.schedule raises the code clinical.continuation.continuation_refusal names.
CONTINUATION_REFUSALS = ROOT / "clinical/continuation.py"


def test_only_the_patient_or_their_clinic_manages_the_calendar_link(patient, patient_user, nurse, other_clinic_nurse):
    assert_refused("not_owner", lambda: home.calendar_feed_issue(patient=patient, by=other_clinic_nurse))
    token = home.calendar_feed_issue(patient=patient, by=patient_user)  # the other side: the patient themselves
    assert token
    assert_refused("not_owner", lambda: home.calendar_feed_revoke(patient=patient, by=other_clinic_nurse))
    assert home.calendar_feed_revoke(patient=patient, by=nurse) == 1  # and staff of the patient's clinic


def test_every_code_the_services_raise_is_asserted_here():
    raised = {code for path in SERVICES for code in re.findall(r'code="([a-z_]+)"', path.read_text(encoding="utf-8"))}
    raised |= set(re.findall(r'Refusal\(\s*"([a-z_]+)"', FIRST_DOSE_REFUSALS.read_text(encoding="utf-8")))
    raised |= set(re.findall(r'Refusal\(\s*"([a-z_]+)"', CONTINUATION_REFUSALS.read_text(encoding="utf-8")))
    premedication = PREMEDICATION_REFUSALS.read_text(encoding="utf-8")
    raised |= set(re.findall(r'^PREMED_[A-Z_]+ = "([a-z_]+)"', premedication, re.MULTILINE))
    # Booking's placebo refusals: services.schedule raises the code clinical.blinding.check_placebo_count names.
    raised |= set(re.findall(r'code="([a-z_]+)"', inspect.getsource(blinding.check_placebo_count)))
    asserted = set(re.findall(r'_refused\(\s*"([a-z_]+)"', Path(__file__).read_text(encoding="utf-8")))
    assert len(raised) > 30  # positive control: the pattern finds the codes
    assert raised == asserted

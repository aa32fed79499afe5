"""Rule codes of booking (scheduling, continuations) and of the checks before the first dose
(see test_rule_codes.py)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from challenges.home import services as home
from challenges.library.services.protocols import protocol_clone
from challenges.run import services as runs
from challenges.run.models import Status
from clinics.services import clinical_record_mark_entered_in_error
from tests.run.rule_code_helpers import _check_in, _dose, _doses, _schedule, assert_refused


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


def test_checks_refused_after_the_first_dose(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    assert_refused("too_late", lambda: _check_in(challenge, nurse, clock))


def test_only_an_allergist_overrides_failed_checks(challenge, nurse, clock):
    _check_in(challenge, nurse, clock, no_illness=False)
    assert_refused("allergist_only", lambda: runs.checks_override(challenge=challenge, by=nurse, reason="Mild cold"))


def test_booking_a_home_protocol_without_a_watch_is_refused(home_protocol, patient, allergist, clock):
    protocol = protocol_clone(protocol=home_protocol, clinic=allergist.clinic, by=allergist)
    protocol.watch_hours = 0  # as the editor saved it before it refused a home plan without a watch
    protocol.save(update_fields=["watch_hours"])
    assert_refused("home_watch_missing", lambda: _schedule(patient, protocol, allergist, None, allergist))


def test_booking_a_home_protocol_with_a_one_hour_watch_is_allowed(home_protocol, patient, allergist, clock):
    protocol = protocol_clone(protocol=home_protocol, clinic=allergist.clinic, by=allergist)
    protocol.watch_hours = 1
    protocol.save(update_fields=["watch_hours"])
    assert _schedule(patient, protocol, allergist, None, allergist).protocol.watch_hours == 1

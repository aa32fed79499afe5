"""Rule codes of home plans, follow-ups, medication decisions before the first dose, premedication and the calendar
link (see test_rule_codes.py)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from challenges.home import services as home
from challenges.run import services as runs
from challenges.run.models import Challenge, FollowUp, Status
from clinical.plan import PlannedStep
from clinics.models import Role
from tests.factories import MedicationFactory, UserFactory
from tests.run.rule_code_helpers import _check_in, _dose, _doses, assert_refused


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


def test_only_the_patient_or_their_clinic_manages_the_calendar_link(patient, patient_user, nurse, other_clinic_nurse):
    assert_refused("not_owner", lambda: home.calendar_feed_issue(patient=patient, by=other_clinic_nurse))
    token = home.calendar_feed_issue(patient=patient, by=patient_user)  # the other side: the patient themselves
    assert token
    assert_refused("not_owner", lambda: home.calendar_feed_revoke(patient=patient, by=other_clinic_nurse))
    assert home.calendar_feed_revoke(patient=patient, by=nurse) == 1  # and staff of the patient's clinic

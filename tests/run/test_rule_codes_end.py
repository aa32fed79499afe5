"""Rule codes of the end of a challenge: stopping, the outcome, signing, unblinding, the reaction, the observation and
the discharge (see test_rule_codes.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from challenges.home import services as home
from challenges.run import services as runs
from challenges.run.models import Challenge
from clinics.services import clinical_record_mark_entered_in_error
from tests.run.rule_code_helpers import (
    _alert,
    _check_in,
    _doses,
    _refused_outcome,
    _schedule,
    _stopped_with_outcome,
    _urticaria,
    assert_refused,
)


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

"""Finished challenges to export: a PRACTALL peanut challenge failed at dose 5 (300 mg; cumulative 442.2 mg, the
four mixes of peanut flour delivering 142.245 mg) with urticaria, wheeze and adrenaline, confirmed and signed (as in
challenges/demo.py); a passed one; a finished home plan with premedication; a challenge of the other clinic."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from challenges.demo import CHECKS_PASSED
from challenges.home import services as home
from challenges.models import Challenge, FollowUp
from challenges.run import services as runs
from challenges.run.services import OutcomeInput, challenge_schedule
from tests.helpers import START, second_checker


def check_in(challenge: Challenge, by, at: datetime) -> None:
    """The pre-challenge checks, all passed, with baseline vitals (as in challenges/demo.py)."""
    baseline = {
        "taken_at": at,
        "heart_rate": 72,
        "systolic": 124,
        "diastolic": 78,
        "resp_rate": 16,
        "spo2": 98,
        "temperature_c": None,
        "pef": 520,
    }
    runs.checks_record(challenge=challenge, by=by, answers=dict(CHECKS_PASSED), baseline=baseline)


def give_doses(challenge: Challenge, by, clock, count: int, minutes: int = 30) -> None:
    for index in range(count):
        if index:
            clock.move(minutes=minutes)
        runs.dose_record(
            challenge=challenge,
            by=by,
            food_amount=None,
            given_at=clock.now,
            idempotency_key=uuid.uuid4(),
            checked_by=second_checker(challenge, by),
        )


@pytest.fixture
def failed_challenge(challenge, nurse, allergist, clock):
    """Doses 09:00-11:00 (3, 10, 30, 100, 300 mg); hives 11:12, wheeze 11:15, adrenaline 11:18; stopped, grade 2b."""
    check_in(challenge, nurse, clock.now)
    give_doses(challenge, nurse, clock, 5)
    clock.move(minutes=12)
    runs.observation_record(
        challenge=challenge,
        by=nurse,
        item_code="skin_urticaria",
        severity=2,
        observed_at=clock.now,
        note="6 hives on neck and chest",
    )
    clock.move(minutes=3)
    runs.observation_record(
        challenge=challenge,
        by=nurse,
        item_code="lower_resp_wheeze",
        severity=2,
        observed_at=clock.now,
        note="Insp and exp wheeze",
    )
    runs.vitals_record(
        challenge=challenge,
        by=nurse,
        values={"taken_at": clock.now, "heart_rate": 112, "systolic": 108, "diastolic": 70, "spo2": 94, "pef": 360},
    )
    clock.move(minutes=3)
    runs.treatment_record(
        challenge=challenge,
        by=nurse,
        kind="adrenaline",
        drug="Adrenaline 1 mg/mL",
        dose="0.5 mg",
        route="im",
        given_at=clock.now,
    )
    runs.treatment_record(
        challenge=challenge,
        by=nurse,
        kind="salbutamol",
        drug="Salbutamol",
        dose="5 mg",
        route="inhaled",
        given_at=clock.now,
    )
    runs.alert_decide(
        alert=challenge.alerts.get(decision=""),
        by=allergist,
        decision="stop",
        reason="Urticaria and wheeze after 300 mg",
    )
    clock.move(minutes=30)
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=clock.now, good_response=True)
    clock.move(hours=4)
    runs.outcome_confirm(
        challenge=challenge,
        by=allergist,
        data=OutcomeInput(
            "failed",
            "Objective urticaria and wheeze at step 5",
            "wao_2010",
            "2b",
            "strict_avoidance",
            True,
            "Discharged well after 4 h.",
        ),
    )
    clock.move(minutes=10)
    runs.challenge_sign(challenge=challenge, by=allergist)
    challenge.refresh_from_db()
    return challenge


def run_passed(patient, protocol, allergist, nurse, clock) -> Challenge:
    """All seven PRACTALL doses tolerated, 2 h observation, outcome passed."""
    challenge = challenge_schedule(
        patient=patient, protocol=protocol, scheduled_at=clock.now, allergist=allergist, nurse=nurse, by=nurse
    )
    check_in(challenge, nurse, clock.now)
    give_doses(challenge, nurse, clock, 7)
    clock.move(minutes=125)
    runs.observation_finish(challenge=challenge, by=allergist)
    reason = "All seven doses tolerated; no symptoms in 2 h"
    outcome = OutcomeInput("passed", reason, "wao_2010", "none", "eat_regularly", False)
    runs.outcome_confirm(challenge=challenge, by=allergist, data=outcome)
    challenge.refresh_from_db()
    return challenge


@pytest.fixture
def passed_challenge(practall, other_patient, allergist, nurse, clock):
    return run_passed(other_patient, practall, allergist, nurse, clock)


@pytest.fixture
def finished_home_plan(plan, patient_user, allergist, clock):
    """Patient A's ten cheesecake steps from 26 Nov, 3 days apart: cromolyn at 09:00, the step at 09:30 (the last
    one at 10:30, an hour late); the 2 h check-in done; outcome passed."""
    for step in range(10):
        move_to(clock, START + timedelta(days=3 * step))
        cromolyn = plan.protocol.premedications.get(before_each_step=True)
        home.patient_premedication(challenge=plan, by=patient_user, item_id=cromolyn.pk, given_at=clock.now)
        clock.move(minutes=90 if step == 9 else 30)
        home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    clock.move(hours=3)
    home.follow_up_record(
        follow_up=FollowUp.objects.get(challenge=plan, hours_after=2),
        by=patient_user,
        method="patient",
        symptoms=False,
        findings="Fine",
    )
    clock.move(hours=48)
    runs.observation_finish(challenge=plan, by=allergist)
    runs.outcome_confirm(
        challenge=plan,
        by=allergist,
        data=OutcomeInput("passed", "Full serving tolerated with no symptoms", "wao_2010", "", "eat_regularly", False),
    )
    plan.refresh_from_db()
    return plan


def move_to(clock, moment: datetime) -> None:
    clock.move(seconds=(moment - clock.now).total_seconds())


@pytest.fixture
def other_clinic_challenge(practall, other_clinic_patient, other_clinic_nurse, other_clinic_allergist, clock):
    """One dose of a peanut challenge in the other clinic, with a tell-tale note."""
    challenge = challenge_schedule(
        patient=other_clinic_patient,
        protocol=practall,
        scheduled_at=clock.now,
        allergist=other_clinic_allergist,
        nurse=other_clinic_nurse,
        by=other_clinic_nurse,
    )
    check_in(challenge, other_clinic_nurse, clock.now)
    runs.dose_record(
        challenge=challenge,
        by=other_clinic_nurse,
        food_amount=None,
        given_at=clock.now,
        idempotency_key=uuid.uuid4(),
        notes="OTHER-CLINIC-SENTINEL",
        checked_by=second_checker(challenge, other_clinic_nurse),
    )
    return challenge

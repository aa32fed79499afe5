"""Whole challenges driven through the services on a moving clock, for the report tests and bench/report_bench.py.

Each scenario travels in time itself (time-machine), so the records carry realistic times on the challenge day.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from challenges.models import Challenge, DoseBasis, Protocol, ProtocolStep, StopAlert
from challenges.run import services as runs
from challenges.run.services import OutcomeInput
from clinics.models import User
from patients.models import Patient
from tests.helpers import second_checker

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)

PASSING = {
    "no_illness": True,
    "asthma_eczema_controlled": True,
    "no_recent_exercise": True,
    "washout_confirmed": True,
    "premedication_taken": True,
    "consent_recorded": True,
    "emergency_ready": True,
    "baseline_skin": "mild eczema in the elbow creases",
    "baseline_mouth": "normal",
    "baseline_chest": "clear",
    "notes": "",
}
INDICATION = "Peanut sensitised (SPT 6 mm), no ingestion for 3 years; confirm tolerance."
BASELINE = {
    "heart_rate": 88,
    "systolic": 120,
    "diastolic": 75,
    "resp_rate": 16,
    "spo2": 98,
    "temperature_c": Decimal("36.8"),
    "pef": 400,
}


class Clock:
    def __init__(self, traveller: Any, start: datetime) -> None:
        self.traveller, self.now = traveller, start

    def move(self, **delta: float) -> datetime:
        return self.to(self.now + timedelta(**delta))

    def to(self, moment: datetime) -> datetime:
        self.now = moment
        self.traveller.move_to(moment)
        return moment


@contextmanager
def clock_at(start: datetime) -> Iterator[Clock]:
    with time_machine.travel(start, tick=False) as traveller:
        yield Clock(traveller, start)


def give_dose(challenge: Challenge, by: User, at: datetime, amount: Decimal | None = None, **extra: Any) -> None:
    runs.dose_record(
        challenge=challenge,
        by=by,
        food_amount=amount,
        given_at=at,
        idempotency_key=uuid.uuid4(),
        **{"checked_by": second_checker(challenge, by), **extra},
    )


def record_vitals(challenge: Challenge, by: User, at: datetime, **values: Any) -> None:
    runs.vitals_record(challenge=challenge, by=by, values={"taken_at": at, **values})


def _start(patient: Patient, protocol: Protocol, nurse: User, allergist: User, clock: Clock, **extra: Any) -> Challenge:
    challenge = runs.challenge_schedule(
        patient=patient,
        protocol=protocol,
        scheduled_at=clock.now,
        allergist=allergist,
        nurse=nurse,
        by=nurse,
        indication=extra.pop("indication", INDICATION),
        **extra,
    )
    baseline = {"taken_at": clock.now - timedelta(minutes=5), **BASELINE}
    runs.checks_record(challenge=challenge, by=nurse, answers=dict(PASSING), baseline=baseline)
    return challenge


def practall_failed_at_dose_5(
    patient: Patient,
    protocol: Protocol,
    nurse: User,
    allergist: User,
    *,
    sign: bool = False,
    note: str = "hives on the trunk",
    purpose: str = "",
) -> Challenge:
    """PRACTALL peanut: doses 1-5 given 30 min apart, urticaria 10 min after dose 5, stopped, treated, failed."""
    with clock_at(START) as clock:
        challenge = _start(patient, protocol, nurse, allergist, clock, purpose=purpose)
        for number in range(1, 6):
            give_dose(challenge, nurse, clock.now)
            record_vitals(
                challenge, nurse, clock.move(minutes=15), heart_rate=88 + number, systolic=118, diastolic=74, spo2=98
            )
            if number == 2:
                wrong = runs.observation_record(
                    challenge=challenge,
                    by=nurse,
                    item_code="gi_subjective",
                    severity=1,
                    observed_at=clock.now,
                    note="recorded on the wrong chart",
                )
                runs.record_mark_entered_in_error(record=wrong, by=nurse, reason="Recorded for the wrong patient")
            if number < 5:
                clock.move(minutes=15)
        runs.observation_record(
            challenge=challenge,
            by=nurse,
            item_code="skin_urticaria",
            severity=2,
            observed_at=clock.move(minutes=-5),
            note=note,
        )  # 10 min after dose 5
        alert = StopAlert.objects.get(challenge=challenge)
        clock.move(minutes=3)
        runs.alert_decide(alert=alert, by=allergist, decision="stop", reason="Objective urticaria after dose 5")
        runs.treatment_record(
            challenge=challenge,
            by=nurse,
            kind="antihistamine",
            drug="Cetirizine",
            dose="10 mg",
            route="oral",
            given_at=clock.move(minutes=2),
            notes="for the urticaria",
        )
        record_vitals(
            challenge, nurse, clock.move(minutes=5), heart_rate=104, systolic=110, diastolic=70, spo2=97, resp_rate=18
        )
        record_vitals(challenge, nurse, clock.move(minutes=30), heart_rate=92, systolic=116, diastolic=72, spo2=98)
        runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=clock.now)
        _confirm(challenge, allergist, clock, outcome="failed", advice="strict_avoidance")
        if sign:
            clock.move(hours=2)  # the observation: 2 h after the symptoms resolved (no adrenaline)
            _sign(challenge, allergist, clock)
    challenge.refresh_from_db()
    return challenge


def practall_passed(
    patient: Patient,
    protocol: Protocol,
    nurse: User,
    allergist: User,
    *,
    sign: bool = False,
    blind_order: tuple[int, ...] = (),
) -> Challenge:
    """Every planned dose (seven for PRACTALL), 2 h observation, no reaction. A blinded protocol takes the blinded
    order to use (clinical.blinding: -n is a placebo twin of step n) instead of the one drawn at booking."""
    with clock_at(START) as clock:
        placebo_doses = sum(1 for n in blind_order if n < 0)
        challenge = _start(patient, protocol, nurse, allergist, clock, placebo_doses=placebo_doses)
        if blind_order:
            challenge.refresh_from_db()
            challenge.blind_order = list(blind_order)
            challenge.save()
        for _number in range(protocol.steps.count() + placebo_doses):
            give_dose(challenge, nurse, clock.now)
            record_vitals(challenge, nurse, clock.move(minutes=20), heart_rate=86, systolic=121, diastolic=76, spo2=99)
            clock.move(minutes=10)
        clock.move(hours=2)
        runs.observation_finish(challenge=challenge, by=nurse)
        _confirm(challenge, allergist, clock, outcome="passed", advice="eat_regularly")
        if sign:
            _sign(challenge, allergist, clock)
    challenge.refresh_from_db()
    return challenge


def _confirm(challenge: Challenge, allergist: User, clock: Clock, *, outcome: str, advice: str) -> None:
    from challenges.run import selectors

    state = selectors.run_state(selectors.with_run_data(Challenge.objects.filter(pk=challenge.pk)).get())
    grade = state.grade.grade if state.grade else "none"
    data = OutcomeInput(
        outcome=outcome,
        reason="Objective urticaria" if outcome == "failed" else "All doses tolerated",
        grade_scale="wao_2010",
        grade=grade,
        advice=advice,
        new_adrenaline_prescription=outcome == "failed",
        discharge_notes="Well at discharge; written action plan given.",
    )
    runs.outcome_confirm(challenge=challenge, by=allergist, data=data)
    clock.move(minutes=5)


def _sign(challenge: Challenge, allergist: User, clock: Clock) -> None:
    from challenges.reports import build_signed_report

    runs.challenge_sign(challenge=challenge, by=allergist, render=build_signed_report)


# --- a long challenge ---------------------------------------------------------------------------------------


def long_protocol(food: Any, *, steps: int = 30, clinic: Any = None) -> Protocol:
    """A 30-step open challenge, 20 min apart, doses rising 2 mg (above the one-dilution floor of peanut flour) -> about
    6 g (library data, made directly)."""
    protocol = Protocol.objects.create(
        name=f"Long {steps}-step ladder",
        kind="open",
        food=food,
        dose_basis=DoseBasis.PROTEIN,
        observation_minutes=120,
        checklist_items=[
            "skin_pruritus",
            "skin_urticaria",
            "skin_erythema",
            "oral_symptoms",
            "gi_subjective",
            "lower_resp_wheeze",
        ],
        stop_rules={},
        clinic=clinic,
    )
    dose = Decimal(2)
    for number in range(1, steps + 1):
        ProtocolStep.objects.create(
            protocol=protocol, number=number, protein_mg=dose.quantize(Decimal("0.1")), interval_minutes=20
        )
        dose *= Decimal("1.32")
    return protocol


def long_challenge(
    patient: Patient, protocol: Protocol, nurse: User, allergist: User, *, observations: int = 200
) -> Challenge:
    """Every step given, with `observations` findings spread over the doses (mostly 'absent' checks) and vitals."""
    steps = protocol.steps.count()
    items = protocol.checklist_items
    with clock_at(START) as clock:
        challenge = _start(patient, protocol, nurse, allergist, clock, indication="Research-style long ladder")
        per_dose = [observations // steps + (1 if i < observations % steps else 0) for i in range(steps)]
        for number in range(steps):
            dose_at = clock.now
            give_dose(challenge, nurse, dose_at)
            for index in range(per_dose[number]):
                runs.observation_record(
                    challenge=challenge,
                    by=nurse,
                    item_code=items[(number + index) % len(items)],
                    severity=0,
                    observed_at=clock.to(dose_at + timedelta(minutes=2 + index * 2)),
                    note=f"check {index + 1} after dose {number + 1}",
                )
            record_vitals(
                challenge,
                nurse,
                clock.to(dose_at + timedelta(minutes=15)),
                heart_rate=80 + number % 7,
                systolic=118,
                diastolic=74,
                spo2=98,
            )
            clock.to(dose_at + timedelta(minutes=20))
    challenge.refresh_from_db()
    return challenge


def home_plan_started(patient: Patient, protocol: Protocol, nurse: User, allergist: User) -> Challenge:
    """A home reintroduction plan scheduled for the scenario day, premedication and step 1 taken."""
    with clock_at(START) as clock:
        challenge = runs.challenge_schedule(
            patient=patient, protocol=protocol, scheduled_at=START, allergist=allergist, nurse=nurse, by=nurse
        )
        runs.treatment_record(
            challenge=challenge,
            by=nurse,
            kind="premedication",
            drug="Cromolyn sodium (oral)",
            dose="200 mg",
            route="oral",
            given_at=clock.move(minutes=30),
        )
        give_dose(challenge, nurse, clock.move(minutes=30))
    challenge.refresh_from_db()
    return challenge

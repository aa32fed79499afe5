"""Demo challenges in every state, and home plans, built through the real services at past moments.

The services stamp rows with `timezone.now()`; to record a challenge that "happened" last week with honest
timestamps, `_clock` sets the time Django sees while the demo is built (stdlib mock, demo only).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from unittest import mock

from django.utils import timezone

from audit.services import chained_in_transaction
from challenges.home import services as home
from challenges.models import Challenge, FollowUp, Protocol
from challenges.reports import build_signed_report
from challenges.run import facts
from challenges.run import services as runs
from challenges.run.services import OutcomeInput
from clinics.models import User
from patients.models import Patient

CHECKS_PASSED = {
    "no_illness": True,
    "asthma_eczema_controlled": True,
    "no_recent_exercise": True,
    "washout_confirmed": True,
    "premedication_taken": True,
    "consent_recorded": True,
    "emergency_ready": True,
    "baseline_skin": "clear",
    "baseline_mouth": "normal",
    "baseline_chest": "clear",
}


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def at(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def move(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


@contextmanager
def _clock(start: datetime) -> Iterator[_Clock]:
    clock = _Clock(start)

    class DemoTime:
        """Stands in for django.utils.timezone's `datetime` while the clock runs. That module only calls its now()
        (in timezone.now()) and tests isinstance(value, datetime) in template_localtime(), which no value passes
        meanwhile."""

        @staticmethod
        def now(tz: tzinfo | None = None) -> datetime:
            return clock.now.astimezone(tz) if tz else clock.now.replace(tzinfo=None)

    # Rows stamped by this clock are chained in place: sealed after commit, at the real time, they would read as
    # sealed days after they were written (verify_audit's "sealed late").
    with (
        mock.patch("django.utils.timezone.datetime", DemoTime),
        chained_in_transaction(),
    ):
        yield clock


def _protocol(name: str) -> Protocol:
    return Protocol.objects.get(clinic=None, name=name, is_current=True)


def _exists(patient: Patient, tag: str) -> bool:
    return Challenge.objects.filter(patient=patient, indication__startswith=tag).exists()


def _start(
    patient: Patient, protocol: Protocol, when: datetime, allergist: User, nurse: User | None, tag: str, text: str
) -> Challenge:
    return runs.challenge_schedule(
        patient=patient,
        protocol=protocol,
        scheduled_at=when,
        allergist=allergist,
        nurse=nurse,
        by=nurse or allergist,
        indication=f"{tag} {text}",
    )


def _checks(
    challenge: Challenge, by: User, clock: _Clock, hr: int = 88, sbp: int = 118, dbp: int = 74, pef: int | None = None
) -> None:
    fpies = {"iv_access_ready": True} if challenge.protocol.kind == "fpies" else {}
    runs.checks_record(
        challenge=challenge,
        by=by,
        answers={**CHECKS_PASSED, **fpies},
        baseline={
            "taken_at": clock.now,
            "heart_rate": hr,
            "systolic": sbp,
            "diastolic": dbp,
            "resp_rate": 16,
            "spo2": 98,
            "temperature_c": None,
            "pef": pef,
        },
    )


def _doses(challenge: Challenge, by: User, clock: _Clock, count: int, minutes: int = 30) -> None:
    for index in range(count):
        if index:
            clock.move(minutes=minutes)
        runs.dose_record(
            challenge=challenge,
            by=by,
            food_amount=None,
            given_at=clock.now,
            idempotency_key=uuid.uuid4(),
            checked_by=challenge.allergist,  # the two-person check of a diluted dose
        )


def _finish(
    challenge: Challenge,
    allergist: User,
    clock: _Clock,
    outcome: OutcomeInput,
    *,
    sign: bool,
    nurse: User | None = None,
) -> None:
    """Wait out the observation, confirm the outcome, discharge (when a nurse is named) and sign."""
    challenge.refresh_from_db()
    ends = facts.observation_ends_at(challenge)
    if ends is not None and clock.now < ends + timedelta(minutes=5):
        clock.at(ends + timedelta(minutes=5))
    if challenge.status == "observing":
        runs.observation_finish(challenge=challenge, by=allergist)
    runs.outcome_confirm(challenge=challenge, by=allergist, data=outcome)
    if nurse is not None:
        runs.discharge_record(
            challenge=challenge,
            by=nurse,
            discharged_at=clock.now,
            condition="well",
            vitals={"heart_rate": 84, "systolic": 118, "diastolic": 72, "spo2": 98},
        )
    if sign:
        clock.move(minutes=10)
        runs.challenge_sign(challenge=challenge, by=allergist, render=build_signed_report)


def load_clinic_challenges(users: dict[str, User]) -> None:
    """One challenge in each state for the first clinic (idempotent: tagged in the indication)."""
    allergist, nurse = users["allergist"], users["nurse"]
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=allergist.clinic)}
    now = timezone.now().replace(second=0, microsecond=0)
    _planned(patients["NS-1005"], allergist, nurse, now)
    _mid_dosing(patients["NS-1002"], allergist, nurse, now)
    _equivocal_then_passed(patients["NS-1003"], allergist, nurse, now)
    _failed_with_adrenaline(patients["NS-1006"], allergist, nurse, now)
    _fpies(patients["NS-1004"], allergist, nurse, now)


def _planned(patient: Patient, allergist: User, nurse: User, now: datetime) -> None:
    if _exists(patient, "[demo-planned]"):
        return
    when = (now + timedelta(hours=2)).replace(minute=0)
    _start(
        patient,
        _protocol("Hard-boiled egg OFC"),
        when,
        allergist,
        nurse,
        "[demo-planned]",
        "Oral itch with scrambled egg; tolerates egg in cake. Confirm tolerance of cooked egg.",
    )


def _mid_dosing(patient: Patient, allergist: User, nurse: User, now: datetime) -> None:
    if _exists(patient, "[demo-dosing]"):
        return
    with _clock(now - timedelta(minutes=80)) as clock:
        challenge = _start(
            patient,
            _protocol("PRACTALL 7-step peanut OFC"),
            clock.now,
            allergist,
            nurse,
            "[demo-dosing]",
            "Peanut sIgE falling; last reaction at age 2. Diagnostic OFC.",
        )
        # His cetirizine was stopped 8 days before: the nurse confirms it, or the first dose would be refused.
        cetirizine = patient.medications.get(name="Cetirizine")
        runs.washout_confirm_stop(
            challenge=challenge, by=nurse, medication=cetirizine, stopped_on=(clock.now - timedelta(days=8)).date()
        )
        _checks(challenge, nurse, clock, hr=96, sbp=102, dbp=64)
        clock.move(minutes=10)
        _doses(challenge, nurse, clock, 3, minutes=30)  # doses at -70, -40 and -10 min: step 4 due in 20 min


def _equivocal_then_passed(patient: Patient, allergist: User, nurse: User, now: datetime) -> None:
    if _exists(patient, "[demo-equivocal]"):
        return
    protocol = _protocol("Baked-milk muffin open OFC")
    with _clock(now - timedelta(days=60, hours=-1)) as clock:
        first = _start(patient, protocol, clock.now, allergist, nurse, "[demo-equivocal]", "Baked milk ladder entry.")
        _checks(first, nurse, clock, pef=280)
        _doses(first, nurse, clock, 2)
        clock.move(minutes=15)
        runs.observation_record(
            challenge=first,
            by=nurse,
            item_code="oral_symptoms",
            severity=1,
            observed_at=clock.now,
            note="Says her mouth feels funny; no visible change",
        )
        clock.move(minutes=15)
        runs.challenge_stop(challenge=first, by=allergist, reason="Distressed and refusing; subjective symptoms only")
        _finish(
            first,
            allergist,
            clock,
            OutcomeInput(
                "equivocal",
                "Subjective oral symptoms after 195 mg of milk protein; no objective signs",
                "wao_2010",
                "",
                "rechallenge",
                False,
                "Re-challenge in 6-8 weeks.",
            ),
            sign=True,
            nurse=nurse,
        )
    with _clock(now - timedelta(days=14, hours=-1)) as clock:
        second = _start(
            patient, protocol, clock.now, allergist, nurse, "[demo-passed]", "Re-challenge after equivocal OFC."
        )
        _checks(second, nurse, clock, pef=285)
        _doses(second, nurse, clock, 4)
        _finish(
            second,
            allergist,
            clock,
            OutcomeInput(
                "passed",
                "All four doses (one baked-milk muffin) tolerated; no symptoms in 2 h",
                "wao_2010",
                "",
                "eat_regularly",
                False,
                "Baked milk (muffin) daily; keep avoiding fresh milk, yogurt and cheese; review in 3 months.",
            ),
            sign=True,
            nurse=nurse,
        )


def _failed_with_adrenaline(patient: Patient, allergist: User, nurse: User, now: datetime) -> None:
    if _exists(patient, "[demo-failed]"):
        return
    with _clock(now - timedelta(days=21, hours=-2)) as clock:
        challenge = _start(
            patient,
            _protocol("PRACTALL 7-step peanut OFC"),
            clock.now,
            allergist,
            nurse,
            "[demo-failed]",
            "Peanut avoidance since childhood; sIgE 2.1 kU/L. Diagnostic OFC.",
        )
        _checks(challenge, nurse, clock, hr=72, sbp=124, dbp=78, pef=520)
        _doses(challenge, nurse, clock, 5)
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
        alert = challenge.alerts.filter(decision="").first()
        if alert is None:
            raise RuntimeError("The demo's urticaria and wheeze raised no stop alert")
        runs.alert_decide(alert=alert, by=allergist, decision="stop", reason="Urticaria and wheeze after 300 mg")
        clock.move(minutes=30)
        runs.vitals_record(
            challenge=challenge,
            by=nurse,
            values={"taken_at": clock.now, "heart_rate": 96, "systolic": 120, "diastolic": 76, "spo2": 98, "pef": 500},
            evaluate=False,
        )
        runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=clock.now, good_response=True)
        clock.move(hours=4)
        _finish(
            challenge,
            allergist,
            clock,
            OutcomeInput(
                "failed",
                "Objective urticaria and wheeze at step 5",
                "wao_2010",
                "2b",
                "strict_avoidance",
                True,
                "Discharged well after 4 h. Two auto-injectors prescribed.",
            ),
            sign=True,
            nurse=nurse,
        )


def _fpies(patient: Patient, allergist: User, nurse: User, now: datetime) -> None:
    if _exists(patient, "[demo-fpies]"):
        return
    with _clock(now - timedelta(days=5, hours=-1)) as clock:
        challenge = _start(
            patient,
            _protocol("FPIES oral food challenge (egg, dosed per kg)"),
            clock.now,
            allergist,
            nurse,
            "[demo-fpies]",
            "Egg FPIES at 8 months; 12 months since the last episode.",
        )
        _checks(challenge, nurse, clock, hr=118, sbp=92, dbp=56)
        _doses(challenge, nurse, clock, 3)  # the portions, 30 min apart
        clock.move(minutes=150)  # then the age-appropriate serving, 2.5 h later
        _doses(challenge, nurse, clock, 1)
        clock.move(hours=2)
        follow_up = FollowUp.objects.get(challenge=challenge, hours_after=2)
        home.follow_up_record(
            follow_up=follow_up, by=nurse, method="visit", symptoms=False, findings="Playing, feeding well"
        )
        _finish(
            challenge,
            allergist,
            clock,
            OutcomeInput(
                "passed",
                "No vomiting, lethargy or pallor in 4 h",
                "sampson_2003",
                "0",
                "eat_regularly",
                False,
                "Introduce egg at home.",
            ),
            sign=False,
        )


def load_home_plans(users: dict[str, User]) -> None:
    """The `patient` login's cheesecake plan, paused after flushing; and a completed plan in the second clinic."""
    zoe = Patient.objects.get(user=users["patient"])
    allergist = users["allergist"]
    now = timezone.now().replace(second=0, microsecond=0)
    if not _exists(zoe, "[demo-home]"):
        step3 = now - timedelta(hours=40)
        with _clock(step3 - timedelta(days=6, minutes=30)) as clock:
            plan = _start(
                zoe,
                _protocol("MCAS slow home reintroduction: cheesecake"),
                clock.now,
                allergist,
                None,
                "[demo-home]",
                "MCAS on cromolyn and H1/H2 blockers; wants cheesecake back.",
            )
            for step in range(3):
                if step:
                    clock.at(step3 - timedelta(days=3 * (2 - step), minutes=30))
                # The first step is taken in clinic and recorded by the allergist; the next ones at home.
                by = allergist if step == 0 else users["patient"]
                for item in plan.protocol.premedications.filter(before_each_step=True):
                    home.patient_premedication(challenge=plan, by=by, item_id=item.pk, given_at=clock.now)
                clock.move(minutes=30)
                home.patient_dose(challenge=plan, by=by, given_at=clock.now, food_amount=None, key=uuid.uuid4())
            clock.move(hours=30)
            home.patient_symptom(
                challenge=plan,
                by=users["patient"],
                item_code="mcas_flushing",
                severity=2,
                observed_at=clock.now,
                note="Face and chest red for about an hour, felt hot",
            )
    _completed_home_plan(users)


def _completed_home_plan(users: dict[str, User]) -> None:
    allergist = users["other-allergist"]
    patient = Patient.objects.get(clinic=allergist.clinic, mrn="HB-2002")
    if _exists(patient, "[demo-home-done]"):
        return
    with _clock(timezone.now().replace(second=0, microsecond=0) - timedelta(days=30)) as clock:
        plan = _start(
            patient,
            _protocol("MCAS slow home reintroduction: cheesecake"),
            clock.now,
            allergist,
            users["other-nurse"],
            "[demo-home-done]",
            "Dairy-triggered flushing; reintroduction at home.",
        )
        for step in range(plan.protocol.steps.count()):
            if step:
                clock.move(days=3)
            runs.dose_record(
                challenge=plan,
                by=users["other-nurse"],
                food_amount=None,
                given_at=clock.now,
                idempotency_key=uuid.uuid4(),
                notes="Reported by phone",
            )
        clock.move(hours=49)
        runs.observation_finish(challenge=plan, by=allergist)
        runs.outcome_confirm(
            challenge=plan,
            by=allergist,
            data=OutcomeInput(
                "passed", "Full serving tolerated with no symptoms", "wao_2010", "", "eat_regularly", False
            ),
        )

"""Finished challenges written straight to the tables (as bench/outcomes.py does), for the outcomes tests.

Every row is one the services could have written: doses in order at 20-minute intervals, a symptom after the last
dose of a failed challenge, adrenaline as a treatment row, a home plan's pause and resumption as status events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from challenges.models import Challenge, ChallengeEvent, Dose, Observation, Treatment, TreatmentKind
from challenges.run.models import Setting, Status


def finished(
    *,
    patient,
    protocol,
    allergist,
    when: datetime,
    outcome: str,
    doses_mg: tuple[str | int, ...],
    placebo: tuple[int, ...] = (),
    grade: str = "",
    adrenaline: bool = False,
    symptom_minutes: int | None = None,
    setting: str = Setting.CLINIC,
) -> Challenge:
    """A finished challenge: completed when passed, stopped otherwise."""
    status = Status.COMPLETED if outcome == "passed" else Status.STOPPED
    challenge = Challenge.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol=protocol,
        scheduled_at=when,
        allergist=allergist,
        status=status,
        outcome=outcome,
        grade=grade,
        grade_scale="practall" if grade else "",
        setting=setting,
        blinded=bool(placebo),
    )
    given_at = when
    for n, mg in enumerate(doses_mg):
        given_at = when + timedelta(minutes=20 * n)
        Dose.objects.create(
            challenge=challenge,
            sequence=n + 1,
            step_number=n + 1,
            planned_protein_mg=Decimal(str(mg)),
            planned_food_amount=Decimal(1),
            food_amount=Decimal(1),
            protein_mg=Decimal(0) if n in placebo else Decimal(str(mg)),
            is_placebo=n in placebo,
            given_at=given_at,
            given_by=allergist,
        )
    if symptom_minutes is not None:
        Observation.objects.create(
            challenge=challenge,
            item_code="urticaria",
            severity=2,
            observed_at=given_at + timedelta(minutes=symptom_minutes),
            recorded_by=allergist,
        )
    if adrenaline:
        Treatment.objects.create(
            challenge=challenge,
            kind=TreatmentKind.ADRENALINE,
            drug="Adrenaline",
            dose="0.15 mg",
            route="im",
            given_at=given_at + timedelta(minutes=30),
            recorded_by=allergist,
        )
    return challenge


def pause_and_resume(challenge: Challenge, by, *, resumed: bool) -> None:
    ChallengeEvent.objects.create(
        challenge=challenge, kind="status", from_status=Status.DOSING, to_status=Status.PAUSED, by=by
    )
    if resumed:
        ChallengeEvent.objects.create(
            challenge=challenge, kind="status", from_status=Status.PAUSED, to_status=Status.DOSING, by=by
        )

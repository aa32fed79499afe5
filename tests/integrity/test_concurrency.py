"""Real threads with their own database connections (file SQLite or PostgreSQL): no lost or doubled writes.

Reliability plan test 16: (a) 20 stale saves of one record → 1 success and 19 conflicts naming who changed
it; (b) 50 concurrent doses to 50 challenges → 50 rows; (c) one dose form posted 10 times → 1 row. No
"database is locked" reaches the user.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from challenges.models import Dose
from challenges.run import services as runs
from clinics.services import EditConflictError, clinical_record_save
from patients.models import Patient
from tests.factories import PatientFactory
from tests.helpers import failures, run_in_threads, second_checker

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_stale_saves_give_one_success_and_nineteen_named_conflicts(nurse, patient):
    def save(index: int) -> Patient:
        stale = Patient.objects.get(pk=patient.pk)  # everyone opened version 1
        stale.notes = f"edit {index}"
        return clinical_record_save(record=stale, by=nurse, expected_version=1)

    results = run_in_threads(20, save)
    saved = [r for r in results if isinstance(r, Patient)]
    conflicts = [r for r in results if isinstance(r, EditConflictError)]
    others = [r for r in results if not isinstance(r, Patient | EditConflictError)]
    assert others == []  # no "database is locked" or any other error
    assert len(saved) == 1
    assert len(conflicts) == 19
    assert all(nurse.display_name in c.message for c in conflicts)
    patient.refresh_from_db()
    assert patient.version == 2
    assert patient.notes == saved[0].notes


def _running_challenges(count: int, protocol, clinic, allergist, nurse) -> list:
    start = timezone.now() - timedelta(minutes=10)
    challenges = []
    for _ in range(count):
        person = PatientFactory(clinic=clinic)
        challenge = runs.challenge_schedule(
            patient=person, protocol=protocol, scheduled_at=start, allergist=allergist, nurse=nurse, by=nurse
        )
        runs.checks_record(
            challenge=challenge,
            by=nurse,
            answers={
                name: True
                for name in (
                    "no_illness",
                    "asthma_eczema_controlled",
                    "no_recent_exercise",
                    "washout_confirmed",
                    "premedication_taken",
                    "consent_recorded",
                    "emergency_ready",
                )
            },
            baseline={"heart_rate": 80, "systolic": 120, "diastolic": 70},
        )
        challenges.append(challenge)
    return challenges


def test_fifty_concurrent_doses_to_fifty_challenges(practall, clinic, allergist, nurse):
    challenges = _running_challenges(50, practall, clinic, allergist, nurse)

    def dose(index: int) -> Dose:
        return runs.dose_record(
            challenge=challenges[index],
            by=nurse,
            food_amount=None,
            given_at=timezone.now(),
            idempotency_key=uuid.uuid4(),
            checked_by=second_checker(challenges[index], nurse),
        ).dose

    results = run_in_threads(50, dose)
    assert failures(results) == []
    assert all(isinstance(r, Dose) for r in results)
    assert Dose.objects.count() == 50
    assert sorted(Dose.objects.values_list("challenge_id", flat=True)) == sorted(c.pk for c in challenges)


def test_the_same_dose_form_posted_ten_times_gives_one_dose(practall, clinic, allergist, nurse):
    (challenge,) = _running_challenges(1, practall, clinic, allergist, nurse)
    key = uuid.uuid4()

    def dose(_index: int) -> Dose:
        return runs.dose_record(
            challenge=challenge,
            by=nurse,
            food_amount=None,
            given_at=timezone.now(),
            idempotency_key=key,
            checked_by=second_checker(challenge, nurse),
        ).dose

    results = run_in_threads(10, dose)
    assert failures(results) == []
    assert all(isinstance(r, Dose) for r in results)
    assert Dose.objects.count() == 1
    assert {r.pk for r in results} == {Dose.objects.get().pk}


def test_twenty_parallel_entered_in_error_markings_give_one(practall, clinic, allergist, nurse):
    """Security review M5: a second nurse or a retried click finds the dose already marked (no second marking)."""
    from clinics.models import ClinicalRecordError
    from clinics.services import clinical_record_mark_entered_in_error

    (challenge,) = _running_challenges(1, practall, clinic, allergist, nurse)
    dose = runs.dose_record(
        challenge=challenge,
        by=nurse,
        food_amount=None,
        given_at=timezone.now(),
        idempotency_key=uuid.uuid4(),
        checked_by=second_checker(challenge, nurse),  # step 1 is a mix: checked by a second person
    ).dose

    def mark(index: int) -> object:
        stale = Dose.objects.get(pk=dose.pk)
        return clinical_record_mark_entered_in_error(record=stale, by=nurse, reason=f"wrong patient ({index})")

    results = run_in_threads(20, mark)
    refused = [r for r in results if isinstance(r, ClinicalRecordError)]
    assert len(refused) == 19
    assert {r.code for r in refused} == {"already_in_error"}
    assert failures([r for r in results if not isinstance(r, ClinicalRecordError)]) == []
    assert Dose.history.filter(id=dose.pk, entered_in_error=True).count() == 1


def test_twenty_parallel_new_patients_with_one_record_number_give_one_and_form_errors(clinic, nurse):
    """Security review L2: the same MRN created 20 times at once gives one patient and 19 form errors, no 500."""
    from django.test import Client
    from django.urls import reverse

    from tests.patients.test_views import VALID_PATIENT

    def create(_index: int) -> int:
        client = Client()
        client.force_login(nurse)
        response = client.post(reverse("patients:create"), {**VALID_PATIENT, "mrn": "RACE-1"})
        if response.status_code == 200:
            assert "A patient with this MRN already exists" in response.context["form"].errors.as_text()
        return response.status_code

    results = run_in_threads(20, create)
    assert failures(results) == []
    assert sorted(results) == [200] * 19 + [302]
    assert Patient.objects.filter(mrn="RACE-1").count() == 1

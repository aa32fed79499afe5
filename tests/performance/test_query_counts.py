"""Pages issue a fixed number of SQL queries whatever the amount of data (issue 9).

Each page is measured with a small and a large data set; the counts must be equal, and are pinned.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from challenges.library.services.protocols import ProtocolDraft, draft_from_protocol, protocol_create
from challenges.models import Protocol
from challenges.run import services as runs
from clinical.plan import PlannedStep
from clinics import page_cache
from tests.factories import MedicationFactory, PatientFactory, TriggerFactory
from tests.helpers import second_checker
from tests.run.helpers import PASSING_CHECKS


def _count(client, url: str) -> int:
    """Queries of one request in steady state: after a first request, which may also extend the session."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _counts(client, url: str) -> tuple[int, int]:
    """Queries of a page rendered once per version (clinics.page_cache), in steady state: rendered (a miss), then
    served from the cache (a hit)."""
    client.get(url)
    caches[page_cache.CACHE_ALIAS].clear()
    counts = []
    for _served in ("rendered", "from the cache"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts.append(len(queries))
    return counts[0], counts[1]


def _long_protocol(practall, steps: int) -> Protocol:
    base = draft_from_protocol(practall, name=f"Long {steps}")
    planned = tuple(PlannedStep(n, Decimal(3 * n), None, "", 15) for n in range(1, steps + 1))
    return protocol_create(clinic=None, by=None, draft=ProtocolDraft(**{**base.__dict__, "steps": planned}))


def _run(challenge, nurse, clock, doses: int, findings: int) -> None:
    answers = {
        k: True
        for k in PASSING_CHECKS
        if not k.startswith("baseline")
        and k not in ("heart_rate", "systolic", "diastolic", "resp_rate", "spo2", "temperature_c", "pef")
    }
    runs.checks_record(
        challenge=challenge, by=nurse, answers=answers, baseline={"heart_rate": 80, "systolic": 120, "diastolic": 70}
    )
    for _ in range(doses):
        runs.dose_record(
            challenge=challenge,
            by=nurse,
            food_amount=None,
            given_at=clock.now,
            idempotency_key=uuid.uuid4(),
            checked_by=second_checker(challenge, nurse),
        )
        clock.move(minutes=30)
    for n in range(findings):
        runs.vitals_record(
            challenge=challenge,
            by=nurse,
            values={"taken_at": clock.now - timedelta(minutes=n % 10), "heart_rate": 80 + n % 5},
            evaluate=False,
        )
        runs.treatment_record(
            challenge=challenge, by=nurse, kind="other", drug="Water", dose="50 mL", route="oral", given_at=clock.now
        )


@pytest.mark.parametrize("size", ["small", "large"])
def test_challenge_page_queries_do_not_grow(client, practall, patient, allergist, nurse, clock, size):
    protocol = practall if size == "small" else _long_protocol(practall, 30)
    challenge = runs.challenge_schedule(
        patient=patient, protocol=protocol, scheduled_at=clock.now, allergist=allergist, nurse=nurse, by=nurse
    )
    _run(challenge, nurse, clock, doses=3 if size == "small" else 25, findings=2 if size == "small" else 60)
    for _ in range(2 if size == "small" else 20):
        MedicationFactory(patient=patient)
    client.force_login(nurse)
    counts = _counts(client, reverse("challenges:detail", args=[challenge.pk]))
    assert counts == (CHALLENGE_PAGE_QUERIES, CHALLENGE_PAGE_HIT_QUERIES)


@pytest.mark.parametrize("patients", [3, 60])
def test_patient_list_and_detail_queries_do_not_grow(client, clinic, nurse, patients):
    people = [PatientFactory(clinic=clinic, conditions=["mcas"], other_conditions="Coeliac") for _ in range(patients)]
    for person in people[:3]:
        TriggerFactory(patient=person)
        MedicationFactory(patient=person)
    client.force_login(nurse)
    assert _count(client, reverse("patients:list")) == PATIENT_LIST_QUERIES
    assert _count(client, reverse("patients:list") + "?page=2") == PATIENT_LIST_QUERIES
    # A search, page by page: the rows read only the columns the list loads (patients.views.LIST_COLUMNS).
    assert _count(client, reverse("patients:list") + "?q=sentinel") == PATIENT_LIST_QUERIES
    assert _count(client, reverse("patients:list") + "?q=sentinel&page=2") == PATIENT_LIST_QUERIES
    counts = _counts(client, reverse("patients:detail", args=[people[0].pk]))
    assert counts == (PATIENT_DETAIL_QUERIES, PATIENT_DETAIL_HIT_QUERIES)


CHALLENGE_PAGE_QUERIES = 26  # 2 write the access-log row (audit); lot: + food packs, + staff for the dose form;
# ladders: + the linked challenges (X5); h20page: + the page version (the access check), before the page's own load
CHALLENGE_PAGE_HIT_QUERIES = 6  # session, user, clinic; the page version (the access check); the access-log row
PATIENT_LIST_QUERIES = 5  # session, user, clinic; the count, the page's rows
PATIENT_DETAIL_QUERIES = 11  # 2 of them write the access-log row (audit); h18diag: + the allergy test results;
# h20page: + the page versions of the patient's challenges
PATIENT_DETAIL_HIT_QUERIES = 7  # session, user, clinic, the patient (the access check), the access-log row, versions

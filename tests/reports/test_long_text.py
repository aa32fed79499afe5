"""Long ordinary text prints in every PDF: a cell taller than a page splits across pages (never a 500).

Each free-text field is filled to its cap (the form's max_length) with plain words, then every report of the
challenge and its patient is fetched through its real URL and read back: the text's last words are printed.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.models import Challenge, Dose, Observation, Treatment
from challenges.run.forms.reasons import MAX_REASON
from patients.models import Trigger
from tests.reports.helpers import text

pytestmark = pytest.mark.django_db


def words(length: int, tail: str) -> str:
    """Plain words, `length` characters in all, ending in `tail` (the marker looked for in the PDF)."""
    body = ("wheal and flare on the forearm " * (length // 31 + 1))[: length - len(tail) - 1]
    return f"{body.rstrip()} {tail}"[:length]


PRINTED_ON_THE_REPORT = (
    "TRIGGEREND",
    "INDICATIONEND",
    "OUTCOMEEND",
    "DISCHARGEEND",
    "OVERRIDEEND",
    "FINDINGEND",
    "ERRORREASONEND",
    "TREATMENTEND",
)


def put(record, **values) -> None:
    """Set fields on one record and save it (clinical rows take no bulk update: each change keeps its history)."""
    for name, value in values.items():
        setattr(record, name, value)
    record.save()


@pytest.fixture
def wordy(failed, allergist):
    """The failed PRACTALL challenge with every printed free-text field at its cap."""
    challenge: Challenge = failed
    put(challenge.patient, notes=words(10_000, "PATIENTNOTESEND"), emergency_plan_notes=words(2000, "EMERGENCYEND"))
    Trigger.objects.create(patient=challenge.patient, substance="Sesame", notes=words(4000, "TRIGGEREND"))
    put(
        challenge,
        indication=words(2000, "INDICATIONEND"),
        outcome_reason=words(MAX_REASON, "OUTCOMEEND"),
        discharge_notes=words(MAX_REASON, "DISCHARGEEND"),
        checks_override_reason=words(MAX_REASON, "OVERRIDEEND"),
    )
    for finding in Observation.objects.filter(challenge=challenge):
        if finding.entered_in_error:
            put(finding, entered_in_error_reason=words(MAX_REASON, "ERRORREASONEND"))
        else:
            put(finding, note=words(1000, "FINDINGEND"))
    for treatment in Treatment.objects.filter(challenge=challenge):
        put(treatment, notes=words(500, "TREATMENTEND"))
    for dose in Dose.objects.filter(challenge=challenge):
        put(dose, notes=words(500, "DOSENOTEEND"))
    challenge.refresh_from_db()
    return challenge


def test_the_challenge_report_prints_every_long_field(client, wordy, allergist):
    client.force_login(allergist)
    response = client.get(reverse("challenges:report", args=[wordy.pk]))
    assert response.status_code == HTTPStatus.OK
    printed = text(response.content)
    for marker in PRINTED_ON_THE_REPORT:
        assert marker in printed, marker


def test_a_challenge_with_long_fields_is_signed_and_its_signed_copy_prints_them(client, wordy, allergist):
    client.force_login(allergist)
    response = client.post(reverse("challenges:sign", args=[wordy.pk]), {"observation_override_reason": ""})
    assert response.status_code == HTTPStatus.FOUND
    wordy.refresh_from_db()
    assert wordy.is_signed
    printed = text(client.get(reverse("challenges:report", args=[wordy.pk])).content)
    for marker in PRINTED_ON_THE_REPORT:
        assert marker in printed, marker


def test_the_patient_summary_prints_every_long_field(client, wordy, allergist):
    client.force_login(allergist)
    response = client.get(reverse("challenges:patient-summary", args=[wordy.patient_id]))
    assert response.status_code == HTTPStatus.OK
    assert "TRIGGEREND" in text(response.content)


def test_the_preparation_sheet_renders_with_long_fields(client, wordy, nurse):
    client.force_login(nurse)
    response = client.get(reverse("challenges:preparation-sheet", args=[wordy.pk]))
    assert response.status_code == HTTPStatus.OK
    assert response.content.startswith(b"%PDF")

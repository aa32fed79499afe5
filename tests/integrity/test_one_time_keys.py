"""Every create carries a one-time key (security review M4, L3): a form sent twice, in turn or at once, writes once
and the repeat is told so and shown what the first made."""

from __future__ import annotations

import re
import uuid
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from challenges.models import Challenge
from patients.models import Patient, Trigger
from tests.helpers import failures, run_in_threads
from tests.patients.test_views import VALID_PATIENT

ALREADY = "This was already recorded"


def booking(practall, allergist, nurse, key: uuid.UUID) -> dict[str, str]:
    return {
        "protocol": str(practall.pk),
        "scheduled_at": "2026-12-01T09:00",
        "purpose": "diagnosis",
        "allergist": str(allergist.pk),
        "nurse": str(nurse.pk),
        "indication": "Peanut sensitised; confirm tolerance.",
        "placebo_doses": "",
        "submission_key": str(key),
    }


@pytest.mark.django_db
def test_the_booking_form_carries_a_fresh_key_each_time_it_is_drawn(client, patient, nurse):
    client.force_login(nurse)
    url = reverse("challenges:schedule", args=[patient.pk])
    keys = [re.search(r'name="submission_key" value="([0-9a-f-]{36})"', client.get(url).content.decode()) for _ in "ab"]
    assert all(keys)
    assert keys[0].group(1) != keys[1].group(1)


@pytest.mark.django_db
def test_a_booking_sent_twice_books_once_and_the_repeat_lands_on_it(client, patient, practall, allergist, nurse, clock):
    client.force_login(nurse)
    url = reverse("challenges:schedule", args=[patient.pk])
    data = booking(practall, allergist, nurse, uuid.uuid4())
    first = client.post(url, data)
    assert first.status_code == HTTPStatus.FOUND
    again = client.post(url, data, follow=True)
    assert again.redirect_chain[-1][0] == first["Location"]
    assert ALREADY in again.content.decode()
    assert Challenge.objects.filter(patient=patient).count() == 1
    assert client.post(url, booking(practall, allergist, nurse, uuid.uuid4())).status_code == HTTPStatus.FOUND
    assert Challenge.objects.filter(patient=patient).count() == 2  # a new form is a new booking


@pytest.mark.django_db
def test_a_trigger_sent_twice_is_added_once(client, patient, nurse):
    client.force_login(nurse)
    url = reverse("patients:trigger-create", args=[patient.pk])
    data = {"substance": "Sesame", "reaction_type": "ige", "notes": "", "submission_key": str(uuid.uuid4())}
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    again = client.post(url, data, follow=True)
    assert ALREADY in again.content.decode()
    assert Trigger.objects.filter(patient=patient, substance="Sesame").count() == 1


@pytest.mark.django_db
def test_a_key_from_another_user_is_refused_without_showing_what_it_made(client, patient, nurse, allergist):
    key = str(uuid.uuid4())
    client.force_login(nurse)
    url = reverse("patients:trigger-create", args=[patient.pk])
    client.post(url, {"substance": "Sesame", "reaction_type": "ige", "notes": "", "submission_key": key})
    client.force_login(allergist)
    response = client.post(url, {"substance": "Egg", "reaction_type": "ige", "notes": "", "submission_key": key})
    assert response.status_code == HTTPStatus.OK
    assert ALREADY in response.content.decode()
    assert not Trigger.objects.filter(substance="Egg").exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_bookings_of_one_form_book_once(patient, practall, allergist, nurse):
    key = uuid.uuid4()
    url = reverse("challenges:schedule", args=[patient.pk])

    def send(_index: int) -> int:
        client = Client()
        client.force_login(nurse)
        return client.post(url, booking(practall, allergist, nurse, key)).status_code

    results = run_in_threads(20, send)
    assert failures(results) == []
    assert set(results) == {HTTPStatus.FOUND}
    assert Challenge.objects.filter(patient=patient).count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_new_patient_forms_create_one(clinic, nurse):
    key = str(uuid.uuid4())

    def send(_index: int) -> int:
        client = Client()
        client.force_login(nurse)
        response = client.post(reverse("patients:create"), {**VALID_PATIENT, "submission_key": key})
        if response.status_code == HTTPStatus.OK:  # it validated while the first was being saved: the MRN is taken
            assert "A patient with this MRN already exists" in response.context["form"].errors.as_text()
        return response.status_code

    results = run_in_threads(20, send)
    assert failures(results) == []
    assert set(results) <= {HTTPStatus.FOUND, HTTPStatus.OK}
    assert Patient.objects.filter(mrn=VALID_PATIENT["mrn"]).count() == 1

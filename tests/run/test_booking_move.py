"""At booking, a stop-by date already past: "move the booking to the earliest date" is one click that checks again."""

from __future__ import annotations

import re
from datetime import datetime
from http import HTTPStatus

from django.urls import reverse

from challenges.models import Challenge
from tests.factories import MedicationFactory
from tests.helpers import LONDON
from tests.run.helpers import db_state

SATURDAY = "2026-11-28T09:00"  # the 7-day stop-by date for cetirizine (Sat 21 Nov) is already past
EARLIEST = "2026-12-04T09:00"


def _booking(practall, allergist, nurse, **extra) -> dict[str, str]:
    return {
        "protocol": str(practall.pk),
        "scheduled_at": SATURDAY,
        "purpose": "diagnosis",
        "allergist": str(allergist.pk),
        "nurse": str(nurse.pk),
        "indication": "Peanut sensitised; confirm tolerance.",
        "placebo_doses": "",
        **extra,
    }


def _reviewed(page: str) -> str:
    return re.search(r'name="reviewed" value="([0-9a-f]+)"', page).group(1)


def _first_check(client, url, practall, allergist, nurse) -> str:
    page = client.post(url, _booking(practall, allergist, nurse, schedule="1")).content.decode()
    assert "Too late to stop Cetirizine 10 mg" in page
    assert f'name="book_earliest" value="{EARLIEST}"' in page
    assert "Move the booking to Fri 4 Dec 2026 09:00 and schedule" in page
    return _reviewed(page)


def test_one_click_moves_the_booking_to_the_earliest_date_and_books_it(
    client, patient, practall, allergist, nurse, clock
):
    MedicationFactory(patient=patient, name="Cetirizine", dose="10 mg", med_class="h1_antihistamine")
    client.force_login(allergist)
    url = reverse("challenges:schedule", args=[patient.pk])
    seen = _first_check(client, url, practall, allergist, nurse)
    assert not Challenge.objects.exists()
    response = client.post(url, _booking(practall, allergist, nurse, book_earliest=EARLIEST, reviewed=seen))
    assert response.status_code == HTTPStatus.FOUND
    challenge = Challenge.objects.get(patient=patient)
    assert challenge.scheduled_at == datetime(2026, 12, 4, 9, 0, tzinfo=LONDON)
    page = client.get(response["Location"]).content.decode()
    assert "Stop Cetirizine 10 mg (H1 antihistamine) by Fri 27 Nov 2026 09:00" in page  # still shown, with its date


def test_a_new_medicine_since_the_check_is_shown_not_booked(client, patient, practall, allergist, nurse, clock):
    MedicationFactory(patient=patient, name="Cetirizine", dose="10 mg", med_class="h1_antihistamine")
    client.force_login(allergist)
    url = reverse("challenges:schedule", args=[patient.pk])
    seen = _first_check(client, url, practall, allergist, nurse)
    MedicationFactory(patient=patient, name="Famotidine", dose="20 mg", med_class="h2_blocker")
    before = db_state()
    response = client.post(url, _booking(practall, allergist, nurse, book_earliest=EARLIEST, reviewed=seen))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Stop Famotidine 20 mg (H2 blocker) by Thu 3 Dec 2026 09:00" in page  # the check on the new date
    assert f'name="scheduled_at" value="{EARLIEST}"' in page
    assert db_state() == before
    # Scheduling with the check just shown books it.
    data = _booking(practall, allergist, nurse, schedule="1", reviewed=_reviewed(page), scheduled_at=EARLIEST)
    assert client.post(url, data).status_code == HTTPStatus.FOUND


def test_without_the_shown_check_nothing_is_booked(client, patient, practall, allergist, nurse, clock):
    MedicationFactory(patient=patient, name="Cetirizine", dose="10 mg", med_class="h1_antihistamine")
    client.force_login(allergist)
    url = reverse("challenges:schedule", args=[patient.pk])
    response = client.post(url, _booking(practall, allergist, nurse, book_earliest=EARLIEST, reviewed="0" * 32))
    assert response.status_code == HTTPStatus.OK
    assert not Challenge.objects.exists()

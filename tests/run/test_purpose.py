"""The challenge's purpose (R7): required when booking, kept on the challenge, shown in the bedside page header."""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.models import Challenge
from tests.integrity.test_one_time_keys import booking


@pytest.mark.django_db
def test_booking_without_a_purpose_is_refused_and_with_one_it_is_kept(
    client, patient, practall, allergist, nurse, clock
):
    client.force_login(nurse)
    url = reverse("challenges:schedule", args=[patient.pk])
    form_page = client.get(url).content.decode()
    assert "Threshold determination" in form_page
    assert "OIT exit / sustained unresponsiveness" in form_page
    data = {**booking(practall, allergist, nurse, uuid.uuid4()), "purpose": ""}
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.OK
    assert "Say why this challenge is done." in response.content.decode()
    assert not Challenge.objects.filter(patient=patient).exists()
    response = client.post(url, {**data, "purpose": "made_up"})
    assert response.context["form"].errors["purpose"]
    assert not Challenge.objects.filter(patient=patient).exists()
    assert client.post(url, {**data, "purpose": "resolution"}).status_code == HTTPStatus.FOUND
    challenge = Challenge.objects.get(patient=patient)
    assert challenge.purpose == "resolution"
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    header = page[page.index('data-testid="purpose"') :]
    assert header.split("</div>")[0].endswith("Purpose: Resolution / tolerance after avoidance")


def test_an_older_challenge_without_a_purpose_says_not_recorded(client, nurse, challenge):
    assert challenge.purpose == ""
    client.force_login(nurse)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "Purpose: not recorded" in page

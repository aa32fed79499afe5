"""The home plan's safety framing through real URLs and the printed plan (docs/clinical-sources.md §11.1): the first
step in clinic, an adult present, cofactors, the keep-eating instruction and the composite-food note."""

from __future__ import annotations

import re
import uuid
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.run.models import Challenge
from tests.helpers import START
from tests.reports.helpers import text
from tests.run.helpers import local

COMPOSITE = "Cheesecake is made of several ingredients: if you react, the reaction cannot be pinned on one of them"
IN_CLINIC = "Your first step is taken in clinic, with the clinic team watching."
ADULT = "After each step, rest and have an adult stay with you for 2 hours."
COFACTORS = "avoid exercise, hot baths or showers, alcohol and anti-inflammatory painkillers (NSAIDs such as ibuprofen)"
KEEP_EATING = "Between steps, keep eating the last amount of cheesecake you tolerated every day, until the next step."


@pytest.fixture
def booked(client, home_protocol, patient, patient_user, allergist, nurse):
    """The MCAS cheesecake plan booked through the booking page, with the protocol's defaults."""

    def book(**extra: str) -> Challenge:
        client.force_login(nurse)
        data = {
            "protocol": str(home_protocol.pk),
            "scheduled_at": local(START),
            "purpose": "diagnosis",
            "allergist": str(allergist.pk),
            "nurse": str(nurse.pk),
            "indication": "MCAS; wants cheesecake back.",
            "placebo_doses": "",
            **extra,
        }
        url = reverse("challenges:schedule", args=[patient.pk])
        response = client.post(url, data)
        if response.status_code == HTTPStatus.OK:  # the medication check (premedication missing from the list):
            reviewed = re.search(r'name="reviewed" value="([0-9a-f]+)"', response.content.decode())
            assert reviewed, response.content.decode()[-2000:]  # shown, then booked with it seen
            response = client.post(url, {**data, "reviewed": reviewed.group(1)})
        assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-2000:]
        return Challenge.objects.get(patient=patient)

    return book


def _take_step(client, plan, now):
    data = {"given_at": local(now), "idempotency_key": str(uuid.uuid4()), "ate_all": "on"}
    return client.post(reverse("challenges:home-step", args=[plan.pk]), data)


def test_the_first_step_is_taken_in_clinic_by_default(client, booked, patient_user, nurse, clock):
    plan = booked()
    assert plan.first_step_in_clinic
    client.force_login(patient_user)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert "This first step is taken in clinic, with the clinic team" in page
    assert 'data-testid="take-step"' not in page
    refused = _take_step(client, plan, clock.now)
    assert refused.status_code != HTTPStatus.FOUND
    assert "Your first step is taken in clinic" in refused.content.decode()
    assert not plan.doses.exists()
    # The clinic team records it (at the supervised visit); step 2 is then the patient's.
    client.force_login(nurse)
    staff_page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert 'data-testid="take-step"' in staff_page
    assert _take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND
    assert plan.doses.get().source == "clinician"
    clock.move(days=3)
    client.force_login(patient_user)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert "This first step is taken in clinic" not in page
    assert _take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND


def test_booking_may_let_the_first_step_be_taken_at_home(client, booked, patient_user, clock):
    plan = booked(first_step_in_clinic="false")
    assert not plan.first_step_in_clinic
    client.force_login(patient_user)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert 'data-testid="take-step"' in page
    assert IN_CLINIC not in page
    assert _take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND


def test_the_plan_page_shows_the_safety_framing_and_the_composite_note(client, booked, patient_user, clock):
    plan = booked()
    client.force_login(patient_user)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    advice = page[page.index('data-testid="advice"') :]
    for line in (IN_CLINIC, ADULT, COFACTORS, KEEP_EATING, COMPOSITE, "Do not take a step while you are unwell"):
        assert line in advice
    # The gentle ladder: ten steps, the second 0.25 g (docs/clinical-sources.md §11.1).
    assert "step 1 of 10" in page
    assert "Step 2</strong>: 0.25 g" in page


def test_the_printed_home_plan_has_the_same_framing(client, booked, patient_user, clock):
    plan = booked()
    client.force_login(patient_user)
    response = client.get(reverse("challenges:home-plan-pdf", args=[plan.pk]))
    assert response.status_code == HTTPStatus.OK
    body = text(response.content)
    assert "Around each step" in body
    for line in (IN_CLINIC, ADULT, KEEP_EATING, "Do not take a step while you are unwell"):
        assert line in body
    assert "alcohol and anti-inflammatory painkillers (NSAIDs such as ibuprofen)" in body
    assert "Cheesecake is made of several ingredients" in body
    assert "2 Sun 29 Nov 2026 0.25 g" in body


def test_without_maintenance_the_plan_says_not_to_eat_it_between_steps(client, booked, home_protocol, patient_user):
    home_protocol.keep_eating_between_steps = False
    home_protocol.save()
    plan = booked()
    client.force_login(patient_user)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert "Between steps, do not eat cheesecake apart from the planned steps." in page
    assert KEEP_EATING not in page


def test_a_single_ingredient_food_has_no_composite_note(client, booked, home_protocol, patient_user):
    home_protocol.food.is_composite = False
    home_protocol.food.save()
    plan = booked()
    client.force_login(patient_user)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert "made of several ingredients" not in page

"""A private, revocable calendar subscription per patient (issue 18): the secret is shown once and stored hashed;
the feed needs no session; the patient or the clinic makes a new link (the old one stops) or stops it."""

from __future__ import annotations

import hashlib
import re
import uuid
from http import HTTPStatus

import pytest
import vobject
from django.urls import reverse
from icalendar import Calendar

from challenges.home import services as home
from challenges.models import CalendarFeed
from clinical.errors import DomainError


def issue(client, user, patient) -> str:
    """Make a link through the page; returns the feed's path (the secret is in it)."""
    client.force_login(user)
    response = client.post(reverse("challenges:calendar-link", args=[patient.pk]), {"action": "issue"})
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    (link,) = re.findall(r"<code>(http[^<]+)</code>", page)
    return link.removeprefix("http://testserver")


def test_the_patient_makes_a_link_and_the_phone_fetches_it_without_signing_in(client, plan, patient_user, patient):
    client.force_login(patient_user)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert reverse("challenges:calendar-link", args=[patient.pk]) in page
    path = issue(client, patient_user, patient)
    token = path.split("/")[-2]
    assert len(token) >= 43
    feed = CalendarFeed.objects.get(patient=patient)
    assert feed.token_sha256 == hashlib.sha256(token.encode()).hexdigest()  # only the hash is stored
    assert token not in str(CalendarFeed.objects.values_list().get())
    assert token not in client.get(reverse("challenges:calendar-link", args=[patient.pk])).content.decode()  # once

    client.logout()
    response = client.get(path)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    steps = [e for e in Calendar.from_ical(response.content).walk("VEVENT") if "-step-" in str(e["uid"])]
    assert len(steps) == 20  # ten steps and their cromolyn reminders
    card = vobject.readOne(response.content.decode(), validate=True)
    assert len(card.vevent_list) == 23
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.content.decode()
    assert "sessionid" not in response.cookies


def test_the_feed_follows_the_plan_a_pause_cancels_the_steps_to_come(client, plan, patient_user, patient, clock):
    path = issue(client, patient_user, patient)
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    clock.move(hours=30)
    home.patient_symptom(challenge=plan, by=patient_user, item_code="mcas_flushing", severity=2, observed_at=clock.now)
    client.logout()
    events = Calendar.from_ical(client.get(path).content).walk("VEVENT")
    future = [e for e in events if "-step-" in str(e["uid"]) and e.start > clock.now]
    assert len(future) == 18
    assert {str(e["status"]) for e in future} == {"CANCELLED"}
    assert not [e for e in future if e.walk("VALARM")]


def test_a_new_link_stops_the_old_one_and_staff_can_stop_it(client, plan, patient_user, patient, nurse):
    first = issue(client, patient_user, patient)
    second = issue(client, nurse, patient)  # the clinic makes a new one: the first stops at once
    client.logout()
    assert client.get(first).status_code == HTTPStatus.NOT_FOUND
    assert client.get(second).status_code == HTTPStatus.OK
    client.force_login(nurse)
    response = client.post(reverse("challenges:calendar-link", args=[patient.pk]), {"action": "revoke"})
    assert response.status_code == HTTPStatus.FOUND
    client.logout()
    assert client.get(second).status_code == HTTPStatus.NOT_FOUND
    feeds = CalendarFeed.objects.filter(patient=patient).order_by("created_at", "pk")
    assert [(f.created_by, f.revoked_by) for f in feeds] == [(patient_user, nurse), (nurse, nurse)]  # kept on record
    client.force_login(patient_user)
    page = client.get(reverse("challenges:calendar-link", args=[patient.pk])).content.decode()
    assert "No link is active." in page


def test_outsiders_cannot_manage_a_patients_link(client, patient, other_patient_user, other_clinic_nurse):
    for user in (other_patient_user, other_clinic_nurse):
        client.force_login(user)
        url = reverse("challenges:calendar-link", args=[patient.pk])
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
        assert client.post(url, {"action": "issue"}).status_code == HTTPStatus.NOT_FOUND
    assert not CalendarFeed.objects.exists()


def test_the_service_refuses_anyone_but_the_patient_or_their_clinic(patient, other_clinic_nurse):
    with pytest.raises(DomainError) as refused:
        home.calendar_feed_issue(patient=patient, by=other_clinic_nurse)
    assert refused.value.code == "not_owner"


def test_an_unknown_action_is_refused(client, patient, patient_user):
    client.force_login(patient_user)
    response = client.post(reverse("challenges:calendar-link", args=[patient.pk]), {"action": "delete"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not CalendarFeed.objects.exists()


def test_malformed_and_overlong_secrets_are_404(client, db):
    for token in ("x", "a" * 200):
        assert client.get(reverse("challenges:calendar-feed", args=[token])).status_code == HTTPStatus.NOT_FOUND

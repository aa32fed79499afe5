"""`load_demo` creates the cast once, refuses production, and its logins work."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from clinics.models import User
from patients.models import Patient


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_load_demo_twice_creates_nothing_twice(settings):
    settings.DEBUG = True
    call_command("load_demo")
    first = _row_counts()
    call_command("load_demo")
    assert _row_counts() == first
    assert first["clinics.Clinic"] == 2
    assert first["patients.Patient"] >= 6


@pytest.mark.django_db
def test_load_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("load_demo")
    assert not User.objects.exists()
    call_command("load_demo", "--force")
    assert User.objects.filter(username="allergist").exists()


@pytest.mark.django_db
def test_demo_logins_and_patient_link(client, settings):
    settings.DEBUG = True
    call_command("load_demo")
    zoe = Patient.objects.get(user__username="patient")
    assert zoe.full_name == "Zoë Ångström-Nguyễn"
    assert "mcas" in zoe.conditions
    assert {"Dairy (cow's milk)", "Corn", "Soy"} <= set(zoe.triggers.values_list("substance", flat=True))
    for username in ("allergist", "nurse", "patient", "other-nurse"):
        response = client.post(reverse("login"), {"username": username, "password": "stepwise-demo"})
        assert response.status_code == HTTPStatus.FOUND, username
        client.logout()
    other = User.objects.get(username="other-nurse")
    assert other.clinic != User.objects.get(username="nurse").clinic

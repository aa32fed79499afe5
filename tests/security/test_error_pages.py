"""A page of another clinic, or one a role may not open, is the app's own 404 with a way back, under DEBUG as in
production (UX walk: Django's yellow DEBUG page and a bare 'Not Found' left a nurse stranded)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from clinics.middleware import BrandedErrorPagesMiddleware
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [True, False])
def test_another_clinics_patient_is_a_branded_404_with_a_way_back(client, nurse, other_clinic, settings, debug):
    other_patient = PatientFactory(clinic=other_clinic, family_name="Harbourperson", mrn="H-1")
    settings.DEBUG = debug
    client.force_login(nurse)
    response = client.get(reverse("patients:detail", args=[other_patient.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    page = response.content.decode()
    assert 'data-testid="not-found"' in page
    assert "some pages are for allergists only" in page
    assert f'href="{reverse("challenges:board")}"' in page
    assert other_patient.family_name not in page


def test_a_page_for_allergists_only_opened_by_a_nurse_is_the_same_page(client, nurse, settings):
    settings.DEBUG = True
    client.force_login(nurse)
    response = client.get(reverse("audit:event-list"))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert 'data-testid="not-found"' in response.content.decode()


def test_a_refusal_with_a_reason_says_it(rf: RequestFactory, nurse):
    request = rf.get("/")
    request.user = nurse
    response = BrandedErrorPagesMiddleware(lambda r: None).process_exception(  # type: ignore[arg-type]
        request, PermissionDenied("Only allergists can sign a challenge.")
    )
    assert response is not None
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Only allergists can sign a challenge." in response.content.decode()

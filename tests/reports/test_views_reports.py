"""PDF downloads through real URLs: who may download what, and how it is served."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.reports.helpers import text

# The report URLs under the `challenges` namespace, as challenges/urls.py includes them.


def _urls(challenge) -> dict[str, str]:
    return {
        "report": reverse("challenges:report", args=[challenge.pk]),
        "preparation": reverse("challenges:preparation-sheet", args=[challenge.pk]),
        "summary": reverse("challenges:patient-summary", args=[challenge.patient_id]),
    }


def _assert_pdf(response, filename: str) -> str:
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    return text(response.content)


@pytest.mark.parametrize("who", ["allergist", "nurse"])
def test_clinic_staff_download_every_report(client, request, failed, who):
    client.force_login(request.getfixturevalue(who))
    urls = _urls(failed)
    body = _assert_pdf(client.get(urls["report"]), f"challenge-report-{failed.pk}.pdf")
    assert "Zoë Ångström-Nguyễn" in body
    assert "Eliciting dose (discrete) 300 mg" in body
    assert "UNSIGNED DRAFT" in body
    body = _assert_pdf(client.get(urls["preparation"]), f"dose-preparation-{failed.pk}.pdf")
    assert "Dose-preparation sheet" in body
    body = _assert_pdf(client.get(urls["summary"]), "patient-summary-a-0001.pdf")
    assert "Foods failed (not tolerated)" in body


def test_a_signed_report_is_served_exactly_as_stored(client, allergist, signed_failed):
    client.force_login(allergist)
    response = client.get(_urls(signed_failed)["report"])
    assert response.status_code == HTTPStatus.OK
    assert response.content == bytes(signed_failed.signed_pdf)
    assert "Signed by Amira Okafor" in text(response.content)


def test_staff_of_another_clinic_get_404(client, other_clinic_nurse, failed, home_challenge):
    client.force_login(other_clinic_nurse)
    urls = [*_urls(failed).values(), reverse("challenges:home-plan-pdf", args=[home_challenge.pk])]
    for url in urls:
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url


def test_anonymous_users_are_sent_to_log_in(client, failed, home_challenge):
    urls = [*_urls(failed).values(), reverse("challenges:home-plan-pdf", args=[home_challenge.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(reverse("login"))


def test_the_patient_gets_their_home_plan_and_summary_only(client, patient_user, failed, home_challenge):
    client.force_login(patient_user)
    body = _assert_pdf(
        client.get(reverse("challenges:home-plan-pdf", args=[home_challenge.pk])), f"home-plan-{home_challenge.pk}.pdf"
    )
    assert "Your home plan: Cheesecake" in body
    _assert_pdf(client.get(_urls(failed)["summary"]), "patient-summary-a-0001.pdf")
    # Clinical documents are for staff.
    assert client.get(_urls(failed)["report"]).status_code == HTTPStatus.NOT_FOUND
    assert client.get(_urls(failed)["preparation"]).status_code == HTTPStatus.NOT_FOUND


def test_a_patient_cannot_get_another_patients_documents(client, patient_user, other_patient, home_challenge):
    client.force_login(patient_user)
    summary = reverse("challenges:patient-summary", args=[other_patient.pk])
    assert client.get(summary).status_code == HTTPStatus.NOT_FOUND
    home_challenge.patient = other_patient
    home_challenge.save()
    assert client.get(reverse("challenges:home-plan-pdf", args=[home_challenge.pk])).status_code == HTTPStatus.NOT_FOUND


def test_a_clinic_challenge_has_no_home_plan(client, nurse, failed):
    client.force_login(nurse)
    assert client.get(reverse("challenges:home-plan-pdf", args=[failed.pk])).status_code == HTTPStatus.NOT_FOUND


def test_downloads_are_get_only(client, nurse, failed):
    client.force_login(nurse)
    assert client.post(_urls(failed)["report"]).status_code == HTTPStatus.METHOD_NOT_ALLOWED

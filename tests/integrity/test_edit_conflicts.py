"""Two people editing the same record: the later save from a stale page is refused and says who changed it."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse

from tests.patients.test_views import VALID_PATIENT


def test_stale_edit_is_refused_and_names_who_changed_it(client, nurse, allergist, patient):
    client.force_login(nurse)
    form = client.get(reverse("patients:edit", args=[patient.pk])).context["form"]
    seen = form["seen_version"].value()
    assert seen == 1
    client.force_login(allergist)
    first = client.post(
        reverse("patients:edit", args=[patient.pk]),
        {**VALID_PATIENT, "mrn": patient.mrn, "weight_kg": "61", "seen_version": seen},
    )
    assert first.status_code == HTTPStatus.FOUND
    client.force_login(nurse)
    stale = client.post(
        reverse("patients:edit", args=[patient.pk]),
        {**VALID_PATIENT, "mrn": patient.mrn, "weight_kg": "59", "seen_version": seen},
    )
    assert stale.status_code == HTTPStatus.OK
    page = stale.content.decode()
    assert allergist.display_name in page  # "Amira Okafor"
    assert "after you opened it" in page
    patient.refresh_from_db()
    assert patient.weight_kg == 61
    assert patient.version == 2

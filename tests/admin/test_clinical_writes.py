"""The admin never writes what the app forbids: no history revert (even for a superuser, even on a signed challenge),
no edit of challenge records or of the library (standard or the clinic's own), and patients, triggers and
medications only through the app's own forms and save service (C1, H4)."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.contrib import admin
from django.utils import timezone

from audit.models import AuditEvent
from challenges.models import Dose, Food, Protocol, ProtocolStep
from clinics.models import Clinic, User
from clinics.services import clinical_record_mark_entered_in_error, clinical_record_save
from patients.models import Patient, Trigger
from tests.admin.conftest import model_permissions
from tests.admin.support import (
    admin_url,
    db_state,
    history_form_url,
    keeps_history,
    latest_history_id,
    tampered_form_data,
)
from tests.admin.test_every_model import ADMIN_MODELS
from tests.factories import PatientFactory


def _form_data(client, url: str) -> dict[str, Any]:
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {"_save": "Save"}
    for bound in form:
        value = bound.value()
        if value is None or value is False:
            continue
        data[bound.html_name] = value
    return data


@pytest.fixture
def patient_editor(make_staff, client) -> User:
    user = make_staff(*model_permissions(Patient, ["view", "change"]), *model_permissions(Trigger, ["view", "change"]))
    client.force_login(user)
    return user


def test_a_patient_is_edited_through_the_apps_form_and_service(client, world, patient_editor):
    patient = world.a[Patient]
    url = admin_url(Patient, "change", patient.pk)
    form = client.get(url).context["adminform"].form
    assert "seen_version" in form.fields
    assert not {"clinic", "user", "entered_in_error"} & set(form.fields)
    data = {
        **_form_data(client, url),
        "notes": "Seen in the admin",
        "clinic": world.b.clinic.pk,
        "entered_in_error": "on",
        "version": 99,
    }
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    patient.refresh_from_db()
    assert (patient.notes, patient.clinic, patient.entered_in_error, patient.version) == (
        "Seen in the admin",
        world.a.clinic,
        False,
        2,
    )
    latest = patient.history.order_by("-history_id").first()
    assert latest.history_user == patient_editor


def test_a_stale_or_missing_version_saves_nothing(client, world, patient_editor):
    patient = world.a[Patient]
    url = admin_url(Patient, "change", patient.pk)
    data = {**_form_data(client, url), "notes": "Overwrites a newer change"}  # the page has version 1
    newer = Patient.objects.get(pk=patient.pk)
    newer.weight_kg = 61
    clinical_record_save(record=newer, by=world.a[User])  # someone else saves meanwhile: version 2
    before = db_state()
    stale = client.post(url, data)
    assert stale.status_code == HTTPStatus.OK
    assert stale.context["adminform"].form.non_field_errors()
    missing = client.post(url, {k: v for k, v in data.items() if k != "seen_version"})
    assert missing.status_code == HTTPStatus.OK
    assert "seen_version" in missing.context["adminform"].form.errors
    assert db_state() == before


def test_the_apps_checks_apply(client, world, patient_editor):
    url = admin_url(Patient, "change", world.a[Patient].pk)
    PatientFactory(clinic=world.a.clinic, mrn="MRN-TAKEN")
    before = db_state()
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post(url, {**_form_data(client, url), "date_of_birth": future})
    assert response.status_code == HTTPStatus.OK
    assert "date_of_birth" in response.context["adminform"].form.errors
    response = client.post(url, {**_form_data(client, url), "mrn": "mrn-taken"})  # the app's MRN check ignores case
    assert response.status_code == HTTPStatus.OK
    assert "mrn" in response.context["adminform"].form.errors
    assert db_state() == before


def test_a_record_entered_in_error_is_not_changed(client, world, patient_editor):
    trigger = world.a[Trigger]
    url = admin_url(Trigger, "change", trigger.pk)
    data = _form_data(client, url)
    clinical_record_mark_entered_in_error(record=trigger, by=world.a[User], reason="Wrong patient")
    before = db_state()
    assert client.post(url, {**data, "substance": "Changed after the fact"}).status_code == HTTPStatus.FORBIDDEN
    assert db_state() == before


def test_a_trigger_stays_with_its_patient(client, world, patient_editor):
    trigger = world.a[Trigger]
    url = admin_url(Trigger, "change", trigger.pk)
    data = {**_form_data(client, url), "notes": "Hives within minutes", "patient": world.b[Patient].pk}
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    trigger.refresh_from_db()
    assert (trigger.notes, trigger.patient) == ("Hives within minutes", world.a[Patient])
    assert trigger.history.order_by("-history_id").first().history_user == patient_editor


def test_a_clinic_setting_changed_in_the_admin_is_in_the_trail(client, world, make_staff):
    client.force_login(make_staff(*model_permissions(Clinic, ["view", "change"])))
    url = admin_url(Clinic, "change", world.a.clinic.pk)
    assert client.post(url, {**_form_data(client, url), "home_steps_need_release": "on"}).status_code == 302
    (event,) = AuditEvent.objects.filter(action="settings.change", object_id=str(world.a.clinic.pk))
    assert event.details["change"] == {"home_steps_need_release": [False, True]}
    assert event.clinic == world.a.clinic


@pytest.mark.parametrize("model", [Patient, Trigger, Dose])
def test_a_chart_opened_in_the_admin_is_logged_as_in_the_app(client, world, make_staff, model):
    user = make_staff(*model_permissions(model, ["view"]))
    client.force_login(user)
    row = world.a[model]
    patient = world.a[Patient]
    assert client.get(admin_url(model, "change", row.pk)).status_code == HTTPStatus.OK
    assert client.get(admin_url(model, "history", row.pk)).status_code == HTTPStatus.OK
    assert client.get(history_form_url(row, latest_history_id(row))).status_code == HTTPStatus.OK
    logged = AuditEvent.objects.filter(user=user, patient=patient).order_by("seq")
    assert list(logged.values_list("action", flat=True)) == ["chart.view", "chart.history", "chart.history"]
    assert {e.clinic for e in logged} == {world.a.clinic}


# --- Even a superuser ---------------------------------------------------------------------------------------------


def test_a_superuser_cannot_revert_a_dose_of_a_signed_challenge(client, world, superuser):
    client.force_login(superuser)
    dose = world.b[Dose]
    assert dose.challenge.is_signed
    version = history_form_url(dose, latest_history_id(dose))
    before = db_state()
    assert client.get(version).status_code == HTTPStatus.OK
    assert client.post(version, {**tampered_form_data(dose), "food_amount": "999"}).status_code == 403
    assert client.post(admin_url(Dose, "change", dose.pk), tampered_form_data(dose)).status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("library", ["standard", "own"])
@pytest.mark.parametrize("model", [Food, Protocol, ProtocolStep])
def test_the_library_is_changed_only_in_the_app(client, world, superuser, make_staff, model, library):
    row = world.standard[model] if library == "standard" else world.a[model]
    for user in (superuser, make_staff(*model_permissions(model, ("view", "add", "change", "delete")))):
        client.force_login(user)
        before = db_state()
        url = admin_url(model, "change", row.pk)
        assert client.get(url).status_code == HTTPStatus.OK
        assert client.post(url, {**tampered_form_data(row), "protein_g_per_100": "99"}).status_code == 403
        assert client.post(history_form_url(row, latest_history_id(row)), tampered_form_data(row)).status_code == 403
        assert client.get(admin_url(model, "add")).status_code == HTTPStatus.FORBIDDEN
        assert db_state() == before


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_every_page_opens_for_a_superuser(client, world, superuser, model):
    """Scoping and read-only history break nothing for the one account that sees every clinic."""
    client.force_login(superuser)
    row = world.unscoped[model] if model not in world.a.rows else world.b[model]
    assert client.get(admin_url(model, "changelist")).status_code == HTTPStatus.OK
    assert client.get(admin_url(model, "change", row.pk)).status_code == HTTPStatus.OK
    assert client.get(admin_url(model, "history", row.pk)).status_code == HTTPStatus.OK
    if keeps_history(model):
        page = client.get(history_form_url(row, latest_history_id(row)))
        assert page.status_code == HTTPStatus.OK
        assert 'name="_save"' not in page.content.decode()


def test_every_history_keeping_admin_refuses_to_revert():
    """Whatever the model, no admin with a history page offers a revert."""
    from simple_history.admin import SimpleHistoryAdmin

    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert model_admin.revert_disabled(None) is True, model
            assert model_admin.has_change_history_permission(None) is False, model

"""Every model in the admin, for a non-superuser staff member of clinic A: with only the view permission, and with
every permission on the model. Neither sees clinic B's rows anywhere (list, page, history, filters, dropdowns,
autocomplete); neither reverts history or writes a row the app keeps read-only; refused writes change nothing."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db.models import Model
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from challenges.home.models import CalendarFeed
from challenges.models import (
    Challenge,
    ChallengeEvent,
    Discharge,
    Dose,
    FollowUp,
    Food,
    FoodLot,
    Observation,
    PreChallengeCheck,
    PremedicationItem,
    Protocol,
    ProtocolStep,
    StepRelease,
    StopAlert,
    Treatment,
    VitalSigns,
    WashoutDecision,
)
from clinics.models import Clinic, SubmissionKey, User
from patients.models import DiagnosticResult, Medication, Patient, Trigger
from tests.admin.conftest import World, model_permissions
from tests.admin.support import (
    admin_url,
    choice_querysets,
    db_state,
    held_permissions,
    history_form_url,
    keeps_history,
    latest_history_id,
    refused,
    tampered_form_data,
)

# Every model registered in the admin, and what a clinic's staff may write there (with the model permissions).
READ_ONLY = {
    DiagnosticResult,  # added and marked entered in error on the patient's page
    CalendarFeed,  # issued and revoked on the calendar-link page
    Food,
    Protocol,
    ProtocolStep,
    PremedicationItem,  # the library: written by the app's protocol editor only
    Challenge,
    Dose,
    Observation,
    VitalSigns,
    Treatment,
    PreChallengeCheck,
    StopAlert,
    ChallengeEvent,
    StepRelease,
    FollowUp,
    WashoutDecision,
    Discharge,
    FoodLot,  # the challenge records: written by the run and home services only
    AuditEvent,
    AccessAttempt,
    AccessLog,
    AccessFailureLog,  # logs
}
CHANGE_ONLY = {Clinic, Patient, Trigger, Medication}  # edited through the app's rules; added in the app only
USERS = {User}  # within the clinic, never beyond the editor's own rights (tests/admin/test_access_rights.py)
DELETE_ONLY = {TOTPDevice}  # a lost phone: the device is removed
SUPERUSER_ONLY = {Group, SubmissionKey, StaticDevice}  # belong to no clinic, or hold secrets (backup codes)
ADMIN_MODELS = sorted(READ_ONLY | CHANGE_ONLY | USERS | DELETE_ONLY | SUPERUSER_ONLY, key=lambda m: m._meta.label)
ALL = ("view", "add", "change", "delete")


def _label(model: type[Model]) -> str:
    return model._meta.label


def test_every_registered_admin_is_covered_here():
    """A model added to the admin must be added to one of the sets above (and to the world in conftest.py)."""
    assert {_label(m) for m in admin.site._registry} == {_label(m) for m in ADMIN_MODELS}


def _other_clinic_rows(world: World, model: type[Model]):
    """Rows of `model` that clinic A's staff must never be offered: clinic B's, superusers, groups."""
    if model is User:
        return User.objects.filter(clinic=world.b.clinic) | User.objects.filter(is_superuser=True)
    if model is Group:
        return Group.objects.all()
    if model in world.b.rows:
        return model._default_manager.filter(pk=world.b[model].pk)
    return model._default_manager.none()


def _assert_no_foreign_choices(response, world: World, user: User) -> None:
    held = held_permissions(user)
    for queryset in choice_querysets(response):
        if queryset.model is Permission:
            assert set(queryset.values_list("pk", flat=True)) <= held
            continue
        foreign = _other_clinic_rows(world, queryset.model).values_list("pk", flat=True)
        assert not queryset.filter(pk__in=list(foreign)).exists(), queryset.model


def _assert_no_foreign_autocomplete(client, world: World, model: type[Model]) -> None:
    for field in model._meta.get_fields():
        if not (field.is_relation and field.concrete and field.remote_field.model in admin.site._registry):
            continue
        query = {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field.name}
        response = client.get(reverse("admin:autocomplete"), {**query, "term": ""})
        if response.status_code != HTTPStatus.OK:
            assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)
            continue
        offered = {result["id"] for result in response.json()["results"]}
        foreign = {str(pk) for pk in _other_clinic_rows(world, field.remote_field.model).values_list("pk", flat=True)}
        assert not offered & foreign, field


def _assert_invisible_everywhere(client, world: World, model: type[Model]) -> None:
    """Clinic B's row of `model`: not listed, not shown, no history, no history version, no write."""
    own, other = world.a[model], world.b[model]
    changelist = client.get(admin_url(model, "changelist"))
    assert changelist.status_code == HTTPStatus.OK
    listed = set(changelist.context["cl"].queryset.values_list("pk", flat=True))
    assert own.pk in listed
    assert other.pk not in listed
    assert admin_url(model, "change", other.pk) not in changelist.content.decode()
    assert refused(client.get(admin_url(model, "change", other.pk)))
    assert refused(client.get(admin_url(model, "history", other.pk)))
    assert refused(client.post(admin_url(model, "change", other.pk), tampered_form_data(other)))
    assert refused(client.post(admin_url(model, "delete", other.pk), {"post": "yes"}))
    if keeps_history(model):
        assert refused(client.get(history_form_url(other, latest_history_id(other))))
        assert refused(client.post(history_form_url(other, latest_history_id(other)), tampered_form_data(other)))
        # Another clinic's history row under one's own object id.
        assert refused(client.get(history_form_url(own, latest_history_id(other))))
    assert not AuditEvent.objects.filter(action__startswith="chart.", patient__clinic=world.b.clinic).exists()


def _assert_superuser_only(client, world: World, model: type[Model]) -> None:
    row = world.unscoped[model]
    assert client.get(admin_url(model, "changelist")).status_code == HTTPStatus.FORBIDDEN
    assert client.get(admin_url(model, "change", row.pk)).status_code == HTTPStatus.FORBIDDEN
    assert client.get(admin_url(model, "history", row.pk)).status_code == HTTPStatus.FORBIDDEN
    assert client.get(admin_url(model, "add")).status_code == HTTPStatus.FORBIDDEN
    grant = {"name": "Mine", "permissions": [1]}
    assert client.post(admin_url(model, "add"), grant).status_code == HTTPStatus.FORBIDDEN
    assert client.post(admin_url(model, "change", row.pk), {"name": "x"}).status_code == HTTPStatus.FORBIDDEN
    assert client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert model._meta.verbose_name_plural.title() not in client.get(reverse("admin:index")).content.decode()


def _assert_no_revert(client, own: Model) -> None:
    if keeps_history(type(own)):
        version = history_form_url(own, latest_history_id(own))
        page = client.get(version)
        assert page.status_code == HTTPStatus.OK
        assert 'name="_save"' not in page.content.decode()
        assert "Revert" not in page.content.decode()
        assert client.post(version, tampered_form_data(own)).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("model", sorted(set(ADMIN_MODELS) - SUPERUSER_ONLY, key=_label), ids=_label)
def test_no_dropdown_of_any_admin_offers_another_clinics_rows(rf, world, make_staff, model):
    """Every relation field as the admin would build it for clinic A's staff, whether or not a page shows it (the
    superuser-only admins refuse every page to them, above)."""
    request = rf.get("/admin/")
    request.user = make_staff(*model_permissions(model, ALL), *model_permissions(User, ALL))
    model_admin = admin.site._registry[model]
    for field in model._meta.get_fields():
        if not (field.is_relation and field.concrete and (field.many_to_one or field.many_to_many or field.one_to_one)):
            continue
        formfield = model_admin.formfield_for_dbfield(field, request)
        if formfield is None or not hasattr(formfield, "queryset"):
            continue
        if formfield.queryset.model is Permission:
            assert set(formfield.queryset.values_list("pk", flat=True)) <= held_permissions(request.user)
            continue
        foreign = list(_other_clinic_rows(world, formfield.queryset.model).values_list("pk", flat=True))
        assert not formfield.queryset.filter(pk__in=foreign).exists(), field


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=_label)
def test_view_permission_only(client, world, make_staff, model):
    user = make_staff(*model_permissions(model, ["view"]))
    client.force_login(user)
    before = db_state()
    if model in SUPERUSER_ONLY:
        _assert_superuser_only(client, world, model)
    else:
        own = world.a[model]
        _assert_invisible_everywhere(client, world, model)
        page = client.get(admin_url(model, "change", own.pk))
        assert page.status_code == HTTPStatus.OK
        assert 'name="_save"' not in page.content.decode()
        _assert_no_foreign_choices(page, world, user)
        assert client.get(admin_url(model, "history", own.pk)).status_code == HTTPStatus.OK
        _assert_no_revert(client, own)
        tampered = client.post(admin_url(model, "change", own.pk), tampered_form_data(own))
        assert tampered.status_code == HTTPStatus.FORBIDDEN
        assert client.get(admin_url(model, "add")).status_code == HTTPStatus.FORBIDDEN
        assert client.post(admin_url(model, "delete", own.pk), {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
        _assert_no_foreign_autocomplete(client, world, model)
    assert db_state() == before


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=_label)
def test_every_permission_on_the_model(client, world, make_staff, model):
    user = make_staff(*model_permissions(model, ALL))
    client.force_login(user)
    before = db_state()
    if model in SUPERUSER_ONLY:
        _assert_superuser_only(client, world, model)
        assert db_state() == before
        return
    own = world.a[model]
    _assert_invisible_everywhere(client, world, model)
    _assert_no_revert(client, own)
    page = client.get(admin_url(model, "change", own.pk))
    assert page.status_code == HTTPStatus.OK
    _assert_no_foreign_choices(page, world, user)
    _assert_no_foreign_autocomplete(client, world, model)
    add = client.get(admin_url(model, "add"))
    if model in USERS:
        assert add.status_code == HTTPStatus.OK
        _assert_no_foreign_choices(add, world, user)
    else:
        assert add.status_code == HTTPStatus.FORBIDDEN
    if model in READ_ONLY or model in DELETE_ONLY:
        assert 'name="_save"' not in page.content.decode()
        tampered = client.post(admin_url(model, "change", own.pk), tampered_form_data(own))
        assert tampered.status_code == HTTPStatus.FORBIDDEN
    if model not in DELETE_ONLY:
        assert client.post(admin_url(model, "delete", own.pk), {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert db_state() == before

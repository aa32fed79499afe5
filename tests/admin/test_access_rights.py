"""Users, groups, permissions and sign-in records in the admin: a clinic's admin works only inside their clinic and
their own rights, and every change of who may do what is in the hash-chained audit trail (M8, H4, M10)."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit import verify
from audit.models import AuditEvent
from audit.signals import log_admin_change
from clinics.models import Role, User
from clinics.signals import admin_changed
from patients.models import Patient
from tests.admin.conftest import model_permissions
from tests.admin.support import admin_url, db_state, refused
from tests.factories import UserFactory

USER_PERMS = ("view", "add", "change", "delete")


def _form_data(client, url: str) -> dict[str, Any]:
    """What the page's form would post unchanged."""
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {"_save": "Save"}
    for bound in form:
        value = bound.value()
        if value is None or value is False:
            continue
        if isinstance(value, datetime):  # the admin's split date and time inputs
            data[f"{bound.html_name}_0"] = value.date().isoformat()
            data[f"{bound.html_name}_1"] = value.strftime("%H:%M:%S")
            continue
        data[bound.html_name] = [getattr(v, "pk", v) for v in value] if isinstance(value, list | tuple) else value
    return data


def _access(user: User) -> tuple:
    user = User.objects.get(pk=user.pk)
    perms = sorted(user.user_permissions.values_list("codename", flat=True))
    groups = sorted(user.groups.values_list("name", flat=True))
    return (user.is_superuser, user.is_staff, user.is_active, user.role, user.clinic_id, perms, groups, user.password)


def _access_events(target: User | Group | TOTPDevice) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="access.change", object_type=target._meta.label_lower, object_id=str(target.pk)
        ).order_by("seq")
    )


@pytest.fixture
def clinic_admin(make_staff, client) -> User:
    """Clinic A's admin: every user permission, and view/change on patients."""
    user = make_staff(*model_permissions(User, USER_PERMS), *model_permissions(Patient, ["view", "change"]))
    client.force_login(user)
    return user


def test_no_one_but_a_superuser_makes_superusers_or_moves_clinics(client, world, clinic_admin):
    nurse = world.a[User]
    before_nurse, before_self = _access(nurse), _access(clinic_admin)
    for target in (nurse, clinic_admin):
        url = admin_url(User, "change", target.pk)
        data = {
            **_form_data(client, url),
            "is_superuser": "on",
            "clinic": world.b.clinic.pk,
            "groups": [world.group.pk],
        }
        assert client.post(url, data).status_code in (HTTPStatus.FOUND, HTTPStatus.OK)
    assert (_access(nurse), _access(clinic_admin)) == (before_nurse, before_self)
    page = client.get(admin_url(User, "change", nurse.pk)).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="groups"' not in page
    assert 'name="clinic"' not in page


def test_nobody_changes_their_own_access(client, world, clinic_admin):
    before = _access(clinic_admin)
    url = admin_url(User, "change", clinic_admin.pk)
    everything = list(Permission.objects.values_list("pk", flat=True))
    data = {**_form_data(client, url), "role": Role.NURSE, "user_permissions": everything, "first_name": "Renamed"}
    data.pop("is_staff", None)  # even "switching off" one's own staff flag is ignored
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    assert _access(clinic_admin) == before
    assert User.objects.get(pk=clinic_admin.pk).first_name == "Renamed"  # the rest of the account is theirs


def test_grants_only_permissions_the_admin_holds_and_the_trail_says_so(client, world, clinic_admin):
    nurse = world.a[User]
    url = admin_url(User, "change", nurse.pk)
    held = Permission.objects.get(codename="view_patient")
    lacking = Permission.objects.get(codename="delete_patient")
    before = _access(nurse)
    refused_page = client.post(url, {**_form_data(client, url), "user_permissions": [held.pk, lacking.pk]})
    assert refused_page.status_code == HTTPStatus.OK
    assert refused_page.context["adminform"].form.errors
    assert _access(nurse) == before
    assert _access_events(nurse) == []

    assert client.post(url, {**_form_data(client, url), "user_permissions": [held.pk]}).status_code == HTTPStatus.FOUND
    assert list(nurse.user_permissions.all()) == [held]
    (event,) = _access_events(nurse)
    assert (event.user, event.clinic, event.username) == (clinic_admin, world.a.clinic, clinic_admin.username)
    assert event.details["change"] == {"permissions": [[], ["patients.view_patient"]]}
    assert verify.verify_all().ok


def test_staff_access_only_for_allergists_and_nurses(client, world, clinic_admin):
    patient_login = UserFactory(username="a-patient-login", role=Role.PATIENT, clinic=world.a.clinic)
    url = admin_url(User, "change", patient_login.pk)
    before = _access(patient_login)
    response = client.post(url, {**_form_data(client, url), "is_staff": "on"})
    assert response.status_code == HTTPStatus.OK
    assert response.context["adminform"].form.errors
    assert _access(patient_login) == before


def test_a_colleague_with_wider_rights_is_out_of_reach(client, world, clinic_admin):
    senior = UserFactory(username="a-senior", role=Role.ALLERGIST, clinic=world.a.clinic, is_staff=True)
    senior.user_permissions.set(model_permissions(Patient, ["delete"]))  # one the clinic admin lacks
    before = db_state()
    url = admin_url(User, "change", senior.pk)
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert 'name="_save"' not in page.content.decode()
    assert client.post(url, {"username": "a-senior", "is_superuser": "on"}).status_code == HTTPStatus.FORBIDDEN
    password = reverse("admin:auth_user_password_change", args=[senior.pk])
    assert client.get(password).status_code == HTTPStatus.FORBIDDEN
    new = {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase", "set_usable_password": "true"}
    assert client.post(password, new).status_code == HTTPStatus.FORBIDDEN
    assert db_state() == before


def test_a_nurse_admin_neither_makes_nor_takes_over_an_allergist(client, world, make_staff):
    nurse_admin = make_staff(*model_permissions(User, USER_PERMS), username="a-nurse-admin", role=Role.NURSE)
    client.force_login(nurse_admin)
    allergist = User.objects.get(username="a-allergist")  # holds no admin permission at all, but signs challenges
    nurse = world.a[User]
    nurse_url = admin_url(User, "change", nurse.pk)
    promote = {**_form_data(client, nurse_url), "role": Role.ALLERGIST}
    before = db_state()
    new = {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase", "set_usable_password": "true"}
    password = reverse("admin:auth_user_password_change", args=[allergist.pk])
    assert client.post(password, new).status_code == HTTPStatus.FORBIDDEN
    assert client.post(admin_url(User, "change", allergist.pk), {"username": "x"}).status_code == 403
    promoted = client.post(nurse_url, promote)
    assert promoted.status_code == HTTPStatus.OK
    assert "role" in promoted.context["adminform"].form.errors
    created = client.post(
        admin_url(User, "add"),
        {
            "username": "a-fake-allergist",
            "role": Role.ALLERGIST,
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
            "usable_password": "true",
        },
    )
    assert created.status_code == HTTPStatus.OK
    assert "role" in created.context["adminform"].form.errors
    assert db_state() == before


def test_superusers_are_invisible_to_a_clinic_admin(client, world, clinic_admin):
    root_in_a = UserFactory(username="a-root", role="", clinic=world.a.clinic, is_staff=True, is_superuser=True)
    listed = client.get(admin_url(User, "changelist")).context["cl"].queryset
    assert not listed.filter(pk=root_in_a.pk).exists()
    assert not listed.filter(clinic=world.b.clinic).exists()
    before = db_state()
    assert refused(client.get(admin_url(User, "change", root_in_a.pk)))
    password = reverse("admin:auth_user_password_change", args=[root_in_a.pk])
    new = {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase", "set_usable_password": "true"}
    assert refused(client.post(password, new))
    assert refused(client.post(reverse("admin:auth_user_password_change", args=[world.b[User].pk]), new))
    assert db_state() == before


def test_new_accounts_join_the_admins_clinic_and_are_in_the_trail(client, world, clinic_admin):
    data = {
        "username": "a-new-nurse",
        "password1": "a-long-enough-passphrase",
        "password2": "a-long-enough-passphrase",
        "usable_password": "true",
        "role": Role.NURSE,
        "clinic": world.b.clinic.pk,
        "is_superuser": "on",
        "is_staff": "on",
    }
    assert client.post(admin_url(User, "add"), data).status_code == HTTPStatus.FOUND
    created = User.objects.get(username="a-new-nurse")
    assert (created.clinic, created.is_superuser, created.is_staff) == (world.a.clinic, False, False)
    (event,) = _access_events(created)
    assert event.details["change"]["created"]["clinic_id"] == world.a.clinic.pk
    assert event.clinic == world.a.clinic


def test_a_password_set_by_an_admin_is_in_the_trail(client, world, clinic_admin):
    nurse = world.a[User]
    old = User.objects.get(pk=nurse.pk).password
    new = {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase", "set_usable_password": "true"}
    assert client.post(reverse("admin:auth_user_password_change", args=[nurse.pk]), new).status_code == HTTPStatus.FOUND
    assert User.objects.get(pk=nurse.pk).password != old
    (event,) = _access_events(nurse)
    assert event.details["change"] == {"password": ["(set by an admin)"]}
    assert old not in str(event.details)


def test_a_superusers_access_changes_are_in_the_trail(client, world, superuser):
    client.force_login(superuser)
    nurse = world.a[User]
    url = admin_url(User, "change", nurse.pk)
    data = {**_form_data(client, url), "clinic": world.b.clinic.pk, "is_superuser": "on", "groups": [world.group.pk]}
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    (event,) = _access_events(nurse)
    assert event.details["change"] == {
        "clinic_id": [world.a.clinic.pk, world.b.clinic.pk],
        "groups": [[], [world.group.name]],
        "is_superuser": [False, True],
    }
    assert event.clinic == world.b.clinic
    assert event.user == superuser

    group_url = admin_url(Group, "change", world.group.pk)
    added = Permission.objects.get(codename="delete_patient")
    kept = list(world.group.permissions.values_list("pk", flat=True))
    assert client.post(group_url, {"name": world.group.name, "permissions": [*kept, added.pk]}).status_code == 302
    (group_event,) = _access_events(world.group)
    assert group_event.details["change"]["permissions"][1] == sorted(
        ["patients.change_patient", "patients.delete_patient", "patients.view_patient"]
    )
    assert verify.verify_all().ok


def test_an_access_change_nobody_records_is_not_saved(client, world, clinic_admin):
    nurse = world.a[User]
    url = admin_url(User, "change", nurse.pk)
    data = {**_form_data(client, url), "role": Role.ALLERGIST}
    before = db_state()
    admin_changed.disconnect(dispatch_uid="audit.admin_changed")
    try:
        with pytest.raises(ImproperlyConfigured):
            client.post(url, data)
    finally:
        admin_changed.connect(log_admin_change, dispatch_uid="audit.admin_changed")
    assert db_state() == before


# --- Two-factor devices and lockout records --------------------------------------------------------------------


def test_two_factor_devices_keys_stay_hidden_and_only_reachable_devices_are_removed(client, world, make_staff):
    user = make_staff(*model_permissions(User, ["view"]), *model_permissions(TOTPDevice, USER_PERMS))
    client.force_login(user)
    own, other = world.a[TOTPDevice], world.b[TOTPDevice]
    for device in (own, other):
        for view in ("config", "qrcode"):
            assert client.get(reverse(f"admin:otp_totp_totpdevice_{view}", args=[device.pk])).status_code == 403
    page = client.get(admin_url(TOTPDevice, "change", own.pk)).content.decode()
    assert own.key not in page
    assert "qrcode" not in page
    assert own.key not in client.get(admin_url(TOTPDevice, "changelist")).content.decode()
    senior_device = TOTPDevice.objects.create(
        user=UserFactory(
            username="a-senior", clinic=world.a.clinic, role=Role.ALLERGIST, is_staff=True, is_superuser=False
        ),
        name="senior phone",
    )
    senior_device.user.user_permissions.set(model_permissions(Patient, ["delete"]))
    before = db_state()
    assert refused(client.post(admin_url(TOTPDevice, "delete", other.pk), {"post": "yes"}))
    assert client.post(admin_url(TOTPDevice, "delete", senior_device.pk), {"post": "yes"}).status_code == 403
    assert db_state() == before

    assert client.post(admin_url(TOTPDevice, "delete", own.pk), {"post": "yes"}).status_code == HTTPStatus.FOUND
    assert not TOTPDevice.objects.filter(pk=own.pk).exists()
    (event,) = AuditEvent.objects.filter(action="access.change", object_type="otp_totp.totpdevice")
    assert event.details["change"]["deleted"]["user_id"] == own.user_id
    assert event.clinic == world.a.clinic


def test_lockout_records_of_the_clinics_accounts_only_whatever_the_spelling(client, world, make_staff, superuser):
    common = {
        "user_agent": "x",
        "ip_address": "10.0.0.9",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
        "get_data": "",
        "post_data": "",
        "failures_since_start": 1,
    }
    shouted = AccessAttempt.objects.create(username=world.a[User].username.upper(), **common)
    unknown = AccessAttempt.objects.create(username="nobody-at-all", **common)
    client.force_login(make_staff(*model_permissions(AccessAttempt, USER_PERMS)))
    listed = set(client.get(admin_url(AccessAttempt, "changelist")).context["cl"].queryset.values_list("pk", flat=1))
    assert shouted.pk in listed
    assert unknown.pk not in listed
    assert world.b[AccessAttempt].pk not in listed
    before = db_state()
    assert client.post(admin_url(AccessAttempt, "delete", shouted.pk), {"post": "yes"}).status_code == 403
    changelist = admin_url(AccessAttempt, "changelist")
    action = {"action": "cleanup_expired_attempts", "_selected_action": [shouted.pk]}
    assert client.post(changelist, action).status_code == HTTPStatus.OK  # no action offered: nothing runs
    assert db_state() == before

    client.force_login(superuser)
    listed = set(client.get(admin_url(AccessAttempt, "changelist")).context["cl"].queryset.values_list("pk", flat=1))
    assert {shouted.pk, unknown.pk, world.b[AccessAttempt].pk} <= listed

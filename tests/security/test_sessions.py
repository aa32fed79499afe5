"""Session lifecycle (reliability plan test 9; ASVS 4.0.3 V3.2.1, V3.3.1, V3.3.2, V3.3.3, V3.4)."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.security.conftest import PASSWORD, sign_in

LOGIN = reverse("login")
NEW_PASSWORD = "tulip lantern orbit velvet"  # noqa: S105 - a test passphrase


def _signed_in(client) -> bool:
    response = client.get(reverse("home"))
    return response.status_code != HTTPStatus.FOUND or not response["Location"].startswith(LOGIN)


def test_session_key_changes_at_sign_in(client, nurse):
    session = client.session  # an anonymous session the attacker planted
    session["planted"] = True
    session.save()
    before = session.session_key

    assert sign_in(client, nurse.username).status_code == HTTPStatus.FOUND
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_cookie_replayed_after_sign_out_is_refused(client, nurse):
    sign_in(client, nurse.username)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(reverse("patients:list")).status_code == HTTPStatus.OK

    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=stolen).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = client.get(reverse("patients:list"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(("cast", "idle_minutes"), [("nurse", 15), ("allergist", 15), ("patient_user", 30)])
def test_idle_timeout_by_role(request, db, client, frozen, cast, idle_minutes):
    user = request.getfixturevalue(cast)  # `db` above: pytest-django orders tests by the fixtures it can see
    sign_in(client, user.username)
    frozen.shift(timedelta(minutes=idle_minutes - 1))
    assert _signed_in(client), "a request inside the idle limit keeps the session"
    frozen.shift(timedelta(minutes=idle_minutes - 1))
    assert _signed_in(client), "the idle limit counts from the last request"
    frozen.shift(timedelta(minutes=idle_minutes, seconds=1))
    assert not _signed_in(client)


def test_session_cookie_lives_no_longer_than_the_idle_limit(client, nurse):
    sign_in(client, nurse.username)
    client.get(reverse("home"))
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 15 * 60


def test_absolute_limit_of_twelve_hours_since_sign_in(client, nurse, frozen):
    sign_in(client, nurse.username)
    for _ in range(51):  # busy all day: a request every 14 minutes, 11 h 54 min in all
        frozen.shift(timedelta(minutes=14))
        assert _signed_in(client)
    frozen.shift(timedelta(minutes=7))
    assert not _signed_in(client)
    assert sign_in(client, nurse.username).status_code == HTTPStatus.FOUND  # a fresh sign-in starts a new day
    assert _signed_in(client)


def test_cookies_are_secure_httponly_and_lax_in_production_settings(client, nurse):
    assert settings.DEBUG is False  # the test settings are the production settings
    response = sign_in(client, nurse.username, secure=True)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    csrf = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"


def test_password_change_ends_the_other_sessions_and_keeps_this_one(client, nurse, django_user_model):
    other_device = Client()
    sign_in(other_device, nurse.username)
    sign_in(client, nurse.username)
    assert _signed_in(other_device)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("password_change_done")
    assert _signed_in(client), "update_session_auth_hash keeps the session that changed it"
    assert not _signed_in(other_device)
    assert django_user_model.objects.get(pk=nurse.pk).check_password(NEW_PASSWORD)

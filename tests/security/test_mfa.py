"""Two-factor sign-in for clinicians (reliability plan test 10; ASVS V6.3.3, ONC 170.315(d)(13))."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import resolve, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from challenges.run.services import challenge_schedule
from tests.security.conftest import NOW, PASSWORD, all_url_paths, sign_in, token_for

SETUP = reverse("mfa-setup")
VERIFY = reverse("mfa-verify")


@pytest.fixture
def require_mfa(settings):
    settings.STEPWISE_REQUIRE_MFA = True


@pytest.fixture
def staff_urls(patient, allergist, nurse, practall):
    challenge = challenge_schedule(
        patient=patient, protocol=practall, scheduled_at=NOW, allergist=allergist, nurse=nurse, by=nurse
    )
    return [
        reverse("home"),
        reverse("patients:list"),
        reverse("patients:detail", args=[patient.pk]),
        reverse("patients:history", args=[patient.pk]),
        reverse("challenges:detail", args=[challenge.pk]),
        reverse("challenges:board"),
        reverse("challenges:protocol-list"),
        reverse("password_change"),
        reverse("admin:index"),
    ]


def _goes_to(response, page: str) -> bool:
    return response.status_code == HTTPStatus.FOUND and urlparse(response["Location"]).path == page


def _enrol(client, frozen) -> TOTPDevice:
    client.get(SETUP)
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post(SETUP, {"token": token_for(device), "password": PASSWORD, "next": reverse("patients:list")})
    assert _goes_to(response, reverse("patients:list"))
    device.refresh_from_db()
    assert device.confirmed
    frozen.shift(timedelta(seconds=31))  # a code is accepted once; the next sign-in needs the next code
    return device


def test_with_the_setting_off_a_password_is_enough(client, nurse, patient):
    sign_in(client, nurse.username)
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == HTTPStatus.OK


def test_required_mfa_sends_every_staff_url_to_setup_then_they_work(client, nurse, staff_urls, require_mfa, frozen):
    sign_in(client, nurse.username)
    for url in staff_urls:
        response = client.get(url)
        assert _goes_to(response, SETUP), url
        assert parse_qs(urlparse(response["Location"]).query)["next"] == [url]
        assert client.post(url, {}).status_code == HTTPStatus.FOUND, url  # and no write gets through

    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=nurse)
    assert "otpauth://totp/Stepwise%3At-nurse?secret=" in page
    assert "https://" not in page  # no external QR service
    assert "http://" not in page
    response = client.post(SETUP, {"token": token_for(device), "password": PASSWORD, "next": staff_urls[1]})
    assert _goes_to(response, staff_urls[1])
    for url in staff_urls[:-1]:
        assert client.get(url).status_code == HTTPStatus.OK, url


def test_required_mfa_leaves_no_url_reachable_by_password_alone(client, nurse, require_mfa):
    """The plan's sweep: every URL of the project, whether or not the object exists."""
    sign_in(client, nurse.username)
    open_views = {"login", "logout", "mfa-setup", "mfa-verify", "admin:login", "admin:logout"}
    reachable = []
    for path, _view in all_url_paths():
        match = resolve(path)
        if match.view_name in open_views or getattr(match.func, "login_required", True) is False:
            continue
        if not _goes_to(client.get(path), SETUP):
            reachable.append(path)
    assert reachable == []


def test_enrolled_staff_verify_at_every_sign_in(client, nurse, patient, require_mfa, frozen):
    detail = reverse("patients:detail", args=[patient.pk])
    sign_in(client, nurse.username)
    device = _enrol(client, frozen)
    client.post(reverse("logout"))

    sign_in(client, nurse.username)
    response = client.get(detail)
    assert _goes_to(response, VERIFY)
    assert client.post(VERIFY, {"token": "000000", "next": detail}).status_code == HTTPStatus.OK  # wrong code
    frozen.shift(timedelta(seconds=2))  # django-otp's throttle after one failure: 1 s
    password_only_key = client.session.session_key
    response = client.post(VERIFY, {"token": token_for(device), "next": detail})
    assert _goes_to(response, detail)
    assert client.session.session_key != password_only_key  # a new session key with the second factor
    assert client.get(detail).status_code == HTTPStatus.OK


def test_optional_mfa_once_set_up_is_asked_for_even_with_the_setting_off(client, nurse, patient, frozen):
    sign_in(client, nurse.username)
    device = _enrol(client, frozen)
    client.post(reverse("logout"))
    sign_in(client, nurse.username)
    assert _goes_to(client.get(reverse("patients:list")), VERIFY)
    client.post(VERIFY, {"token": token_for(device)})
    assert client.get(reverse("patients:list")).status_code == HTTPStatus.OK


def test_a_code_cannot_be_replayed(client, nurse, require_mfa, frozen):
    sign_in(client, nurse.username)
    device = _enrol(client, frozen)
    code = token_for(device)
    client.post(reverse("logout"))
    sign_in(client, nurse.username)
    client.post(VERIFY, {"token": code})
    client.post(reverse("logout"))
    sign_in(client, nurse.username)
    response = client.post(VERIFY, {"token": code})
    assert response.status_code == HTTPStatus.OK
    assert "did not match" in response.content.decode()
    assert _goes_to(client.get(reverse("patients:list")), VERIFY)


def test_patients_are_not_asked(client, patient_user, patient, require_mfa):
    sign_in(client, patient_user.username)
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == HTTPStatus.OK
    assert client.get(SETUP).status_code == HTTPStatus.NOT_FOUND
    assert client.get(VERIFY).status_code == HTTPStatus.NOT_FOUND


def test_sign_out_is_reachable_before_verifying(client, nurse, require_mfa):
    sign_in(client, nurse.username)
    response = client.post(reverse("logout"))
    assert _goes_to(response, reverse("login"))


def test_next_must_stay_on_this_site(client, nurse, require_mfa, frozen):
    sign_in(client, nurse.username)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=nurse)
    response = client.post(SETUP, {"token": token_for(device), "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


# --- security review L8 and backup codes ------------------------------------------------------------------------


def test_setting_up_an_authenticator_needs_the_password_again(client, nurse, frozen):
    sign_in(client, nurse.username)
    client.get(SETUP)
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post(SETUP, {"token": token_for(device), "password": "not-my-password"})
    assert response.status_code == HTTPStatus.OK
    assert "That is not your password." in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_turning_on_two_factor_ends_the_other_sessions_and_keeps_this_one(client, nurse, patient, frozen):
    from django.test import Client

    older = Client()
    sign_in(older, nurse.username)  # a session opened with the password alone, elsewhere
    assert older.get(reverse("patients:list")).status_code == HTTPStatus.OK
    sign_in(client, nurse.username)
    _enrol(client, frozen)
    assert client.get(reverse("patients:list")).status_code == HTTPStatus.OK
    assert older.get(reverse("patients:list")).status_code == HTTPStatus.FOUND  # signed out: to the sign-in page
    assert "_auth_user_id" not in older.session


def test_backup_codes_are_made_with_the_password_shown_once_and_each_works_once(client, nurse, frozen):
    sign_in(client, nurse.username)
    _enrol(client, frozen)
    status = client.get(SETUP).content.decode()
    assert "You have no backup codes" in status
    assert "That is not your password." in client.post(SETUP, {"password": "wrong"}).content.decode()
    page = client.post(SETUP, {"password": PASSWORD}).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", page)
    assert len(codes) == 10
    assert "You have 10 unused backup codes" in client.get(SETUP).content.decode()
    client.post(reverse("logout"))

    sign_in(client, nurse.username)  # the phone is lost: a backup code instead
    assert client.post(VERIFY, {"token": codes[0].upper(), "next": reverse("patients:list")}).status_code == 302
    assert client.get(reverse("patients:list")).status_code == HTTPStatus.OK
    client.post(reverse("logout"))
    sign_in(client, nurse.username)
    frozen.shift(timedelta(seconds=2))
    assert client.post(VERIFY, {"token": codes[0]}).status_code == HTTPStatus.OK  # used: refused
    assert _goes_to(client.get(reverse("patients:list")), VERIFY)

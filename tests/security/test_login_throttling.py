"""Login throttling with django-axes (reliability plan test 7; ASVS 5.0 V6.3.1, V6.3.8)."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from axes.exceptions import AxesBackendRequestParameterRequired
from axes.models import AccessAttempt, AccessFailureLog
from django.http import HttpRequest

from tests.factories import UserFactory
from tests.security.conftest import PASSWORD, sign_in

LOCKED = "Sign-in is paused"


def _fail(client, username: str, times: int, **extra) -> None:
    for _ in range(times):
        response = sign_in(client, username, "not-the-password", **extra)
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS)


def test_fifth_failure_locks_and_sixth_attempt_is_refused_even_with_the_right_password(client, nurse, frozen):
    _fail(client, nurse.username, 4)
    fifth = sign_in(client, nurse.username, "not-the-password")
    assert fifth.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert LOCKED in fifth.content.decode()

    sixth = sign_in(client, nurse.username)
    assert sixth.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert LOCKED in sixth.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessFailureLog.objects.filter(username=nurse.username).count() == 5


def test_lock_lifts_after_the_thirty_minute_cool_off(client, nurse, frozen):
    _fail(client, nurse.username, 5)
    frozen.shift(timedelta(minutes=29))
    assert sign_in(client, nurse.username).status_code == HTTPStatus.TOO_MANY_REQUESTS  # still paused

    frozen.shift(timedelta(minutes=1, seconds=1))
    response = sign_in(client, nurse.username)
    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(nurse.pk)


def test_success_resets_the_count(client, nurse, frozen):
    _fail(client, nurse.username, 4)
    assert sign_in(client, nurse.username).status_code == HTTPStatus.FOUND
    assert not AccessAttempt.objects.filter(username=nurse.username).exists()
    client.logout()
    _fail(client, nurse.username, 4)  # four more do not lock
    assert sign_in(client, nurse.username).status_code == HTTPStatus.FOUND


def test_lock_is_per_username(client, nurse, allergist, frozen):
    _fail(client, nurse.username, 5)
    assert sign_in(client, allergist.username).status_code == HTTPStatus.FOUND


def test_twenty_failures_from_one_address_lock_that_address(client, clinic, nurse, frozen):
    for n in range(5):  # password spraying: 4 tries at each of 5 usernames stays under the username limit
        _fail(client, f"sprayed-{n}", 4)
    response = sign_in(client, nurse.username)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    elsewhere = sign_in(client, nurse.username, REMOTE_ADDR="192.0.2.10")
    assert elsewhere.status_code == HTTPStatus.FOUND


def test_success_does_not_reset_the_address_count(client, clinic, frozen):
    """An attacker's own account signing in from the address does not clear its count for other usernames."""
    own = UserFactory(username="t-own-account", clinic=clinic)
    for n in range(4):
        _fail(client, f"sprayed-{n}", 4)
    _fail(client, "sprayed-4", 3)  # 19 failures from this address
    assert sign_in(client, own.username).status_code == HTTPStatus.FOUND
    client.logout()
    _fail(client, "sprayed-5", 1)  # the 20th
    victim = UserFactory(username="t-victim", clinic=clinic)
    assert sign_in(client, victim.username).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_forwarded_address_is_used_only_behind_a_configured_proxy(client, nurse, frozen, settings):
    settings.STEPWISE_PROXY_COUNT = 1
    _fail(client, nurse.username, 2, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    settings.STEPWISE_PROXY_COUNT = 0
    _fail(client, nurse.username, 1, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert AccessFailureLog.objects.filter(ip_address="127.0.0.1").count() == 1


def _normalised(html: str, username: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)
    return html.replace(username, "USERNAME")


@pytest.mark.parametrize("failures_before", [0, 4])
def test_unknown_username_gets_the_same_answer_as_a_wrong_password(client, nurse, frozen, failures_before):
    unknown = "t-nobody-here"
    _fail(client, nurse.username, failures_before)
    _fail(client, unknown, failures_before)
    known = sign_in(client, nurse.username, "not-the-password")
    stranger = sign_in(client, unknown, "not-the-password")
    assert known.status_code == stranger.status_code
    assert _normalised(known.content.decode(), nurse.username) == _normalised(stranger.content.decode(), unknown)


def test_locked_unknown_username_gets_the_same_lockout_page(client, nurse, frozen):
    _fail(client, nurse.username, 5)
    _fail(client, "t-nobody-here", 5)
    known = sign_in(client, nurse.username, PASSWORD)
    stranger = sign_in(client, "t-nobody-here", PASSWORD)
    assert known.status_code == stranger.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert known.content == stranger.content


def test_admin_sign_in_is_throttled_too(client, clinic, frozen):
    admin = UserFactory(username="t-admin", role="", clinic=None, is_staff=True, is_superuser=True)
    for _ in range(5):
        client.post("/admin/login/", {"username": admin.username, "password": "nope"})
    response = client.post("/admin/login/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_client_login_in_tests_needs_a_request(client, nurse):
    """Axes checks every authenticate() call, so it needs the request; tests use force_login, or pass one."""
    with pytest.raises(AxesBackendRequestParameterRequired):
        client.login(username=nurse.username, password=PASSWORD)
    assert client.login(request=HttpRequest(), username=nurse.username, password=PASSWORD)


# --- lockouts an attacker cannot turn on the clinic (security review M2, M3, L6, L7) ------------------------------

CLINIC_PC = "192.0.2.10"
ATTACKER = "203.0.113.9"


def test_failures_from_another_address_do_not_lock_the_clinician_out_at_the_clinic(client, nurse, frozen):
    _fail(client, nurse.username, 5, REMOTE_ADDR=ATTACKER)
    assert sign_in(client, nurse.username, REMOTE_ADDR=ATTACKER).status_code == HTTPStatus.TOO_MANY_REQUESTS
    at_the_clinic = sign_in(client, nurse.username, REMOTE_ADDR=CLINIC_PC)
    assert at_the_clinic.status_code == HTTPStatus.FOUND


def test_guessing_spread_over_many_addresses_is_stopped_at_fifty_except_where_the_user_signs_in(
    client, nurse, frozen, settings
):
    assert sign_in(client, nurse.username, REMOTE_ADDR=CLINIC_PC).status_code == HTTPStatus.FOUND  # a known address
    client.logout()
    limit = settings.STEPWISE_AXES_USERNAME_FAILURE_LIMIT
    for n in range(limit - 1):  # 4 tries from each address stay under the pair limit
        _fail(client, nurse.username, 1, REMOTE_ADDR=f"198.51.100.{n // 4 + 1}")
    assert sign_in(client, nurse.username, REMOTE_ADDR="198.18.0.1").status_code == HTTPStatus.FOUND  # 49: open
    client.logout()
    _fail(client, nurse.username, 1, REMOTE_ADDR="198.51.100.200")  # the 50th
    assert sign_in(client, nurse.username, REMOTE_ADDR="198.18.0.2").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert sign_in(client, nurse.username, REMOTE_ADDR=CLINIC_PC).status_code == HTTPStatus.FOUND


def test_a_user_who_signed_in_from_a_shared_address_is_not_locked_by_spraying_from_it(client, clinic, nurse, frozen):
    assert sign_in(client, nurse.username).status_code == HTTPStatus.FOUND
    client.logout()
    for n in range(5):
        _fail(client, f"sprayed-{n}", 4)  # 20 failures from the shared address
    assert sign_in(client, "t-someone-new", PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert sign_in(client, nurse.username).status_code == HTTPStatus.FOUND


def test_attempts_during_a_lock_add_no_audit_rows(client, nurse, frozen):
    from audit.models import Action, AuditEvent

    _fail(client, nurse.username, 5)
    before = AuditEvent.objects.count()
    _fail(client, nurse.username, 30)
    assert AuditEvent.objects.count() == before
    actions = list(AuditEvent.objects.filter(username=nurse.username).values_list("action", flat=True))
    assert actions.count(Action.LOGIN_FAILED) == 4  # the 5th failure is the lockout row
    assert actions.count(Action.LOCKOUT) == 1


def test_the_change_password_form_is_throttled(client, nurse, frozen):
    from django.urls import reverse

    client.force_login(nurse)
    url = reverse("password_change")
    new = {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"}
    for _ in range(4):
        wrong = client.post(url, {"old_password": "a-guess", **new})
        assert wrong.status_code == HTTPStatus.OK
        assert "old password was entered incorrectly" in wrong.content.decode()
    client.post(url, {"old_password": "a-guess", **new})  # the 5th pauses it
    paused = client.post(url, {"old_password": PASSWORD, **new})
    assert paused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert LOCKED in paused.content.decode()
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)
    frozen.shift(timedelta(minutes=31))
    assert client.post(url, {"old_password": PASSWORD, **new}).status_code == HTTPStatus.FOUND


def test_production_settings_need_the_proxy_count():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "STEPWISE_", "DEBUG"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="stepwise-tests-only", DEBUG="0")
    code = "import django; django.setup()"
    result = subprocess.run(  # noqa: S603 - our own settings, fixed code
        [sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "STEPWISE_PROXY_COUNT" in result.stderr


def test_a_forwarded_header_without_a_proxy_count_is_logged_as_an_error(client, nurse, frozen, settings, caplog):
    from clinics import http

    http._warn_unconfigured_proxy.cache_clear()
    settings.STEPWISE_PROXY_COUNT = 0
    _fail(client, nurse.username, 1, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert any("STEPWISE_PROXY_COUNT is 0" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")

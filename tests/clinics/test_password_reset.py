""" "Forgot password?" for patients (issue 17, ux-walk 4.12): Django's token flow by email, the same answer whether
or not the address is known, throttled, patients only; the link works once. The email goes through a real SMTP
server (tests/mailbox.py)."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.urls import reverse

from tests.mailbox import mailbox_fixture  # noqa: F401 - the `mailbox` fixture (an SMTP server)

NEW_PASSWORD = "a-new-long-passphrase-for-zoe"


@pytest.fixture(autouse=True)
def _fresh_throttle(django_db_blocker):
    # The throttle counts in the cache (a database table): each test starts from none.
    with django_db_blocker.unblock():
        cache.clear()
    yield
    with django_db_blocker.unblock():
        cache.clear()


@pytest.fixture
def patient_with_email(patient_user):
    patient_user.email = "zoe@example.org"
    patient_user.save()
    return patient_user


def _ask(client, email: str):
    return client.post(reverse("password_reset"), {"email": email}, follow=True)


def _link(mailbox) -> str:
    [mail] = mailbox.wait_for(1)
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mailbox.body(mail)).group(1)


def test_the_sign_in_and_lockout_pages_offer_forgot_password(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page
    assert "Forgot password?" in page


def test_a_patient_gets_a_link_that_works_once(client, patient_with_email, mailbox):
    answer = _ask(client, "Zoe@Example.org")
    assert 'data-testid="reset-sent"' in answer.content.decode()
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "zoe@example.org"
    assert mail["Subject"] == "Stepwise: choose a new password"
    link = _link(mailbox)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert 'data-testid="reset-complete"' in done.content.decode()
    patient_with_email.refresh_from_db()
    assert patient_with_email.check_password(NEW_PASSWORD)
    again = client.get(link, follow=True).content.decode()
    assert 'data-testid="reset-invalid"' in again  # used once: the new password changed the token


def test_the_same_answer_and_no_email_for_an_unknown_address_or_a_staff_account(
    client, patient_with_email, allergist, mailbox
):
    allergist.email = "okafor@example.org"
    allergist.save()
    known = _ask(client, "zoe@example.org").content.decode()
    mailbox.wait_for(1)
    for address in ("nobody@example.org", "okafor@example.org"):
        answer = _ask(client, address)
        assert answer.status_code == HTTPStatus.OK
        assert answer.redirect_chain == [(reverse("password_reset_done"), HTTPStatus.FOUND)]
        page = answer.content.decode()
        assert page[page.index("<main") :].split("<footer")[0] == known[known.index("<main") :].split("<footer")[0]
    assert len(mailbox.wait_for(2, timeout=1)) == 1  # only the patient's


def test_requests_are_throttled_with_the_same_answer(client, patient_with_email, mailbox, settings):
    settings.STEPWISE_RESET_LIMIT = 2
    for _ in range(4):
        answer = _ask(client, "zoe@example.org")
        assert 'data-testid="reset-sent"' in answer.content.decode()
    assert len(mailbox.wait_for(3, timeout=1)) == 2


def test_a_new_password_lifts_the_sign_in_pause(client, patient_with_email, mailbox):
    for _ in range(5):
        client.post(reverse("login"), {"username": "t-patient", "password": "wrong-password"})
    assert AccessAttempt.objects.filter(username="t-patient").exists()
    _ask(client, "zoe@example.org")
    form = client.get(_link(mailbox), follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not AccessAttempt.objects.filter(username="t-patient").exists()
    signed_in = client.post(reverse("login"), {"username": "t-patient", "password": NEW_PASSWORD})
    assert signed_in.status_code == HTTPStatus.FOUND


def test_a_mail_server_that_is_down_gives_the_same_answer_and_is_logged(client, patient_with_email, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, False, 2
    answer = _ask(client, "zoe@example.org")
    assert 'data-testid="reset-sent"' in answer.content.decode()
    assert "Failed to send password reset email" in caplog.text  # logged by Django's reset form

"""Password policy (reliability plan test 8; ASVS 5.0 V6.2, NIST SP 800-63B 3.1.1.2)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import UserFactory
from tests.security.conftest import PASSWORD, sign_in

PASSPHRASE_64 = "amber otter quietly folds paper cranes beside the winter harbour"  # noqa: S105
PASSPHRASE_128 = (PASSPHRASE_64 * 2)[:128]

CASES = [
    # (password, accepted, error code when refused)
    ("short-pw-11", False, "password_too_short"),  # 11 characters
    ("ab", False, "password_too_short"),
    ("lantern-moss", True, None),  # exactly 12
    ("password1234", False, "password_too_common"),
    ("123456789123", False, "password_too_common"),  # digits-only is allowed, common digits are not
    ("PASSWORD1234", False, "password_too_common"),  # the list is checked case-insensitively
    ("margaret.hamilton", False, "password_too_similar"),  # the username
    ("hamiltonmargaret", False, "password_too_similar"),  # first and last name
    ("margaret.hamilton@clinic.example", False, "password_too_similar"),  # the e-mail
    (PASSPHRASE_64, True, None),
    (PASSPHRASE_128, True, None),
    ("all lowercase words only", True, None),  # no composition rules: no upper case needed...
    ("948372615094", True, None),  # ...nor letters (NumericPasswordValidator is off)
    ("Ünïcödé 🥜 allergy diary", True, None),  # any characters
    ("        spaces in front", True, None),
]


@pytest.fixture
def margaret(clinic):
    return UserFactory(
        username="margaret.hamilton",
        first_name="Margaret",
        last_name="Hamilton",
        email="margaret.hamilton@clinic.example",
        clinic=clinic,
    )


@pytest.mark.parametrize(("password", "accepted", "code"), CASES)
def test_password_policy(margaret, password, accepted, code):
    if accepted:
        validate_password(password, margaret)
        return
    with pytest.raises(ValidationError) as refused:
        validate_password(password, margaret)
    assert code in {error.code for error in refused.value.error_list}


def test_hashes_are_argon2_in_production_settings():
    from config import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "NumericPasswordValidator" not in str(settings.AUTH_PASSWORD_VALIDATORS)


def test_changing_the_password_needs_the_current_one(client, nurse):
    sign_in(client, nurse.username)
    response = client.post(
        reverse("password_change"),
        {"old_password": "not-my-password", "new_password1": PASSPHRASE_64, "new_password2": PASSPHRASE_64},
    )
    assert response.status_code == HTTPStatus.OK
    assert "Your old password was entered incorrectly" in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_a_128_character_passphrase_can_be_set_and_signs_in_whole(client, nurse):
    """Long passphrases work end to end (ASVS 5.0 V6.2: at least 64 characters allowed), and all of it counts."""
    assert len(PASSPHRASE_128) == 128
    sign_in(client, nurse.username)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": PASSPHRASE_128, "new_password2": PASSPHRASE_128},
    )
    assert response.status_code == HTTPStatus.FOUND
    client.logout()
    assert sign_in(client, nurse.username, PASSPHRASE_128[:127]).status_code == HTTPStatus.OK  # refused: form again
    assert "_auth_user_id" not in client.session
    assert sign_in(client, nurse.username, PASSPHRASE_128).status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(nurse.pk)


def test_change_page_applies_the_policy(client, nurse):
    sign_in(client, nurse.username)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "password1234", "new_password2": "password1234"},
    )
    assert "This password is too common." in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_change_password_is_linked_from_every_signed_in_page(client, nurse, patient_user):
    for user in (nurse, patient_user):
        client.force_login(user)
        page = client.get(reverse("home"), follow=True).content.decode()
        assert f'href="{reverse("password_change")}"' in page

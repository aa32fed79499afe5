"""Two-factor sign-in for staff (TOTP, django-otp): who must verify, device setup, and the gate in front of views.

ASVS 4.0.3 puts medical data at L3, which asks for multi-factor authentication (V2.2.x; ASVS 5.0 V6.3.3), and ONC
170.315(d)(13) asks the same of clinical systems. Staff may turn TOTP on for themselves; with the setting
`STEPWISE_REQUIRE_MFA` on, every staff request (other than sign-in, sign-out and the two-factor pages) needs a
session verified by a token. Patients are never asked.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import Any, TypeGuard
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinics.models import User

ENROLLED_SESSION_KEY = "stepwise_mfa_enrolled"  # set at sign-in so the gate costs no query per request
# Views a staff member may reach before verifying: sign-in and out (ours and the admin's), the two-factor pages.
OPEN_VIEW_NAMES = frozenset({"login", "logout", "mfa-setup", "mfa-verify", "admin:login", "admin:logout"})


def mfa_applies_to(user: Any) -> TypeGuard[User]:
    """Clinic staff and admin-site users see patient data, so they may (or must) use a second factor.

    True only for a signed-in user: a TypeGuard, so where it holds, `user` is a `User` to mypy.
    """
    return bool(user.is_authenticated and (user.is_clinic_staff or user.is_staff or user.is_superuser))


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


@receiver(user_logged_in, dispatch_uid="stepwise-mfa-enrolled")
def remember_enrolment(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if mfa_applies_to(user):
        request.session[ENROLLED_SESSION_KEY] = confirmed_device(user) is not None


def totp_secret(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an authenticator app."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@transaction.atomic
def totp_device_pending(*, user: Any) -> TOTPDevice:
    """The user's unconfirmed authenticator, created on first visit so a reload shows the same secret."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice(user=user, name="Authenticator app", confirmed=False)
        device.full_clean()
        device.save()
    return device


@transaction.atomic
def totp_device_confirm(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm a new authenticator with its first token; the session counts as verified from then on.

    Every other session of the account ends (security review L8): one opened with the password alone before the
    second factor was turned on must not keep its access. This session is kept (update_session_auth_hash).
    """
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user, confirmed=False)
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    user = User.objects.select_for_update().get(pk=device.user_id)
    user.sessions_epoch += 1
    user._change_reason = "two-factor sign-in turned on: other sessions ended"  # type: ignore[attr-defined]
    user.save(update_fields=["sessions_epoch"])
    update_session_auth_hash(request, user)
    _mark_verified(request, device)
    request.session[ENROLLED_SESSION_KEY] = True
    return True


def totp_verify(*, request: HttpRequest, token: str) -> bool:
    """Check a code from the authenticator, or one of the backup codes (each works once); django-otp throttles
    repeated failures and locks the device row, so one code cannot be used twice by racing requests."""
    devices: list[Device] = [d for d in (confirmed_device(request.user), backup_device(request.user)) if d]
    for device in devices:
        verified = verify_token(request.user, device.persistent_id, token)
        if verified:
            _mark_verified(request, verified)
            return True
    return False


BACKUP_CODES = 10
BACKUP_DEVICE_NAME = "Backup codes"


def backup_device(user: Any) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME, confirmed=True).first()


def backup_codes_left(user: Any) -> int:
    device = backup_device(user)
    return 0 if device is None else device.token_set.count()


@transaction.atomic
def backup_codes_make(*, user: Any) -> list[str]:
    """New backup codes for a lost phone (django-otp's static device): the earlier ones stop working. Shown once."""
    device, _created = StaticDevice.objects.select_for_update().get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _mark_verified(request: HttpRequest, device: TOTPDevice) -> None:
    """The session now carries a second factor: give it a new key (ASVS 4.0.3 V3.2.1), as at password sign-in."""
    request.session.cycle_key()
    otp_login(request, device)


def _redirect(url_name: str, request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}")


class MFAGateMiddleware:
    """Sends staff whose session is not verified to the token page (enrolled) or the setup page (required).

    Runs in process_view after LoginRequiredMiddleware and CsrfViewMiddleware, so anonymous users still go to the
    sign-in page and a forged POST is still refused with 403 first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        user = request.user
        if not mfa_applies_to(user) or user.is_verified():
            return None
        match = request.resolver_match
        if match is None:  # Django resolves the URL before any process_view runs
            raise RuntimeError("MFAGateMiddleware.process_view called for a request without a resolved URL")
        if match.view_name in OPEN_VIEW_NAMES or getattr(view_func, "login_required", True) is False:
            return None
        if ENROLLED_SESSION_KEY not in request.session:  # signed in before this key existed
            request.session[ENROLLED_SESSION_KEY] = confirmed_device(user) is not None
        if request.session[ENROLLED_SESSION_KEY]:
            return _redirect("mfa-verify", request)
        if settings.STEPWISE_REQUIRE_MFA:
            return _redirect("mfa-setup", request)
        return None

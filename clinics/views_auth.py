"""Two-factor pages (set up an authenticator app, verify a token after signing in) and the throttled password change."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm
from django.contrib.auth.views import PasswordChangeView, PasswordResetConfirmView, PasswordResetView
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from clinics.forms import PlainTextForm, PlainTextMixin
from clinics.http import AuthenticatedHttpRequest, client_ip
from clinics.mfa import (
    ENROLLED_SESSION_KEY,
    backup_codes_left,
    backup_codes_make,
    confirmed_device,
    mfa_applies_to,
    totp_device_confirm,
    totp_device_pending,
    totp_secret,
    totp_verify,
)

logger = logging.getLogger(__name__)


class TokenForm(PlainTextForm):
    token = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        label=_("Six-digit code from your authenticator app"),
        error_messages={"invalid": _("Enter the six digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class PasswordAgainMixin(PlainTextForm):
    """The account's password, typed again: checked through authenticate(), so django-axes counts wrong ones."""

    password = forms.CharField(
        label=_("Your password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Asked again so that an open session alone cannot change how you sign in."),
    )

    def password_matches(self, request: HttpRequest) -> bool:
        user = authenticate(request, username=request.user.get_username(), password=self.cleaned_data["password"])
        if user is None or user.pk != request.user.pk:
            self.add_error("password", _("That is not your password."))
            return False
        return True


class SetupForm(PasswordAgainMixin, TokenForm):
    """A new authenticator is confirmed with the password and its first code (security review L8)."""


class VerifyForm(TokenForm):
    """At sign-in: the authenticator's six digits, or one of the eight-character backup codes."""

    token = forms.RegexField(
        regex=r"^\s*(\d{6}|[A-Za-z2-7]{8})\s*$",
        max_length=16,
        label=_("Six-digit code from your authenticator app, or a backup code"),
        error_messages={"invalid": _("Enter the six digits your authenticator app shows, or a backup code.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip().lower()


class BackupCodesForm(PasswordAgainMixin, PlainTextForm):
    """Make new backup codes (the earlier ones stop working)."""


def _next_url(request: AuthenticatedHttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    host = {request.get_host()}
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts=host, require_https=request.is_secure()):
        return candidate
    return "/"


def _redirect_keeping_next(url_name: str, request: AuthenticatedHttpRequest) -> HttpResponse:
    return redirect(f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}")


def _require_staff(request: AuthenticatedHttpRequest) -> None:
    if not mfa_applies_to(request.user):
        raise Http404


@never_cache
@sensitive_post_parameters("token")
def mfa_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show a new authenticator's secret and otpauth:// URI (as text, no QR service); confirm it with a token."""
    _require_staff(request)
    if confirmed_device(request.user) is not None:
        if request.user.is_verified():
            return _status(request)
        return _redirect_keeping_next("mfa-verify", request)
    device = totp_device_pending(user=request.user)
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and form.password_matches(request):
        if totp_device_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            messages.info(
                request,
                _(
                    "Two-factor sign-in is on; your other sessions were signed out. Make backup codes on the "
                    "Two-factor page, in case you lose your phone."
                ),
            )
            return redirect(_next_url(request))
        form.add_error("token", _("That code did not match. Check the time on your phone and try the next code."))
    context: dict[str, Any] = {
        "form": form,
        "secret": totp_secret(device),
        "otpauth_uri": device.config_url,
        "next": _next_url(request),
    }
    return render(request, "clinics/mfa_setup.html", context)


@never_cache
@sensitive_post_parameters("token")
def mfa_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask for the current token from the staff member's authenticator app."""
    _require_staff(request)
    if request.user.is_verified():
        return redirect(_next_url(request))
    if confirmed_device(request.user) is None:  # removed by an administrator since sign-in
        request.session[ENROLLED_SESSION_KEY] = False
        return _redirect_keeping_next("mfa-setup", request)
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_verify(request=request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("That code did not match, or too many codes were tried: wait a moment and retry."))
    return render(request, "clinics/mfa_verify.html", {"form": form, "next": _next_url(request)})


def _status(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Two-factor is on: how many backup codes are left, and a form (with the password) to make new ones."""
    form = BackupCodesForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and form.password_matches(request):
        codes = backup_codes_make(user=request.user)
        return render(request, "clinics/mfa_backup_codes.html", {"codes": codes})
    return render(request, "clinics/mfa_status.html", {"form": form, "codes_left": backup_codes_left(request.user)})


# --- changing the password ------------------------------------------------------------------------------------


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's form, with the old password checked through authenticate(), so django-axes counts wrong ones and
    pauses the form as it pauses sign-in (security review L7: the old password could be guessed without limit)."""

    def __init__(self, user: Any, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        checked = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if getattr(self.request, "axes_locked_out", False):
            raise ValidationError(
                _("Too many wrong passwords: changing the password is paused for 30 minutes."), code="locked_out"
            )
        if checked is None or checked.pk != self.user.pk:
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class ThrottledPasswordChangeView(PasswordChangeView):
    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


# --- "Forgot password?" for patients (issue 17, ux-walk 4.12) ------------------------------------------------------

RESET_WINDOW_SECONDS = 60 * 60


def reset_allowed(request: HttpRequest, email: str) -> bool:
    """At most STEPWISE_RESET_LIMIT reset requests an hour from one client address and for one email address.

    Counted in Django's cache (a database table: the same count for every server process). A refused request gets
    the same answer as any other (nothing tells an attacker whether an address is known, or that the limit was
    reached); it only sends no email.
    """
    limit = settings.STEPWISE_RESET_LIMIT
    address = hashlib.sha256(email.strip().lower().encode()).hexdigest()  # a safe cache key, and no address stored
    keys = [f"stepwise-reset-ip:{client_ip(request) or '-'}", f"stepwise-reset-email:{address}"]
    allowed = True
    for key in keys:
        cache.add(key, 0, RESET_WINDOW_SECONDS)
        if cache.incr(key) > limit:
            allowed = False
    return allowed


class PatientPasswordResetForm(PlainTextMixin, PasswordResetForm):
    """Django's reset form, for patient accounts only: staff accounts (two-factor, clinic administrators) are reset
    by their clinic's administrator, never by an email link."""

    email = forms.EmailField(
        label=_("The email address your clinic has for you"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def get_users(self, email: str) -> Iterator[Any]:
        return (user for user in super().get_users(email) if user.is_patient)


class ThrottledPasswordResetView(PasswordResetView):
    """Always the same answer ("if the address is known, an email is on its way"), throttled (reset_allowed)."""

    form_class = PatientPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if not reset_allowed(self.request, form.cleaned_data["email"]):
            logger.warning("Password reset throttled for a client address or an email address")
            return HttpResponseRedirect(self.get_success_url())
        # A mail server that is down gives the same answer: Django's form logs the failure and sends on.
        return super().form_valid(form)


class UnlockingPasswordResetConfirmView(PasswordResetConfirmView):
    """Django's token check (the link works once: the new password changes the token), then the sign-in pause of
    this account is lifted, so a patient locked out on a Sunday can sign in again with the new password."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response

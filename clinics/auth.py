"""Sign-in hardening: lockout limits an attacker cannot turn on the clinic, session lifetimes by role, no-store.

The client address axes counts by is clinics.http.client_ip (`AXES_CLIENT_IP_CALLABLE`).

Three limits within the 30-minute cool-off (ASVS 5.0 V6.3.1, NIST SP 800-63B 5.2.2; security review M2/M3):
- 5 failures for one username from one address lock that pair only (axes' own count,
  `AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]`, reset on success): an anonymous client elsewhere
  cannot lock a clinician out at the clinic's computers;
- 50 failures for one username from any address (`STEPWISE_AXES_USERNAME_FAILURE_LIMIT`: guessing spread over
  many addresses) and 20 from one address across usernames (`STEPWISE_AXES_IP_FAILURE_LIMIT`: password spraying),
  counted from axes' failure log (`AccessFailureLog`, which a successful sign-in does not clear).
The two wide limits never lock a username at an address it signed in from successfully in the last 30 days
(`KNOWN_ADDRESS_DAYS`, from axes' access log): the clinician at their usual computer keeps working while an
attacker elsewhere is stopped. The pair limit still applies there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessFailureLog, AccessLog
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

LOGIN_AT_SESSION_KEY = "stepwise_login_at"  # epoch seconds of the password sign-in


class AxesHttpRequest(HttpRequest):
    """A request as axes' handlers see it: AxesProxyHandler.update_request has set these attributes (a type only)."""

    axes_ip_address: str | None
    axes_locked_out: bool
    axes_credentials: dict | None


KNOWN_ADDRESS_DAYS = 30


def _ip_failures(request: HttpRequest) -> int:
    ip_address = getattr(request, "axes_ip_address", None)
    if not ip_address:
        return 0
    since = get_cool_off_threshold(request)
    return AccessFailureLog.objects.filter(ip_address=ip_address, attempt_time__gte=since).count()


def _username_failures(username: str | None, request: HttpRequest) -> int:
    if not username:
        return 0
    since = get_cool_off_threshold(request)
    return AccessFailureLog.objects.filter(username=username, attempt_time__gte=since).count()


def known_address(username: str | None, request: HttpRequest) -> bool:
    """This username signed in successfully from this address within KNOWN_ADDRESS_DAYS."""
    ip_address = getattr(request, "axes_ip_address", None)
    if not username or not ip_address:
        return False
    since = timezone.now() - timedelta(days=KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(username=username, ip_address=ip_address, attempt_time__gte=since).exists()


def _wide_limit_reached(request: HttpRequest, credentials: dict | None) -> bool:
    username = get_client_username(request, credentials)
    if known_address(username, request):
        return False
    return (
        _ip_failures(request) >= settings.STEPWISE_AXES_IP_FAILURE_LIMIT
        or _username_failures(username, request) >= settings.STEPWISE_AXES_USERNAME_FAILURE_LIMIT
    )


class TwoLimitAxesHandler(AxesDatabaseHandler):
    """Axes' database handler (the username-and-address pair) with the two wide limits above."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        by_pair = super().get_failures(request, credentials)
        if _wide_limit_reached(request, credentials):
            # Report the wide lock as a pair count at the limit, so every axes check sees it.
            return max(by_pair, get_failure_limit(request, credentials))
        return by_pair

    def user_login_failed(
        self, sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # The failure just logged may reach a wide limit: lock now, as axes does for the pair's 5th.
        if request is None or getattr(request, "axes_locked_out", False) or self.is_whitelisted(request, credentials):
            return
        if _wide_limit_reached(request, credentials):
            axes_request = cast(AxesHttpRequest, request)
            axes_request.axes_locked_out = True
            axes_request.axes_credentials = credentials
            username = get_client_username(request, credentials)
            user_locked_out.send("axes", request=request, username=username, ip_address=axes_request.axes_ip_address)


# --- session lifetimes ------------------------------------------------------------------------------------------


def stamp_last_login(sender: Any, user: Any, **kwargs: Any) -> None:
    """Django's update_last_login, without a history row for every sign-in (connected in ClinicsConfig.ready):
    one UPDATE of the column, which the user's history does not track."""
    user.last_login = timezone.now()
    type(user)._base_manager.filter(pk=user.pk).update(last_login=user.last_login)


@receiver(user_logged_in, dispatch_uid="stepwise-stamp-login")
def stamp_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Remember when the password was typed, for the absolute session limit."""
    request.session[LOGIN_AT_SESSION_KEY] = int(time.time())


def idle_seconds(user: Any) -> int:
    """Staff sit at shared clinic computers: 15 idle minutes; patients, on their own phones: 30."""
    if getattr(user, "is_patient", False):
        return settings.STEPWISE_SESSION_IDLE_PATIENT
    return settings.STEPWISE_SESSION_IDLE_STAFF


PASSIVE_ATTRIBUTE = "stepwise_passive"


def mark_passive(request: HttpRequest) -> None:
    """This request was made by the page, not by the user (the board's refresh, a keepalive that was refused): it
    does not push the idle deadline on, so a screen left alone still signs out after the idle limit."""
    setattr(request, PASSIVE_ATTRIBUTE, True)


EXTENDED_AT_SESSION_KEY = "_stepwise_extended_at"
EXTEND_EVERY_SECONDS = 60


class SessionPolicyMiddleware:
    """Ends sessions 12 h after sign-in, sets the idle timeout by role, and keeps signed-in pages out of caches.

    Place after AuthenticationMiddleware (and OTPMiddleware). A session past its absolute limit is logged out
    before the view runs, so LoginRequiredMiddleware sends the browser to the sign-in page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        signed_in = request.user.is_authenticated
        if signed_in:
            login_at = request.session.setdefault(LOGIN_AT_SESSION_KEY, int(time.time()))
            if time.time() - login_at >= settings.STEPWISE_SESSION_MAX_AGE:
                logout(request)
        response = self.get_response(request)
        if request.user.is_authenticated and not getattr(request, PASSIVE_ATTRIBUTE, False):
            self._extend(request)
        if signed_in or request.user.is_authenticated:
            # The one place that keeps signed-in responses (pages, PDFs, exports; the sign-out response too) out of
            # shared browser and proxy caches: views need not set it. An explicit header (the admin's) is kept.
            response.setdefault("Cache-Control", "no-store")
        return response

    @staticmethod
    def _extend(request: HttpRequest) -> None:
        """Push the idle deadline on, at most once a minute: every write to the session costs a database write
        (on SQLite, a turn at the single write lock), and a minute's precision is enough for an idle timeout."""
        now = int(time.time())
        if now - request.session.get(EXTENDED_AT_SESSION_KEY, 0) < EXTEND_EVERY_SECONDS:
            return
        login_at = request.session.setdefault(LOGIN_AT_SESSION_KEY, now)
        remaining = settings.STEPWISE_SESSION_MAX_AGE - (now - login_at)
        request.session[EXTENDED_AT_SESSION_KEY] = now
        request.session.set_expiry(max(1, min(idle_seconds(request.user), int(remaining))))

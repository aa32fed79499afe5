"""Sign-in hardening: two lockout limits for django-axes, session lifetimes by role, no-store for signed-in pages.

The client address axes counts by is clinics.http.client_ip (`AXES_CLIENT_IP_CALLABLE`).

Axes counts failures by one set of lockout parameters against one limit. We want two limits (ASVS 5.0 V6.3.1, NIST
SP 800-63B 5.2.2, our reliability plan test 7): 5 failures per username and 20 per client IP within the 30-minute
cool-off. The per-username count is axes' own (`AXES_LOCKOUT_PARAMETERS = ["username"]`, reset on success). The
per-IP count is taken from axes' failure log (`AccessFailureLog`), which a successful sign-in (say, by an attacker's own
patient account) does not clear.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessFailureLog
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

LOGIN_AT_SESSION_KEY = "stepwise_login_at"  # epoch seconds of the password sign-in


class AxesHttpRequest(HttpRequest):
    """A request as axes' handlers see it: AxesProxyHandler.update_request has set these attributes (a type only)."""

    axes_ip_address: str | None
    axes_locked_out: bool
    axes_credentials: dict | None


def _ip_failures(request: HttpRequest) -> int:
    ip_address = getattr(request, "axes_ip_address", None)
    if not ip_address:
        return 0
    since = get_cool_off_threshold(request)
    return AccessFailureLog.objects.filter(ip_address=ip_address, attempt_time__gte=since).count()


class TwoLimitAxesHandler(AxesDatabaseHandler):
    """Axes' database handler with a second, per-IP limit (`STEPWISE_AXES_IP_FAILURE_LIMIT`)."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        by_username = super().get_failures(request, credentials)
        if _ip_failures(request) >= settings.STEPWISE_AXES_IP_FAILURE_LIMIT:
            # Report the IP's lock as a username count at the limit, so every axes check sees it.
            return max(by_username, get_failure_limit(request, credentials))
        return by_username

    def user_login_failed(
        self, sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # The failure just logged may be the IP's 20th: lock now, as axes does for the username's 5th.
        if request is None or getattr(request, "axes_locked_out", False) or self.is_whitelisted(request, credentials):
            return
        if _ip_failures(request) >= settings.STEPWISE_AXES_IP_FAILURE_LIMIT:
            axes_request = cast(AxesHttpRequest, request)
            axes_request.axes_locked_out = True
            axes_request.axes_credentials = credentials
            username = get_client_username(request, credentials)
            user_locked_out.send("axes", request=request, username=username, ip_address=axes_request.axes_ip_address)


# --- session lifetimes ------------------------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="stepwise-stamp-login")
def stamp_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Remember when the password was typed, for the absolute session limit."""
    request.session[LOGIN_AT_SESSION_KEY] = int(time.time())


def idle_seconds(user: Any) -> int:
    """Staff sit at shared clinic computers: 15 idle minutes; patients, on their own phones: 30."""
    if getattr(user, "is_patient", False):
        return settings.STEPWISE_SESSION_IDLE_PATIENT
    return settings.STEPWISE_SESSION_IDLE_STAFF


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
        if request.user.is_authenticated:
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

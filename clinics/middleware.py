"""Show times in the signed-in user's clinic time zone (they are stored in UTC).

(`Cache-Control: no-store` for signed-in responses is set in one place: clinics.auth.SessionPolicyMiddleware.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class ClinicTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        clinic = getattr(user, "clinic", None) if user is not None and user.is_authenticated else None
        if clinic is not None:
            timezone.activate(clinic.tzinfo)
        else:
            timezone.deactivate()
        return self.get_response(request)

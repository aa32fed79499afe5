"""Show times in the signed-in user's clinic time zone (they are stored in UTC)."""

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
        response = self.get_response(request)
        if clinic is not None:
            # Patient pages and PDFs must not linger in shared browser caches.
            response.setdefault("Cache-Control", "no-store")
        return response

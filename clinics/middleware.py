"""Show times in the signed-in user's clinic time zone (they are stored in UTC); answer only the HTTP methods the
app uses.

(`Cache-Control: no-store` for signed-in responses is set in one place: clinics.auth.SessionPolicyMiddleware.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
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
        try:
            return self.get_response(request)
        finally:
            # The zone is this request's: a thread serving the next request (or a test going on after a request
            # by a clinic in another zone) starts from the default again.
            timezone.deactivate()


ALLOWED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")


class AllowedMethodsMiddleware:
    """TRACE, PUT, DELETE and the rest get 405 before any view runs (security review I2: a view without a method
    decorator answered TRACE with 200). Placed first, so no session or database work is done for them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ALLOWED_METHODS:
            return HttpResponseNotAllowed(ALLOWED_METHODS)
        return self.get_response(request)


class BrandedErrorPagesMiddleware:
    """A view's 404 or 403 is the app's own page, with the navigation and a way back, under DEBUG as in production
    (Django's DEBUG pages are for developers, not for a nurse who followed an old link). A PermissionDenied that
    carries a message says it ("Only allergists can ...")."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404):
            return render(request, "404.html", status=404)
        if isinstance(exception, PermissionDenied):
            return render(request, "403.html", {"reason": str(exception) if exception.args else ""}, status=403)
        return None

"""Facts about an HTTP request that more than one app needs (clinics' sign-in throttling, audit's log).

Depends only on Django, so audit and clinics can both import it without clinics importing audit.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest

if TYPE_CHECKING:
    from clinics.models import User

logger = logging.getLogger(__name__)


class AuthenticatedHttpRequest(HttpRequest):
    """The request a signed-in view receives: `request.user` is a `User`, never `AnonymousUser`.

    LoginRequiredMiddleware (config.settings.MIDDLEWARE) sends every request without a signed-in user to the
    sign-in page before the view runs, unless the view is marked `@login_not_required`. So annotate `request` with
    this type only in views that are not so marked (and helpers they call), never in middleware. A type for
    mypy only: Django still passes its own HttpRequest.
    """

    user: User


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry our own proxies vouch for; None if unknown.

    With `STEPWISE_PROXY_COUNT = n` trusted reverse proxies in front of the app, each appending to X-Forwarded-For,
    the n-th entry from the right is the address the outermost proxy saw. Entries further left are client-supplied
    and ignored. Without a proxy count every clinic user would share the proxy's address and its IP limit.
    Used by django-axes (`AXES_CLIENT_IP_CALLABLE`) and by the audit log (audit.services).
    """
    candidate = request.META.get("REMOTE_ADDR")
    proxies = settings.STEPWISE_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if forwarded and proxies == 0:
        _warn_unconfigured_proxy()
    if proxies > 0 and len(forwarded) >= proxies:
        candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate or ""))
    except ValueError:
        return None


@functools.cache
def _warn_unconfigured_proxy() -> None:
    """Once per process: a proxy seems to stand in front, but STEPWISE_PROXY_COUNT is 0 (security review M3)."""
    logger.error(
        "Requests carry X-Forwarded-For but STEPWISE_PROXY_COUNT is 0: every user shares the proxy's address, so "
        "sign-in limits by address apply to the whole clinic. Set STEPWISE_PROXY_COUNT to the number of trusted "
        "proxies (or 0 and strip the header if none)."
    )

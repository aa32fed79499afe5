"""Facts about an HTTP request that more than one app needs (clinics' sign-in throttling, audit's log).

Depends only on Django, so audit and clinics can both import it without clinics importing audit.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


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
    if proxies > 0 and len(forwarded) >= proxies:
        candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate or ""))
    except ValueError:
        return None

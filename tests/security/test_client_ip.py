"""One client_ip (clinics.http) for both login throttling (axes) and the audit log."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import RequestFactory

from audit import services
from audit.models import Action
from audit.services import log_access
from clinics.http import client_ip


def _request(**meta):
    return RequestFactory().get("/x", **meta)


def test_axes_and_the_audit_log_use_the_same_function():
    assert settings.AXES_CLIENT_IP_CALLABLE == "clinics.http.client_ip"
    assert services.client_ip is client_ip


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [
        (0, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6"}, "10.0.0.1"),
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.5"}, "203.0.113.5"),
        (2, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.5, 10.0.0.2"}, "203.0.113.5"),
        (2, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, "10.0.0.1"),  # too few entries
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "not-an-address"}, None),
        (0, {"REMOTE_ADDR": "2001:DB8::1"}, "2001:db8::1"),
        (0, {"REMOTE_ADDR": ""}, None),
    ],
)
def test_client_ip(settings, proxies, meta, expected):
    settings.STEPWISE_PROXY_COUNT = proxies
    assert client_ip(_request(**meta)) == expected


def test_an_unknown_address_is_logged_as_empty(settings, nurse, patient):
    settings.STEPWISE_PROXY_COUNT = 0
    request = _request(REMOTE_ADDR="")
    request.user = nurse
    assert log_access(request, patient=patient, action=Action.PDF_DOWNLOAD).ip == ""

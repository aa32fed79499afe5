"""Deploy-settings gate and security headers (reliability plan test 1; ASVS 4.0.3 V14.4)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from challenges.run.services import challenge_schedule
from tests.security.conftest import NOW

BASE_DIR = Path(settings.BASE_DIR)
INLINE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "on* handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


# Every deploy-check finding at WARNING or above, silenced or not (silencing is applied by `manage.py check`).
UNSILENCED_DEPLOY_CHECKS = """
import django
django.setup()
from django.core import checks
print(*sorted({m.id for m in checks.run_checks(include_deployment_checks=True) if m.level >= checks.WARNING}))
"""


def test_check_deploy_reports_no_warnings_with_production_settings():
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        STEPWISE_PROXY_COUNT="1",
        ALLOWED_HOSTS="stepwise.example.org",
        CSRF_TRUSTED_ORIGINS="https://stepwise.example.org",
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="31536000",
    )
    result = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    # Nothing is hidden by SILENCED_SYSTEM_CHECKS: with nothing silenced, no Django security check fails; the one
    # finding left is axes.W006, which settings.py explains (the per-IP limit lives in TwoLimitAxesHandler and is
    # tested in test_login_throttling.py).
    unsilenced = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", UNSILENCED_DEPLOY_CHECKS],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unsilenced.returncode == 0, unsilenced.stderr
    assert set(unsilenced.stdout.split()) <= {"axes.W006"}, unsilenced.stdout


@pytest.fixture
def signed_in_pages(client, patient, allergist, nurse, practall, settings):
    settings.SECURE_SSL_REDIRECT = True
    challenge = challenge_schedule(
        patient=patient, protocol=practall, scheduled_at=NOW, allergist=allergist, nurse=nurse, by=nurse
    )
    client.force_login(nurse)
    return [
        reverse("home"),
        reverse("patients:list"),
        reverse("patients:detail", args=[patient.pk]),
        reverse("challenges:detail", args=[challenge.pk]),
        reverse("challenges:protocol-detail", args=[practall.pk]),
    ]


def _csp(header: str) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


def assert_hardened(response, url: str) -> None:
    hsts = response["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31_536_000, url
    csp = _csp(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"], url
    assert csp["style-src"] == ["'self'"], url
    assert csp["frame-ancestors"] == ["'none'"], url
    assert csp["object-src"] == ["'none'"], url
    assert csp["base-uri"] == ["'none'"], url
    assert response["X-Frame-Options"] == "DENY", url
    assert response["X-Content-Type-Options"] == "nosniff", url
    assert response["Referrer-Policy"] == "same-origin", url
    assert "camera=()" in response["Permissions-Policy"], url
    assert "geolocation=()" in response["Permissions-Policy"], url


def test_signed_in_pages_carry_every_security_header(client, signed_in_pages):
    for url in signed_in_pages:
        response = client.get(url, secure=True)
        assert response.status_code == HTTPStatus.OK, url
        assert_hardened(response, url)
        assert "no-store" in response["Cache-Control"], url
        body = response.content.decode()
        for what, pattern in INLINE.items():
            assert not pattern.search(body), f"{url} has an {what}, which the CSP blocks"


def test_plain_http_is_redirected_to_https(client, signed_in_pages):
    response = client.get(signed_in_pages[1])
    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"].startswith("https://")


def test_sign_in_page_is_hardened_too(client, db):
    response = client.get(reverse("login"), secure=True)
    assert_hardened(response, "login")


def test_every_signed_in_response_is_no_store_but_an_explicit_header_is_kept(client, patient_user, admin_client):
    client.force_login(patient_user)
    response = client.get(reverse("home"), follow=True)
    assert response["Cache-Control"] == "no-store"
    admin_page = admin_client.get(reverse("admin:index"))
    assert "no-store" in admin_page["Cache-Control"]
    assert "private" in admin_page["Cache-Control"]  # the admin's own never_cache header, kept whole


def test_templates_have_no_inline_script_or_style():
    offenders = [
        f"{path.relative_to(BASE_DIR)}: {what}"
        for path in sorted((BASE_DIR / "templates").rglob("*.html"))
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE", "PATCH", "CONNECT"])
def test_methods_the_app_does_not_use_get_405_everywhere(client, nurse, method):
    """Security review I2: a view without a method decorator answered TRACE with 200."""
    client.force_login(nurse)
    for url in (reverse("home"), reverse("health"), reverse("login"), reverse("patients:list")):
        response = client.generic(method, url)
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED, (method, url)
        assert response["Allow"] == "GET, HEAD, POST, OPTIONS"

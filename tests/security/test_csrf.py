"""CSRF (reliability plan test 11; ASVS 4.0.3 V4.2.2): every URL refuses a POST without a token; no view opts out."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

from django.conf import settings
from django.test import Client

from tests.security.conftest import all_url_paths


def test_the_sweep_covers_the_project():
    paths = dict(all_url_paths())
    for expected in (
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/password/change/",
        "/accounts/two-factor/",
        "/patients/1/edit/",
        "/challenges/1/dose/",
        "/admin/clinics/user/1/change/",
    ):
        assert expected in paths
    assert len(paths) > 60


def test_every_url_refuses_a_post_without_a_csrf_token(nurse):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)
    client.get("/")  # a CSRF cookie exists; only the token in the form is missing
    accepted = []
    for path, view in all_url_paths():
        response = client.post(path, {"reason": "x", "amount": "1"}, secure=True)
        if response.status_code != HTTPStatus.FORBIDDEN:
            accepted.append(f"{path} ({view}): {response.status_code}")
    assert accepted == []


def test_sign_in_itself_needs_a_token(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_no_view_is_csrf_exempt():
    base = Path(settings.BASE_DIR)
    sources = [p for p in base.rglob("*.py") if not {".venv", "tests", "node_modules"} & set(p.relative_to(base).parts)]
    offenders = [str(p.relative_to(base)) for p in sources if "csrf_exempt" in p.read_text(encoding="utf-8")]
    assert offenders == []
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE

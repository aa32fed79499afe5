"""`Cache-Control: no-store` on every signed-in response comes from one middleware (SessionPolicyMiddleware).

The views below set no header of their own, so what the responses carry is the middleware's doing.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import path

from clinics.auth import LOGIN_AT_SESSION_KEY

pytestmark = pytest.mark.urls(__name__)


@login_not_required
def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("a page")


@login_not_required
def download(request: HttpRequest) -> FileResponse:
    import io

    return FileResponse(io.BytesIO(b"%PDF-1.7 patient data"), as_attachment=True, filename="report.pdf")


@login_not_required
def own_header(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("cacheable")
    response["Cache-Control"] = "private, max-age=60"
    return response


urlpatterns = [path("plain/", plain), path("download/", download), path("own-header/", own_header)]


@pytest.mark.parametrize("url", ["/plain/", "/download/"])
def test_a_signed_in_response_is_no_store_without_the_view_asking(client, nurse, url):
    client.force_login(nurse)
    assert client.get(url)["Cache-Control"] == "no-store"


def test_a_user_without_a_clinic_gets_no_store_too(admin_client):
    assert admin_client.get("/plain/")["Cache-Control"] == "no-store"


def test_an_anonymous_response_is_left_alone(client, db):
    assert "Cache-Control" not in client.get("/plain/")


def test_a_views_own_header_is_kept(client, nurse):
    client.force_login(nurse)
    assert client.get("/own-header/")["Cache-Control"] == "private, max-age=60"


def test_the_response_that_ends_a_session_is_no_store(client, nurse, settings):
    client.force_login(nurse)
    session = client.session
    session[LOGIN_AT_SESSION_KEY] = int(time.time()) - settings.STEPWISE_SESSION_MAX_AGE - 1
    session.save()
    response = client.get("/plain/")  # past the absolute limit: signed out before the view runs
    assert response.wsgi_request.user.is_anonymous
    assert response["Cache-Control"] == "no-store"

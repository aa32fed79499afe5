"""Login, static assets served without a CDN, health check."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse


def test_login_page_uses_local_bootstrap(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "/static/vendor/bootstrap-5.3.8/css/bootstrap.min.css" in page
    assert "cdn" not in page.lower()
    assert "http://" not in page
    assert "https://" not in page


def test_wrong_password_shows_error(client, nurse):
    response = client.post(reverse("login"), {"username": nurse.username, "password": "nope"})
    assert response.status_code == HTTPStatus.OK
    assert "Please enter a correct username and password" in response.content.decode()


def test_health_needs_no_login(client, db):
    response = client.get(reverse("health"))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


def test_staff_home_names_user_and_clinic(client, nurse):
    client.force_login(nurse)
    page = client.get(reverse("home")).content.decode()
    assert nurse.clinic.name in page
    assert nurse.display_name in page

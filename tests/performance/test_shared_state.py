"""Two app servers on one database share what users' requests count on: sessions, sign-in throttling and the
cache (issue 20, docs/scaling.md). A second server is simulated by what it would build from the same settings:
fresh cache backends and session stores, with no memory of the first one's process."""

from __future__ import annotations

from importlib import import_module

import pytest
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import CacheHandler, cache
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils.module_loading import import_string

from clinics import views_auth


@pytest.fixture(autouse=True)
def _empty_cache(django_db_blocker):
    with django_db_blocker.unblock():
        cache.clear()
    yield
    with django_db_blocker.unblock():
        cache.clear()


def _second_server_cache():
    """The default cache as another process builds it from the same settings (no state shared in memory)."""
    return CacheHandler()["default"]


def test_a_reset_throttle_hit_on_one_server_counts_on_the_other(db, settings, monkeypatch):
    settings.STEPWISE_RESET_LIMIT = 2
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    assert views_auth.reset_allowed(request, "zoe@example.org")  # server A
    assert views_auth.reset_allowed(request, "zoe@example.org")  # server A: the limit reached
    monkeypatch.setattr(views_auth, "cache", _second_server_cache())
    assert not views_auth.reset_allowed(request, "zoe@example.org")  # server B refuses the third
    with connection.cursor() as cursor:  # the counts are rows of the shared table, not memory of a process
        cursor.execute(f"SELECT COUNT(*) FROM {settings.CACHES['default']['LOCATION']}")  # noqa: S608
        assert cursor.fetchone()[0] == 2  # one per address, one per e-mail hash


def test_a_value_cached_by_one_server_is_read_by_the_other(db):
    cache.set("stepwise-shared-probe", {"n": 1}, 60)
    assert _second_server_cache().get("stepwise-shared-probe") == {"n": 1}


def test_a_session_made_on_one_server_is_read_on_the_other(client, nurse):
    client.force_login(nurse)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    other_server = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    assert other_server.get("_auth_user_id") == str(nurse.pk)


def test_failed_sign_ins_on_one_server_count_on_the_other(client, nurse):
    """Axes counts failures in the database (AccessAttempt), whichever server answered."""
    for _ in range(2):
        client.post(reverse("login"), {"username": "t-nurse", "password": "wrong-password"})
    attempt = AccessAttempt.objects.get(username="t-nurse")
    assert attempt.failures_since_start == 2
    assert issubclass(import_string(settings.AXES_HANDLER), AxesDatabaseHandler)  # no per-process counting

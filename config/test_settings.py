"""Test overrides: production settings (DEBUG off) plus speed-ups that change no behaviour under test."""

import os
from datetime import timedelta

os.environ.setdefault("SECRET_KEY", "stepwise-tests-only")
os.environ.setdefault("STEPWISE_PROXY_COUNT", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files straight from the finders (no collectstatic before tests): the plain storage, which needs no
# collectstatic manifest to render {% static %}.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# SQLite tests use a real file, so tests with threads (tests/integrity) lock as production does; the default
# shared-cache in-memory database locks differently (reliability plan, test 16).
DATABASES = DATABASES  # noqa: F405 - from the star import of config.settings; named for the checks below
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not DATABASES["default"]["TEST"].get("NAME"):
    import tempfile

    DATABASES["default"]["TEST"]["NAME"] = os.path.join(tempfile.gettempdir(), f"stepwise-test-{os.getpid()}.sqlite3")

# The suite chains audit rows in the writer's transaction on both databases: most tests run in a transaction that is
# rolled back, never committed, so rows sealed after commit (PostgreSQL's default, docs/audit-chain.md) would stay
# unsealed in them. tests/audit/test_seal_after_commit.py switches after-commit sealing on and tests it on both.
STEPWISE_AUDIT_SEAL = "in_transaction"
# Rows sealed after commit are sealed by the request itself in tests (a background thread would write outside the
# test's transaction); tests/audit/test_seal_after_commit.py tests the background sealer on committed rows.
STEPWISE_AUDIT_SEAL_DELAY = timedelta(0)

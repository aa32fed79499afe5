"""A write locks only the challenge row, not the protocol, food, patient and clinic rows it reads with it.

Without `FOR UPDATE OF`, PostgreSQL locks every joined row, and the standard protocols and foods are shared by all
clinics: doses on different challenges of the same protocol would queue on one row (perf-review). SQLite has no
row locks (it ignores FOR UPDATE), so the first two tests compile the lock's SQL for PostgreSQL without connecting
to any server; the last one watches the real statements, and runs only when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test.utils import CaptureQueriesContext

from challenges.run import services as runs
from challenges.run.models import Challenge
from challenges.run.services._guards import lock_query

LOCK_OF_CHALLENGE = 'FOR UPDATE OF "challenges_challenge"'


def _postgresql_sql(queryset) -> str:
    """The SQL Django would send to PostgreSQL for `queryset`, compiled offline (no connection is opened)."""
    settings_dict = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "compile-only",
        "USER": "",
        "PASSWORD": "",
        "HOST": "/nonexistent",
        "PORT": "",
        "OPTIONS": {},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
    }
    postgresql = DatabaseWrapper(settings_dict, alias="compile-only")
    postgresql.get_autocommit = lambda: False  # as inside the service's transaction; avoids asking a server
    sql, _params = queryset.query.get_compiler(connection=postgresql).as_sql()
    assert postgresql.connection is None  # compiled only
    return sql


def test_the_lock_names_only_the_challenge_table():
    sql = _postgresql_sql(lock_query(1))
    assert 'INNER JOIN "challenges_protocol"' in sql
    assert 'INNER JOIN "challenges_food"' in sql
    assert sql.endswith(LOCK_OF_CHALLENGE)  # locked alone


def test_a_lock_without_of_would_take_the_joined_rows_too():
    """Positive control: the check above tells the two locks apart."""
    wide = Challenge.objects.select_for_update().select_related("protocol", "protocol__food", "patient").filter(pk=1)
    sql = _postgresql_sql(wide)
    assert sql.endswith("FOR UPDATE")
    assert LOCK_OF_CHALLENGE not in sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks; it ignores FOR UPDATE")
def test_a_write_locks_the_challenge_row_alone_on_postgresql(challenge, nurse, clock):
    with CaptureQueriesContext(connection) as queries:
        runs.challenge_check_in(challenge=challenge, by=nurse)
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks
    assert all(sql.endswith(LOCK_OF_CHALLENGE) for sql in locks)

"""A challenge ready for its first dose, and an 'attacker' who can run SQL with the append-only triggers dropped.

Tests run on the real migrations, so the append-only triggers (audit.guards) are in the test database. Ordinary
tests roll back their transaction and never delete. A `transactional_db` test is emptied afterwards by Django's
`flush`, which the triggers would refuse: the pytest plugin tests/plugins/guards.py (loaded by pytest.ini) drops
the triggers around that teardown flush only, and puts them back. Tamper tests drop triggers inside the test's
transaction, so the rollback restores them.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from audit import guards
from challenges.run import services as runs
from tests.run.helpers import PASSING_CHECKS

CHECK_ANSWERS = {
    name: True
    for name in (
        "no_illness",
        "asthma_eczema_controlled",
        "no_recent_exercise",
        "washout_confirmed",
        "premedication_taken",
        "consent_recorded",
        "emergency_ready",
    )
}
assert set(CHECK_ANSWERS) <= set(PASSING_CHECKS)


@pytest.fixture
def dosing_challenge(challenge, nurse):
    """The PRACTALL challenge checked in, with passing pre-challenge checks: the next step is dose 1."""
    runs.challenge_check_in(challenge=challenge, by=nurse)
    runs.checks_record(
        challenge=challenge,
        by=nurse,
        answers=CHECK_ANSWERS,
        baseline={"heart_rate": 80, "systolic": 120, "diastolic": 70},
    )
    challenge.refresh_from_db()
    return challenge


def attacker_sql(sql: str, params: list | None = None) -> None:
    """Run SQL as someone with direct database access would: drop the triggers first, then write."""
    with transaction.atomic(), guards.suspended(connection), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def raw_fails(sql: str, params: list | None = None) -> bool:
    """True if the database refuses the statement (the savepoint keeps the test's transaction usable)."""
    from django.db import IntegrityError

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params or [])
    except IntegrityError:
        return True
    return False

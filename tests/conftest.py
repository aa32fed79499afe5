"""Fixtures every test folder shares (pytest gives a conftest's fixtures to every test below it).

- The cast: an allergist and a nurse of clinic 1, patient A with a login, patient B, and the other clinic's nurse,
  allergist and patient. "allergist" is the same person in every folder (the reports print her name).
- The standard library (foods and protocols), loaded once per test database; `practall` and `home_protocol`.
- The clock, frozen at 09:00 on the challenge day, and a PRACTALL challenge and a home plan for patient A.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.db import connection, transaction

from audit import guards
from challenges.library.services.standard import load_standard_library
from challenges.models import Challenge, Protocol
from challenges.run.services import challenge_schedule
from clinics import page_cache
from clinics.models import Role
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.helpers import START

# --- the cast --------------------------------------------------------------------------------------------


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Northside Test Clinic")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Harbour Test Clinic", time_zone="Australia/Sydney")


@pytest.fixture
def allergist(clinic):
    return UserFactory(
        username="t-allergist", role=Role.ALLERGIST, clinic=clinic, first_name="Amira", last_name="Okafor"
    )


@pytest.fixture
def nurse(clinic):
    return UserFactory(username="t-nurse", role=Role.NURSE, clinic=clinic, first_name="Sam", last_name="Lee")


@pytest.fixture
def other_clinic_nurse(other_clinic):
    return UserFactory(username="t-other-nurse", role=Role.NURSE, clinic=other_clinic)


@pytest.fixture
def other_clinic_allergist(other_clinic):
    return UserFactory(username="t-other-allergist", role=Role.ALLERGIST, clinic=other_clinic)


@pytest.fixture
def patient(clinic):
    """Patient A, whose login is `patient_user`."""
    return PatientFactory(clinic=clinic, given_name="Zoë", family_name="Ångström-Nguyễn", mrn="A-0001")


@pytest.fixture
def patient_user(patient):
    user = UserFactory(username="t-patient", role=Role.PATIENT, clinic=patient.clinic)
    patient.user = user
    patient.save()
    return user


@pytest.fixture
def other_patient(clinic):
    """Patient B of the same clinic: patient A must never see them."""
    return PatientFactory(clinic=clinic, given_name="Bea", family_name="Otherperson", mrn="B-0002")


@pytest.fixture
def other_patient_user(other_patient):
    user = UserFactory(username="t-other-patient", role=Role.PATIENT, clinic=other_patient.clinic)
    other_patient.user = user
    other_patient.save()
    return user


@pytest.fixture
def other_clinic_patient(other_clinic):
    return PatientFactory(clinic=other_clinic, given_name="Kōji", family_name="Farawaysentinel", mrn="C-0003")


# --- the standard library, once per test database --------------------------------------------------------
#
# load_standard_library() makes about 950 queries (every history row is chained into the audit log), so it runs
# once per test database (once per xdist worker), right after the database is created. A `db` test runs inside a
# transaction that is rolled back, so it sees the library and cannot remove it. A transactional test
# (`transactional_db`, `django_db(transaction=True)`, `live_server`) commits, and the test framework empties every
# table after it (Django's flush): pytest_runtest_teardown below then puts back the database as it stood with the
# library loaded, from a snapshot taken right after the load (_DatabaseSnapshot: the same rows, ids and audit chain,
# in a few statements instead of the load's 950 queries).
# (Not serialized_rollback: every such test would have to opt in, the snapshot is taken before the library is
# loaded, and its restore save()s each row over the one already there, an UPDATE the append-only triggers refuse.)

_DB_BLOCKER = pytest.StashKey[object]()
_SNAPSHOT = pytest.StashKey["_DatabaseSnapshot"]()
_TRANSACTIONAL_FIXTURES = {
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """The test database as pytest-django creates it (real migrations), with the standard library loaded."""
    with django_db_blocker.unblock():
        load_standard_library()
        request.config.stash[_SNAPSHOT] = _DatabaseSnapshot.take()
    request.config.stash[_DB_BLOCKER] = django_db_blocker
    yield
    with django_db_blocker.unblock():
        _end_stray_sessions()


class _DatabaseSnapshot:
    """Every row of the test database, exactly as stored, to put back after a transactional test's flush.

    SQLite: a copy of the whole database made with SQLite's backup API, copied back the same way. PostgreSQL: each
    of Django's tables (the ones flush empties) in COPY's text format, which gives back every value as it was; put
    back by emptying those tables (flush's post_migrate has re-created the content types and permissions) and COPY
    FROM, in one transaction, with the append-only guards stepped aside as for the flush. Ids are the snapshot's:
    PostgreSQL's sequences are not reset by the flush, so they are already past them.
    """

    def __init__(self, sqlite: sqlite3.Connection | None, tables: dict[str, bytes]) -> None:
        self.sqlite = sqlite
        self.tables = tables

    @classmethod
    def take(cls) -> _DatabaseSnapshot:
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            copy = sqlite3.connect(":memory:")
            connection.connection.backup(copy)
            return cls(copy, {})
        assert connection.vendor == "postgresql", connection.vendor
        tables = {}
        with connection.connection.cursor() as cursor:
            for table in sorted(connection.introspection.django_table_names(only_existing=True, include_views=False)):
                with cursor.copy(f"COPY {connection.ops.quote_name(table)} TO STDOUT") as rows:
                    tables[table] = b"".join(bytes(block) for block in rows)
        return cls(None, tables)

    def restore(self) -> None:
        connection.ensure_connection()
        if self.sqlite is not None:
            self.sqlite.backup(connection.connection)
        else:
            quote = connection.ops.quote_name
            with transaction.atomic(), guards.suspended(connection):
                with connection.cursor() as cursor:
                    cursor.execute(f"TRUNCATE {', '.join(quote(table) for table in self.tables)}")
                with connection.connection.cursor() as cursor:
                    for table, rows in self.tables.items():
                        if rows:
                            with cursor.copy(f"COPY {quote(table)} FROM STDIN") as copy:
                                copy.write(rows)
        ContentType.objects.clear_cache()  # flush's post_migrate cached the content types it re-created


def _end_stray_sessions(wait_seconds: float = 20) -> None:
    """Before pytest-django drops the PostgreSQL test database, wait for other sessions on it to end.

    A test that ran a subprocess or a server thread (backup, live server) leaves a backend that PostgreSQL may not
    have reaped yet, and DROP DATABASE refuses while one remains. Wait for them; if any outlive the wait, name them
    on stderr (so a real leak is visible) and end them, so the suite's result is the tests', not the clean-up's.
    """
    if connection.vendor != "postgresql":
        return
    query = (
        "SELECT pid, application_name, state, left(query, 200) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + wait_seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute(query)
            stray = cursor.fetchall()
            if not stray or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        for pid, application, state, last_query in stray:
            sys.stderr.write(f"\nstray session on the test database: pid {pid} {application!r} {state}: {last_query}\n")
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.close()


def _is_transactional(item: pytest.Item) -> bool:
    """pytest-django's rule (plugin.py, _django_db_helper): does this test commit, and so get flushed after?"""
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool(_TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a transactional test's fixtures are torn down (the flush included), put the library back (the snapshot).

    Not after the last test: then the session's fixtures, the test database among them, are gone too.
    """
    result = yield
    blocker = item.config.stash.get(_DB_BLOCKER, None)
    if blocker is not None and nextitem is not None and _is_transactional(item):
        with blocker.unblock():
            item.config.stash[_SNAPSHOT].restore()
    return result


@pytest.fixture
def library(db) -> None:
    """The standard foods and protocols. Already in the database (see above): a test names this to say it needs them."""
    assert Protocol.objects.filter(clinic=None).exists(), "the standard library is missing: was the database flushed?"


@pytest.fixture
def practall(library) -> Protocol:
    return Protocol.objects.get(clinic=None, name="PRACTALL 7-step peanut OFC")


@pytest.fixture
def dbpcfc(library) -> Protocol:
    """The standard double-blind PRACTALL protocol (placebo doses added at booking)."""
    return Protocol.objects.get(clinic=None, name="PRACTALL peanut flour DBPCFC")


@pytest.fixture
def preparer(clinic):
    """A nurse who prepares blinded doses: the only one who sees the placebo key before unblinding."""
    return UserFactory(
        username="t-preparer",
        role=Role.NURSE,
        clinic=clinic,
        first_name="Noor",
        last_name="Haddad",
        can_prepare_blinded=True,
    )


@pytest.fixture
def home_protocol(library) -> Protocol:
    return Protocol.objects.get(clinic=None, name="MCAS slow home reintroduction: cheesecake")


# --- the clock, and challenges for patient A -------------------------------------------------------------


@pytest.fixture
def clock(client):
    """The time, frozen at 09:00 on the challenge day (tests.helpers.START); `clock.move(minutes=30)` moves it on.

    Sessions expire after 30 idle minutes (shared clinic computers), so a move re-signs-in whoever was signed
    in, as the nurse at the bedside would.
    """
    with time_machine.travel(START, tick=False) as traveller:

        class Clock:
            now = START

            def move(self, **delta: float) -> datetime:
                user_id = client.session.get("_auth_user_id")
                Clock.now = Clock.now + timedelta(**delta)
                traveller.move_to(Clock.now)
                if user_id:
                    client.force_login(get_user_model().objects.get(pk=user_id))
                return Clock.now

        yield Clock()


@pytest.fixture
def challenge(practall, patient, allergist, nurse, clock) -> Challenge:
    """Patient A's PRACTALL peanut challenge, scheduled for 09:00 on the challenge day."""
    return challenge_schedule(
        patient=patient, protocol=practall, scheduled_at=START, allergist=allergist, nurse=nurse, by=nurse
    )


@pytest.fixture
def plan(home_protocol, patient, patient_user, allergist, clock) -> Challenge:
    """Patient A's (MCAS) home cheesecake reintroduction, scheduled for the morning the clock starts.

    Booked with the first step at home, so the patient records every step (the protocol's default, a first step
    taken in clinic, is tested in tests/home/test_plan_safety.py)."""
    patient.autoinjector_dose = "0.3"
    patient.save()
    return challenge_schedule(
        patient=patient,
        protocol=home_protocol,
        scheduled_at=START,
        allergist=allergist,
        nurse=None,
        by=allergist,
        first_step_in_clinic=False,
    )


@pytest.fixture
def empty_page_cache() -> Iterator[None]:
    """The per-process page cache (pages, board, draft report snapshots: clinics.page_cache) empty before and after."""
    caches[page_cache.CACHE_ALIAS].clear()
    yield
    caches[page_cache.CACHE_ALIAS].clear()

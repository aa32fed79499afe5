"""Audit rows written unsealed in the clinical transaction and sealed right after commit (docs/audit-chain.md).

PostgreSQL does this by default; here STEPWISE_AUDIT_SEAL forces it on SQLite, so the same code runs. A test's
transaction never commits, so `django_capture_on_commit_callbacks(execute=True)` plays the commit: the callbacks
the app registered run when the block ends, as they would after a real COMMIT.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import services, verify
from audit.models import Action, AuditEvent
from audit.services import Entry, audit_append, audit_seal
from clinics.services import clinical_record_save
from patients.models import Trigger
from tests.audit.conftest import attacker_sql, raw_fails

FIELDS = (
    "seq",
    "at",
    "user_id",
    "username",
    "clinic_id",
    "patient_id",
    "action",
    "object_type",
    "object_id",
    "ip",
    "user_agent",
    "details",
    "id",
    "sealed_at",
)


@pytest.fixture(autouse=True)
def after_commit(settings, nurse, patient):
    """From here on rows are sealed after commit; the cast above was written (and chained) before."""
    settings.STEPWISE_AUDIT_SEAL = "after_commit"
    settings.STEPWISE_AUDIT_SEAL_WINDOW = dt.timedelta(seconds=60)
    yield
    services.stop_sealer()  # its thread, and the connection it keeps, end with the test


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _expected_hash(event: AuditEvent) -> str:
    """The documented formula for a row sealed after commit, written out independently of audit.chain."""
    content = {name: getattr(event, name) for name in FIELDS}
    content["at"], content["sealed_at"] = _utc(event.at), _utc(event.sealed_at)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((event.previous_hash + text).encode()).hexdigest()


def _write_trigger(nurse, patient, substance: str = "Sesame") -> Trigger:
    return clinical_record_save(record=Trigger(patient=patient, substance=substance), by=nurse)


def test_a_write_is_unsealed_until_its_transaction_commits_then_continues_the_chain(
    nurse, patient, django_capture_on_commit_callbacks
):
    head = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").first()  # the chain so far, sealed in place
    assert head.sealed_at is None
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        trigger = _write_trigger(nurse, patient)
        event = AuditEvent.objects.get(object_type="patients.trigger", object_id=str(trigger.pk))
        assert (event.seq, event.previous_hash, event.hash, event.sealed_at) == (None, None, None, None)
    assert len(callbacks) == 1  # one seal per transaction
    event.refresh_from_db()
    assert (event.seq, event.previous_hash) == (head.seq + 1, head.hash)
    assert event.hash == _expected_hash(event)
    assert event.at <= event.sealed_at <= timezone.now()
    report = verify.verify_all()
    assert report.ok, report.sorted_problems()[:3]
    assert (report.head_seq, report.unsealed) == (event.seq, 0)


def test_one_seal_chains_every_row_of_a_transaction_in_the_order_written(nurse, patient):
    first = audit_append(Entry(action=Action.LOGIN, user=nurse))
    second = audit_append(Entry(action=Action.LOGOUT, user=nurse))
    assert audit_seal() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.seq == first.seq + 1
    assert second.previous_hash == first.hash
    assert audit_seal() == 0


def test_a_page_read_is_logged_and_sealed_after_the_response(
    client, nurse, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.force_login(nurse)  # its sign-in row is sealed with the read
        assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == HTTPStatus.OK
    view = AuditEvent.objects.get(action=Action.CHART_VIEW)
    assert view.hash == _expected_hash(view)
    assert verify.verify_all().ok


def test_a_row_left_unsealed_too_long_is_reported(nurse, patient):
    audit_seal()
    stuck = audit_append(Entry(action=Action.LOGIN, user=nurse))  # its seal never ran: the process died, say
    assert verify.verify_all().ok  # waiting a moment is normal
    assert verify.verify_all().unsealed == 1
    two_minutes_ago = timezone.now() - dt.timedelta(minutes=2)
    attacker_sql("UPDATE audit_auditevent SET at = %s WHERE id = %s", [two_minutes_ago, stuck.pk])
    problems = verify.verify_all().problems
    assert [p.kind for p in problems] == ["unsealed"]
    assert f"audit row id {stuck.pk} (login," in problems[0].message


def test_a_backdated_row_slipped_in_before_the_seal_is_reported_as_sealed_late(nurse, patient):
    audit_seal()
    forged = audit_append(Entry(action=Action.LOGIN, user=nurse))
    three_hours_ago = timezone.now() - dt.timedelta(hours=3)
    attacker_sql("UPDATE audit_auditevent SET at = %s WHERE id = %s", [three_hours_ago, forged.pk])
    audit_seal()
    forged.refresh_from_db()
    problems = verify.verify_all().problems
    assert [(p.seq, p.kind) for p in problems] == [(forged.seq, "sealed late")]


def test_a_sealed_row_altered_moved_or_reordered_is_found(nurse, patient):
    for n in range(4):
        audit_append(Entry(action=Action.LOGIN_FAILED, username=f"guess-{n}"))
    audit_seal()
    rows = list(AuditEvent.objects.filter(sealed_at__isnull=False).order_by("seq"))
    assert verify.verify_all().ok
    first, second = rows[1], rows[2]

    attacker_sql("UPDATE audit_auditevent SET username = 'someone-else' WHERE id = %s", [first.pk])
    assert [(p.seq, p.kind) for p in verify.verify_all().problems] == [(first.seq, "altered")]
    attacker_sql("UPDATE audit_auditevent SET username = %s WHERE id = %s", [first.username, first.pk])

    # Reordered: the two rows trade places in the chain (seq and links), each keeping its own content.
    attacker_sql(
        "UPDATE audit_auditevent SET seq = seq + 1000000, previous_hash = 'x' || id, hash = 'y' || id "
        "WHERE id IN (%s, %s)",
        [first.pk, second.pk],
    )
    for row, place in ((first, second), (second, first)):
        attacker_sql(
            "UPDATE audit_auditevent SET seq = %s, previous_hash = %s, hash = %s WHERE id = %s",
            [place.seq, place.previous_hash, place.hash, row.pk],
        )
    kinds = {(p.seq, p.kind) for p in verify.verify_all().problems}
    assert (first.seq, "altered") in kinds
    assert (second.seq, "altered") in kinds


def test_the_database_lets_a_row_be_sealed_once_and_never_changed(nurse, patient):
    audit_seal()
    pending = audit_append(Entry(action=Action.LOGIN, user=nurse))
    assert raw_fails("UPDATE audit_auditevent SET username = 'eve' WHERE id = %s", [pending.pk])
    assert raw_fails(
        "UPDATE audit_auditevent SET username = 'eve', seq = 999999, previous_hash = 'a', hash = 'b', sealed_at = %s "
        "WHERE id = %s",
        [timezone.now(), pending.pk],
    )  # sealing cannot carry a change of content with it
    assert raw_fails("DELETE FROM audit_auditevent WHERE id = %s", [pending.pk])
    audit_seal()
    pending.refresh_from_db()
    assert pending.hash is not None
    assert raw_fails("UPDATE audit_auditevent SET hash = 'c' WHERE id = %s", [pending.pk])
    assert raw_fails("UPDATE audit_auditevent SET seq = NULL, hash = NULL WHERE id = %s", [pending.pk])
    assert verify.verify_all().ok


def test_verify_audit_says_how_many_rows_wait_for_the_sealer(nurse, patient):
    from io import StringIO

    from django.core.management import call_command

    audit_seal()
    audit_append(Entry(action=Action.LOGIN, user=nurse))
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().strip().endswith("; 1 waiting to be sealed")
    call_command("seal_audit", stdout=out)
    assert "Sealed 1 audit row(s)." in out.getvalue()
    assert AuditEvent.objects.filter(hash__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_chart_read_is_sealed_in_the_background_and_the_page_does_not_wait(client, settings, nurse, patient):
    """A read's row is sealed by the app process's background sealer a moment after the page, in one batch with any
    other reads of that moment (issue 20: the seal was half of a cached page's time on PostgreSQL)."""
    import time

    settings.STEPWISE_AUDIT_SEAL_DELAY = dt.timedelta(seconds=5)
    client.force_login(nurse)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == HTTPStatus.OK
    read = AuditEvent.objects.filter(action=Action.CHART_VIEW, patient=patient).latest("id")
    assert read.hash is None  # the page was answered before its row was sealed
    deadline = time.monotonic() + 30
    while read.hash is None and time.monotonic() < deadline:
        time.sleep(0.25)
        read.refresh_from_db()
    assert read.hash is not None
    # by the sealer after its delay, not the request (the timer runs on the monotonic clock, `at` on the wall clock)
    assert read.sealed_at - read.at >= dt.timedelta(seconds=4.5)
    report = verify.verify_all()
    assert report.ok, report.problems
    assert report.unsealed == 0


@pytest.mark.django_db(transaction=True)
def test_clinical_writes_are_sealed_in_the_background_in_one_batch(settings, nurse, patient):
    """Writes too are sealed by the background sealer (issue 20: the seal was 5 of a dose post's round trips and the
    chain lock): two transactions committed within the delay are chained by one seal, in the order committed."""
    import time

    settings.STEPWISE_AUDIT_SEAL_DELAY = dt.timedelta(seconds=1)
    first, second = _write_trigger(nurse, patient, "Sesame"), _write_trigger(nurse, patient, "Mustard")
    rows = [AuditEvent.objects.get(object_type="patients.trigger", object_id=str(t.pk)) for t in (first, second)]
    assert [row.hash for row in rows] == [None, None]  # committed, answered, not yet sealed
    deadline = time.monotonic() + 30
    while any(row.hash is None for row in rows) and time.monotonic() < deadline:
        time.sleep(0.1)
        for row in rows:
            row.refresh_from_db()
    assert rows[1].seq == rows[0].seq + 1
    assert rows[1].previous_hash == rows[0].hash
    assert rows[0].sealed_at == rows[1].sealed_at  # one seal took both
    assert all(row.hash == _expected_hash(row) for row in rows)
    report = verify.verify_all()
    assert report.ok, report.problems
    assert report.unsealed == 0


@pytest.mark.django_db(transaction=True)
def test_a_process_that_exits_seals_what_its_sealer_was_waiting_for(settings, nurse, patient):
    """A gunicorn worker restarted or a management command ending before the delay: the exit handler ends the
    sealer, which was waiting out its delay, and seals."""
    settings.STEPWISE_AUDIT_SEAL_DELAY = dt.timedelta(seconds=600)
    trigger = _write_trigger(nurse, patient)
    row = AuditEvent.objects.get(object_type="patients.trigger", object_id=str(trigger.pk))
    assert row.hash is None
    sealer = services._sealer
    assert sealer is not None
    assert sealer.is_alive()
    services._seal_before_exit()
    row.refresh_from_db()
    assert row.hash == _expected_hash(row)
    assert not sealer.is_alive()  # ended at once, not after its 600 s delay
    assert services._sealer is None
    assert verify.verify_all().unsealed == 0


@pytest.mark.django_db(transaction=True)
def test_while_a_slow_seal_runs_commits_start_no_second_sealer_and_it_seals_them_after(
    settings, nurse, patient, monkeypatch
):
    """One sealer per process: a new thread per commit while a seal waited for the chain lock held a database
    connection each, until PostgreSQL refused clients (the full bench's two-server run, 29 Nov 2026)."""
    import threading
    import time

    def sealers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "audit-sealer"]

    settings.STEPWISE_AUDIT_SEAL_DELAY = dt.timedelta(seconds=0.05)
    started, release, callers = threading.Event(), threading.Event(), []

    def slow_seal(**options):
        callers.append(threading.get_ident())
        started.set()
        release.wait(30)
        return audit_seal(**options)

    monkeypatch.setattr(services, "audit_seal", slow_seal)
    _write_trigger(nurse, patient, "Sesame")
    assert started.wait(30)
    assert sealers() == [services._sealer]
    for substance in ("Mustard", "Celery", "Lupin"):
        _write_trigger(nurse, patient, substance)
    time.sleep(0.3)  # six delays: before, each commit started a sealer of its own
    assert sealers() == [services._sealer]
    assert len(callers) == 1
    release.set()
    rows = AuditEvent.objects.filter(object_type="patients.trigger")
    deadline = time.monotonic() + 30
    while rows.filter(hash__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not rows.filter(hash__isnull=True).exists()
    assert len(callers) == 2  # the same sealer sealed once more for the rows committed while it sealed
    assert len(set(callers)) == 1
    deadline = time.monotonic() + 30
    while services._sealing and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not services._sealing
    report = verify.verify_all()
    assert report.ok, report.problems


def _wait_sealed(rows, seconds: float = 30) -> None:
    import time

    deadline = time.monotonic() + seconds
    while rows.filter(hash__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not rows.filter(hash__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_the_sealer_keeps_its_thread_and_connection_from_one_seal_to_the_next(settings, nurse, patient, monkeypatch):
    """A new thread and database connection per seal cost PostgreSQL a backend start (about 8 ms of its CPU) several
    times a second per app process under load: the sealer seals burst after burst on one connection, kept as long
    as the app keeps its connections (CONN_MAX_AGE: 60 s in production's PostgreSQL settings)."""
    import threading

    from django.db import connection, connections

    settings.STEPWISE_AUDIT_SEAL_DELAY = dt.timedelta(seconds=0.05)
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 60)  # the dict new threads connect with
    seen = []

    def recording_seal(**options):
        sealed = audit_seal(**options)
        seen.append((threading.get_ident(), id(connection.connection)))
        return sealed

    monkeypatch.setattr(services, "audit_seal", recording_seal)
    rows = AuditEvent.objects.filter(object_type="patients.trigger")
    _write_trigger(nurse, patient, "Sesame")
    _wait_sealed(rows)
    _write_trigger(nurse, patient, "Mustard")
    _wait_sealed(rows)
    assert len(seen) >= 2
    assert len(set(seen)) == 1  # one thread, one open connection, for both bursts
    assert seen[0][0] != threading.get_ident()  # and not the request's own
    assert verify.verify_all().ok


@pytest.mark.django_db(transaction=True)
def test_an_idle_sealer_ends_and_the_next_commit_starts_another(settings, nurse, patient, monkeypatch):
    """A sealer with nothing to seal for SEALER_IDLE_S ends (closing its connection); one still within it stays."""
    import time

    settings.STEPWISE_AUDIT_SEAL_DELAY = dt.timedelta(seconds=0.05)
    monkeypatch.setattr(services, "SEALER_IDLE_S", 1.0)
    rows = AuditEvent.objects.filter(object_type="patients.trigger")
    _write_trigger(nurse, patient, "Sesame")
    _wait_sealed(rows)
    first = services._sealer
    assert first is not None
    time.sleep(0.3)  # within the idle time: still there
    assert first.is_alive()
    assert services._sealer is first
    first.join(10)  # past it: ended by itself
    assert not first.is_alive()
    assert services._sealer is None
    _write_trigger(nurse, patient, "Mustard")
    _wait_sealed(rows)
    assert services._sealer is not None
    assert services._sealer is not first
    assert verify.verify_all().ok

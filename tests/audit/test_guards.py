"""The audit and history tables are append-only and clinical rows undeletable, in the database itself."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command, get_commands
from django.core.management.commands.flush import Command as FlushCommand
from django.db import connection, models
from django.test import TransactionTestCase
from django.test.utils import isolate_apps

from audit import guards
from audit.models import AuditEvent
from clinics.models import ClinicalRecordError, NoDeleteQuerySet
from patients.models import Patient
from tests.audit.conftest import raw_fails

CLINICAL_TABLES = {
    "patients_patient",
    "patients_trigger",
    "patients_medication",
    "challenges_challenge",
    "challenges_dose",
    "challenges_observation",
    "challenges_vitalsigns",
    "challenges_treatment",
    "challenges_prechallengecheck",
    "challenges_followup",
    "challenges_challengeevent",
    "challenges_stopalert",
    "challenges_steprelease",
}


def _history_tables() -> set[str]:
    from django.apps import apps

    return {m._meta.db_table for m in apps.get_models() if guards.is_history_model(m)}


def _ops(*ops: str) -> set[str]:
    return {*ops, "truncate"} if connection.vendor == "postgresql" else set(ops)


def test_every_history_table_the_audit_table_and_every_clinical_table_is_guarded(db):
    present = guards.as_tables(guards.existing(connection))
    assert len(_history_tables()) >= 17
    for table in {*_history_tables(), "audit_auditevent"}:
        assert set(present.get(table, ())) == _ops("update", "delete"), table
    for table in CLINICAL_TABLES:
        assert set(present.get(table, ())) == _ops("delete"), table


def test_orm_cannot_change_or_delete_audit_events(patient):
    event = AuditEvent.objects.first()
    for attempt in (lambda: AuditEvent.objects.update(username="x"), AuditEvent.objects.all().delete, event.delete):
        with pytest.raises(ClinicalRecordError):
            attempt()
    event.username = "someone else"
    with pytest.raises(ClinicalRecordError):
        event.save()


def test_raw_sql_cannot_change_or_delete_audit_or_history_rows(patient):
    for table in ("audit_auditevent", "patients_historicalpatient"):
        assert raw_fails(
            f"UPDATE {table} SET history_change_reason = 'x'"
            if "historical" in table
            else f"UPDATE {table} SET username = 'x'"
        )
        assert raw_fails(f"DELETE FROM {table}")
    assert AuditEvent.objects.exists()
    assert Patient.history.exists()


def test_raw_sql_cannot_delete_clinical_rows_but_can_change_them(patient):
    assert raw_fails("DELETE FROM patients_patient")
    assert not raw_fails("UPDATE patients_patient SET notes = 'changed'")  # changes are caught by verify_audit
    assert Patient.objects.filter(pk=patient.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_is_refused_on_postgresql(patient):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else the test's pending FK checks refuse TRUNCATE first
    assert raw_fails("TRUNCATE audit_auditevent")
    assert raw_fails("TRUNCATE patients_patient CASCADE")


def test_a_dropped_guard_comes_back_at_the_next_migrate(patient):
    """What a later migration that adds or rebuilds a history table looks like: the table has no trigger yet."""
    table = "challenges_historicaldose"
    guards.drop(connection, [(table, op) for op in _ops("update", "delete")])
    assert table not in guards.as_tables(guards.existing(connection))
    call_command("migrate", verbosity=0)  # post_migrate reinstalls the missing guards
    assert set(guards.as_tables(guards.existing(connection))[table]) == _ops("update", "delete")
    assert raw_fails("DELETE FROM patients_historicalpatient")


@isolate_apps("audit")
def test_a_new_history_model_and_a_new_clinical_model_would_be_guarded():
    class HistoricalThing(models.Model):
        history_id = models.AutoField(primary_key=True)

        class Meta:
            app_label = "audit"

    class Thing(models.Model):
        objects = NoDeleteQuerySet.as_manager()

        class Meta:
            app_label = "audit"

    class Note(models.Model):
        class Meta:
            app_label = "audit"

    tables = guards.guarded_tables([HistoricalThing, Thing, Note])
    assert tables["audit_historicalthing"] == guards.APPEND_ONLY
    assert tables["audit_thing"] == guards.NO_DELETE
    assert "audit_note" not in tables


@pytest.mark.django_db(transaction=True)
def test_manage_py_flush_is_djangos_own_and_the_guards_refuse_it(patient):
    """No app overrides `flush`: production's `manage.py flush` is Django's command, and the triggers refuse it.

    A transactional test, so the flush runs in autocommit as in production (not inside a test's transaction).
    """
    assert get_commands()["flush"] == "django.core"
    with pytest.raises(CommandError, match="couldn't be flushed") as refused:
        call_command("flush", interactive=False, verbosity=0)
    assert guards.MESSAGE in str(refused.value.__cause__)
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert AuditEvent.objects.exists()


def test_the_plugin_wraps_only_the_test_frameworks_teardown():
    assert hasattr(TransactionTestCase._fixture_teardown, "__wrapped__")  # tests/plugins/guards.py is loaded
    assert FlushCommand.handle.__module__ == "django.core.management.commands.flush"  # flush itself is untouched


@pytest.mark.django_db(transaction=True)
def test_the_test_frameworks_flush_suspends_the_guards_and_puts_them_back(clinic, patient):
    """What pytest-django runs after each transactional test: TransactionTestCase's teardown, which flushes."""
    before = sorted(guards.existing(connection))
    assert before
    assert AuditEvent.objects.exists()
    TransactionTestCase()._fixture_teardown()
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.exists()
    assert sorted(guards.existing(connection)) == before

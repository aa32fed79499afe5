"""SQLite: put back the search table's triggers, and refill it.

0011 added a column to `patients_patient`; SQLite's schema editor does that by building a new table and dropping the
old one, and the triggers of 0009 went with the old table, so the search table stopped following the patients
(found by `tests/patients/test_search.py`; `test_the_search_table_follows_the_patients_after_every_migration`
now checks it after the last migration). Any later migration that rebuilds `patients_patient` on SQLite must do
this again.
"""

import importlib

from django.db import migrations

fts = importlib.import_module("patients.migrations.0009_search_fts")


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [fts.TABLE])
        if cursor.fetchone() is None:  # no FTS5 trigram tokenizer here: search uses LIKE (0009)
            return
    for name, body in fts.TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"CREATE TRIGGER {name} {body}")
    schema_editor.execute(f"DELETE FROM {fts.TABLE}")
    schema_editor.execute(f"INSERT INTO {fts.TABLE} (rowid, search_text) SELECT id, search_text FROM patients_patient")


class Migration(migrations.Migration):
    dependencies = [("patients", "0011_page_version")]

    operations = [migrations.RunPython(restore, migrations.RunPython.noop)]

"""SQLite: an FTS5 trigram table over the folded search text, so patient search stays flat as a clinic grows
(issue 20; PostgreSQL has its trigram index from 0007).

`patients_patient_search` holds one row per patient (rowid = the patient's id) with its `search_text`; triggers
keep it in step with every INSERT, UPDATE of `search_text` and DELETE of `patients_patient`, whoever writes
(the app, bulk_create, a restore). `case_sensitive 1`: the text and the query are both folded already
(`clinical.text.fold`), so a phrase matches exactly where `LIKE '%word%'` does. If this SQLite has no FTS5 trigram
tokenizer (before 3.34), nothing is created and the search keeps its LIKE filter (patients/search.py checks).
"""

import warnings

from django.db import DatabaseError, migrations, transaction

TABLE = "patients_patient_search"
TRIGGERS = {
    f"{TABLE}_insert": (
        f"AFTER INSERT ON patients_patient BEGIN "
        f"INSERT INTO {TABLE} (rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    f"{TABLE}_update": (
        f"AFTER UPDATE OF search_text ON patients_patient BEGIN "
        f"UPDATE {TABLE} SET search_text = new.search_text WHERE rowid = old.id; END"
    ),
    f"{TABLE}_delete": f"AFTER DELETE ON patients_patient BEGIN DELETE FROM {TABLE} WHERE rowid = old.id; END",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE {TABLE} USING fts5(search_text, tokenize = 'trigram case_sensitive 1')"
            )
    except DatabaseError as exc:
        warnings.warn(f"SQLite has no FTS5 trigram tokenizer ({exc}); patient search keeps LIKE", stacklevel=1)
        return
    for name, body in TRIGGERS.items():
        schema_editor.execute(f"CREATE TRIGGER {name} {body}")
    schema_editor.execute(f"INSERT INTO {TABLE} (rowid, search_text) SELECT id, search_text FROM patients_patient")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0008_diagnostic_results")]

    operations = [migrations.RunPython(create, drop)]

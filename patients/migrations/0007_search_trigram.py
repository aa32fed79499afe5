"""PostgreSQL: a trigram index on the folded search text, so patient search stays flat as a clinic grows (issue 20).

The search is a substring match (`search_text LIKE '%word%'`, patients/views.py); without this index it reads every
patient of the clinic. pg_trgm ships with PostgreSQL but creating an extension needs the right to do so: if the
migration's role may not, the index is skipped with a warning (search still works, only slower at scale) and a
database superuser can run `CREATE EXTENSION pg_trgm` and migrate again (`migrate patients 0006` then forward).
SQLite needs nothing here (it has no trigram index; the composite list index of 0004 serves its search).
"""

import warnings

from django.db import DatabaseError, migrations, transaction

INDEX = "patients_patient_search_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        warnings.warn(f"pg_trgm is not available ({exc}); patient search has no trigram index", stacklevel=1)
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON patients_patient USING gin (search_text gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_text_caps")]

    operations = [migrations.RunPython(create, drop)]

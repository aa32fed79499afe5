"""SQLite: tell the query planner that a clinic holds many patients, so a search starts from the FTS5 matches.

Without statistics SQLite guesses that `clinic_id = ?` picks about ten rows, so for `clinic_id = ? AND id IN (FTS5
matches)` it walks the clinic's whole index and tests each id: at 20,000 patients that costs as much as the LIKE scan
the FTS5 table (0009) was meant to replace (bench/README.md, "Issue 20, h20write"). `ANALYZE patients_patient`
measures the table; a new, empty table has nothing to measure, so each index led by `clinic_id` gets a written
estimate (SQLite, "Manual Control Of Query Plans Using SQLITE_STAT Tables"): 1,000 patients per clinic. Measured
figures replace it at the next ANALYZE (`PRAGMA optimize`, which SQLite's documentation recommends running now and
then on a long-lived database).
"""

from django.db import migrations

TABLE = "patients_patient"
PER_CLINIC = 1000


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")  # creates sqlite_stat1; measures the table if it has rows
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = %s", [TABLE])
        measured = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"PRAGMA index_list({TABLE})")
        for _seq, index, unique, *_rest in cursor.fetchall():
            cursor.execute(f'PRAGMA index_info("{index}")')
            columns = [row[2] for row in sorted(cursor.fetchall())]
            if index in measured or not columns or columns[0] != "clinic_id":
                continue
            # rows in the table, rows per clinic, then each further column narrows it (10, then 1; a unique index's
            # whole key: 1).
            per_prefix = [PER_CLINIC, PER_CLINIC] + [10 if n == 1 else 1 for n in range(1, len(columns))]
            if unique and len(columns) > 1:
                per_prefix[-1] = 1
            cursor.execute(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)",
                [TABLE, index, " ".join(str(n) for n in per_prefix)],
            )
        cursor.execute("ANALYZE sqlite_schema")  # reload the statistics in this connection


def drop(apps, schema_editor):
    pass  # statistics only: nothing to undo


class Migration(migrations.Migration):
    dependencies = [("patients", "0009_search_fts")]

    operations = [migrations.RunPython(create, drop)]

"""SQLite: write the search statistics of 0010 again, so a search starts from the FTS5 matches.

0011 added a column to `patients_patient`; SQLite's schema editor does that by building a new table and dropping the
old one, and the old table's rows of `sqlite_stat1` went with it (as its triggers did: 0012). Without them SQLite
again guesses that `clinic_id = ?` picks about ten rows and walks the clinic's whole index testing each id: at
20,000 patients the search's count and page took 4 and 3 ms instead of 0.3 and 1 ms (bench/README.md, "Patient
search paged"). `tests/patients/test_search.py` checks the statistics and the query plan after the last migration;
any later migration that rebuilds `patients_patient` on SQLite must do this again.
"""

import importlib

from django.db import migrations

stats = importlib.import_module("patients.migrations.0010_search_stats")


class Migration(migrations.Migration):
    dependencies = [("patients", "0012_search_fts_triggers_again")]

    operations = [migrations.RunPython(stats.create, migrations.RunPython.noop)]

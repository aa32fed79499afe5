"""Patient search: every word of the query is a substring of the patient's folded name and MRN (`search_text`).

PostgreSQL: `search_text LIKE '%word%'`, served by the trigram index of migration 0007. SQLite: the same words are
looked up in an FTS5 table with the trigram tokenizer (migration 0009, kept in step with `search_text` by
triggers), so a search at 20,000 patients no longer reads every patient of the clinic (issue 20). A trigram
phrase matches exactly the rows whose text holds it as a substring, so the results are those of the LIKE filter;
words shorter than three characters have no trigram and stay LIKE filters.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from clinical.text import fold
from patients.models import Patient

FTS_TABLE = "patients_patient_search"
TRIGRAM = 3  # the shortest text the trigram tokenizer can look up
Patients = TypeVar("Patients", bound=QuerySet[Patient, Any])


def search_patients(patients: Patients, query: str) -> Patients:
    """`patients` narrowed to those whose search text holds every word of `query` (folded: case and accents)."""
    words = fold(query).split()
    indexed = [w for w in words if len(w) >= TRIGRAM] if _has_fts_table() else []
    if indexed:
        phrases = " AND ".join('"{}"'.format(w.replace('"', '""')) for w in indexed)
        # The table name is a constant; the words go in as a query parameter.
        matching = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [phrases])  # noqa: S608, S611
        patients = patients.filter(pk__in=matching)
    for word in words:
        if word not in indexed:
            patients = patients.filter(search_text__contains=word)
    return patients


def _has_fts_table() -> bool:
    """Whether this database has the FTS5 table (SQLite with FTS5, migrated); asked once per connection."""
    if connection.vendor != "sqlite":
        return False
    known = getattr(connection, "_stepwise_patient_fts", None)
    if known is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE])
            known = cursor.fetchone() is not None
        connection._stepwise_patient_fts = known  # type: ignore[attr-defined]
    return known

"""Patient search through the list page: on SQLite its words are looked up in the FTS5 trigram table (migration
0009); the results are those of the plain substring filter, however the patients were written (issue 20)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinical.text import fold
from clinics.services import clinical_record_save
from patients.models import Patient
from patients.search import FTS_TABLE, search_patients
from tests.factories import PatientFactory

NAMES = [
    ("Zoë", "Ångström-Nguyễn", "A-0001"),
    ("Ngozi", "Okafor", "B-1002"),
    ("Nguyen", "Smith", "C-2003"),
    ("Aisha", "Rahman", "R-100"),
    ("Rahma", "O'Neil", "R-1000"),
    ('Anna "Nan"', "Smithers", "X_10%"),
    ("Bo", "Li", "LI-7"),
]
QUERIES = [
    *("ngu", "NGUYEN", "smith", "smith anna", "rahm", "r-100", "o'n", '"nan"'),
    *("x_10%", "_10", "li", "bo li", "a", "zz"),
]


def _plain_filter(clinic, query: str) -> set[str]:
    """What the search returned before the FTS table: every word a substring of the folded text."""
    patients = Patient.objects.filter(clinic=clinic, entered_in_error=False)
    for word in fold(query).split():
        patients = patients.filter(search_text__contains=word)
    return set(patients.values_list("mrn", flat=True))


def _found(client, query: str) -> set[str]:
    page = client.get(reverse("patients:list"), {"q": query}).content.decode()
    mrns = set(Patient.objects.values_list("mrn", flat=True))
    return {mrn for mrn in mrns if re.search(rf"(?<![\w-]){re.escape(mrn)}(?![\w-])", page)}


@pytest.fixture
def people(clinic, other_clinic):
    for given, family, mrn in NAMES:
        PatientFactory(clinic=clinic, given_name=given, family_name=family, mrn=mrn)
    PatientFactory(clinic=other_clinic, given_name="Nguyen", family_name="Elsewhere", mrn="Z-9")


@pytest.mark.parametrize("query", QUERIES)
def test_search_finds_what_the_substring_filter_finds(client, nurse, clinic, people, query):
    client.force_login(nurse)
    assert _found(client, query) == _plain_filter(clinic, query)


def test_every_query_above_finds_someone_or_no_one_as_expected(client, nurse, clinic, people):
    """The cases are not vacuous: some queries find several patients, some one, some none."""
    found = {q: _plain_filter(clinic, q) for q in QUERIES}
    assert found["smith"] == {"C-2003", "X_10%"}
    assert found["ngu"] == {"A-0001", "C-2003"}
    assert found["zz"] == set()
    assert found["_10"] == {"X_10%"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_sqlite_search_reads_the_trigram_table(client, nurse, people):
    client.force_login(nurse)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("patients:list"), {"q": "rahman"})
    assert any(FTS_TABLE in q["sql"] and "MATCH" in q["sql"] for q in queries)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_a_renamed_patient_is_found_by_the_new_name_only(client, nurse, clinic, people):
    """The triggers follow every change of search_text, through the service as through bulk writes."""
    patient = Patient.objects.get(mrn="B-1002")
    patient.family_name = "Adeyemi"
    clinical_record_save(record=patient, by=nurse)
    bulk = Patient(clinic=clinic, given_name="Bulk", family_name="Okafor", mrn="BULK-1", date_of_birth=date(1990, 1, 1))
    bulk.search_text = fold("Bulk Okafor BULK-1")  # as bench/generate_data.py fills it
    Patient.objects.bulk_create([bulk])
    client.force_login(nurse)
    assert _found(client, "okafor") == _plain_filter(clinic, "okafor") == {"BULK-1"}
    assert _found(client, "adeyemi") == _plain_filter(clinic, "adeyemi") == {"B-1002"}


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigram table and its triggers are SQLite's")
def test_the_search_table_follows_the_patients_after_every_migration():
    """A migration that rebuilds patients_patient on SQLite drops the table's triggers with it (0011 did; 0012 puts
    them back): after the last migration, all three exist."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'patients_patient'")
        triggers = {name for (name,) in cursor.fetchall()}
    assert {f"{FTS_TABLE}_insert", f"{FTS_TABLE}_update", f"{FTS_TABLE}_delete"} <= triggers


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="sqlite_stat1 and the trigram table are SQLite's")
def test_a_search_starts_from_the_trigram_matches_after_every_migration(clinic):
    """Without statistics SQLite walks the clinic's whole index and tests every patient against the matches (20,000
    rows at the bench's scale): 0010 writes them, 0011 rebuilt the table and lost them, 0013 writes them again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'patients_patient'")
        assert "patients_patient_list_idx" in {idx for (idx,) in cursor.fetchall()}
    found = search_patients(Patient.objects.filter(clinic=clinic).current(), "rahman")
    for query in (found.order_by().values("pk").query, found.query):  # the count's filter, then the page
        sql, params = query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = [row[-1] for row in cursor.fetchall()]
        assert any(step.startswith(f"SCAN {FTS_TABLE} VIRTUAL TABLE") for step in plan), plan
        assert any(step.startswith("SEARCH patients_patient USING INTEGER PRIMARY KEY") for step in plan), plan
        assert not any("(clinic_id=?)" in step for step in plan), plan

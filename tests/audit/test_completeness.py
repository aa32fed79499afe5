"""Every clinical model keeps history, and every write path leaves a chained history row (plan test 19)."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus
from io import StringIO

import pytest
from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.urls import reverse

from audit import guards, verify
from audit.models import AuditEvent
from challenges.home.models import CalendarFeed
from challenges.models import (
    ChallengeEvent,
    Food,
    PremedicationItem,
    Protocol,
    ProtocolStep,
    StepRelease,
    StopAlert,
)
from clinics.models import ClinicalRecord, ClinicalRecordError, User
from tests.factories import UserFactory
from tests.patients.test_views import VALID_PATIENT

CLINICAL_APPS = ("clinics", "patients", "challenges")
EVENT_MODELS = {ChallengeEvent, StopAlert, StepRelease}
LIBRARY_MODELS = {Food, Protocol, ProtocolStep, PremedicationItem}
# Who may do what, and who may read what: history, so a raw change shows in verify_audit (review M8). A patient's
# calendar link is also never deleted: a revoked link stays on record (who issued and revoked it, when).
ACCESS_MODELS = {User, CalendarFeed}
NEVER_DELETED_ACCESS_MODELS = {CalendarFeed}


def _clinical_models() -> set[type]:
    records = {m for m in apps.get_models() if issubclass(m, ClinicalRecord) and not m._meta.abstract}
    return records | EVENT_MODELS | LIBRARY_MODELS


def _with_history() -> set[type]:
    return {
        m
        for m in apps.get_models()
        if m._meta.app_label in CLINICAL_APPS and hasattr(m._meta, "simple_history_manager_attribute")
    }


def test_history_is_registered_on_exactly_the_clinical_models():
    # main: WashoutDecision; observe: Discharge; lot: FoodLot; h18diag: DiagnosticResult
    assert len(_clinical_models()) == 21
    assert (_clinical_models() | ACCESS_MODELS) ^ _with_history() == set()


@pytest.mark.parametrize("model", sorted(_clinical_models(), key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_bulk_updates_are_refused_on_every_clinical_model(db, model):
    for attempt in (lambda: model.objects.all().update(pk=1), lambda: model.objects.bulk_update([], ["pk"])):
        with pytest.raises(ClinicalRecordError) as error:
            attempt()
        assert error.value.code == "no_bulk_update"


def test_never_deleted_models_are_exactly_the_delete_guarded_tables():
    no_delete = {table for table, ops in guards.guarded_tables(apps.get_models()).items() if ops == guards.NO_DELETE}
    records = {m for m in _clinical_models() if m not in LIBRARY_MODELS} | NEVER_DELETED_ACCESS_MODELS
    assert no_delete == {m._meta.db_table for m in records}


def test_save_still_works_and_keeps_history(nurse, patient):
    patient.notes = "Saved one by one"
    patient.save()
    patient.refresh_from_db()
    assert patient.notes == "Saved one by one"
    assert patient.history.first().notes == "Saved one by one"


def _chained(history_row) -> AuditEvent:
    return AuditEvent.objects.get(
        details__model=history_row._meta.label_lower, details__history_id=history_row.history_id
    )


def test_a_form_post_leaves_who_when_and_the_old_value(client, nurse, patient):
    client.force_login(nurse)
    data = {**VALID_PATIENT, "mrn": patient.mrn, "weight_kg": "64", "seen_version": patient.version}
    assert client.post(reverse("patients:edit", args=[patient.pk]), data).status_code == HTTPStatus.FOUND
    latest = patient.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_type, latest.weight_kg) == (nurse, "~", Decimal("64.00"))
    assert latest.prev_record.weight_kg == Decimal("60.00")  # the old value
    assert latest.history_date is not None
    assert latest.history_date.utcoffset().total_seconds() == 0
    event = _chained(latest)
    assert (event.user, event.patient, event.ip) == (nurse, patient, "127.0.0.1")


def test_an_admin_change_leaves_who_when_and_the_old_value(client, patient):
    admin = UserFactory(username="t-admin", role="", clinic=None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in ((f.html_name, f.value()) for f in form) if value not in (None, False)}
    data.update({"notes": "Changed in the admin", "date_of_birth": "1990-05-01", "weight_measured_on": "2026-01-10"})
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    latest = patient.history.order_by("-history_id").first()
    assert (latest.history_user, latest.notes, latest.prev_record.notes) == (admin, "Changed in the admin", "")
    assert _chained(latest).user == admin


def test_load_demo_is_fully_chained(db):
    call_command("load_demo", force=True, stdout=StringIO())
    report = verify.verify_all()
    assert report.ok, report.sorted_problems()[:5]
    histories = sum(m._base_manager.count() for m in verify._history_models())
    assert report.history_rows == histories > 100
    assert AuditEvent.objects.filter(action="record.change").count() == histories
    signed = apps.get_model("challenges", "HistoricalChallenge").objects.exclude(history_user=None)
    assert signed.exists()  # services name their user even outside a request


def test_a_fixture_load_writes_no_history_and_verify_says_so(patient):
    """loaddata saves with raw=True, which simple-history skips: verify_audit reports the rows it cannot vouch for."""
    data = serializers.serialize("json", [patient])  # reloaded below as a new row, id 9999, MRN FIX-1
    data = data.replace(f'"pk": {patient.pk}', '"pk": 9999').replace('"A-0001"', '"FIX-1"')
    for obj in serializers.deserialize("json", data):
        obj.save()
    problems = [str(p) for p in verify.verify_all().problems]
    assert problems == ["no history: patients.patient id 9999 has no history row"]

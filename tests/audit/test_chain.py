"""Every clinical write, chart read and sign-in is one link in the audit hash chain."""

from __future__ import annotations

import hashlib
import json
from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.urls import reverse

from audit.models import Action, AuditEvent
from audit.services import Entry, audit_append, log_access
from clinics.services import clinical_record_save
from patients.models import Trigger

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
)


def _expected_hash(event: AuditEvent) -> str:
    """The documented formula, written out independently of audit.chain."""
    content = {name: getattr(event, name) for name in FIELDS}
    content["at"] = event.at.isoformat(timespec="microseconds").replace("+00:00", "Z")
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((event.previous_hash + text).encode()).hexdigest()


def test_a_clinical_write_appends_a_linked_record_change(nurse, patient):
    before = AuditEvent.objects.order_by("-seq").first()
    trigger = clinical_record_save(record=Trigger(patient=patient, substance="Sesame"), by=nurse)
    event = AuditEvent.objects.get(
        action=Action.RECORD_CHANGE, object_type="patients.trigger", object_id=str(trigger.pk)
    )
    history = trigger.history.get()
    assert event.seq == before.seq + 1
    assert event.previous_hash == before.hash
    assert (event.user, event.username, event.patient, event.clinic_id) == (
        nurse,
        "t-nurse",
        patient,
        patient.clinic_id,
    )
    assert event.details["model"] == "patients.historicaltrigger"
    assert (event.details["history_id"], event.details["history_type"]) == (history.history_id, "+")
    assert "substance" in event.details["fields"]
    assert len(event.details["row_sha256"]) == 64
    assert event.hash == _expected_hash(event)


def test_the_first_event_links_to_the_genesis_hash(patient):
    first = AuditEvent.objects.get(seq=1)
    assert first.previous_hash == "0" * 64
    assert first.hash == _expected_hash(first)


def test_the_chain_cannot_fork(patient):
    last = AuditEvent.objects.order_by("-seq").first()
    fork = AuditEvent(seq=last.seq + 1, action=Action.LOGIN, previous_hash=last.previous_hash, hash="f" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save()


def test_sign_in_sign_out_and_failed_sign_in_are_logged(client, nurse):
    login = reverse("login")
    client.post(login, {"username": "t-nurse", "password": "wrong-password-123"}, REMOTE_ADDR="192.0.2.7")
    failed = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert (failed.user, failed.username, failed.clinic_id, failed.ip) == (
        None,
        "t-nurse",
        nurse.clinic_id,
        "192.0.2.7",
    )
    client.post(login, {"username": "t-nurse", "password": "correct-horse-battery"}, HTTP_USER_AGENT="Bedside/1.0")
    signed_in = AuditEvent.objects.get(action=Action.LOGIN)
    assert (signed_in.user, signed_in.ip, signed_in.user_agent) == (nurse, "127.0.0.1", "Bedside/1.0")
    client.post(reverse("logout"))
    assert AuditEvent.objects.get(action=Action.LOGOUT).user == nurse


def test_unknown_username_is_logged_without_a_clinic(client, db):
    client.post(reverse("login"), {"username": "nobody", "password": "x" * 12})
    failed = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert (failed.username, failed.clinic_id) == ("nobody", None)


def test_text_a_column_cannot_hold_is_cleaned(db):
    event = audit_append(Entry(action=Action.LOGIN_FAILED, username="eve\x00" + "x" * 200))
    assert event.username == "eve" + "x" * 147


def test_chart_and_history_reads_are_logged(client, nurse, patient):
    client.force_login(nurse)
    assert (
        client.get(reverse("patients:detail", args=[patient.pk]), REMOTE_ADDR="198.51.100.4").status_code
        == HTTPStatus.OK
    )
    view = AuditEvent.objects.get(action=Action.CHART_VIEW)
    assert (view.user, view.patient, view.clinic_id, view.ip) == (nurse, patient, patient.clinic_id, "198.51.100.4")
    assert (view.object_type, view.object_id, view.details) == (
        "patients.patient",
        str(patient.pk),
        {"path": f"/patients/{patient.pk}/"},
    )
    client.get(reverse("patients:history", args=[patient.pk]))
    assert AuditEvent.objects.filter(action=Action.CHART_HISTORY, patient=patient, user=nurse).count() == 1


def test_a_refused_chart_read_is_not_logged_as_a_view(client, other_clinic_nurse, patient):
    client.force_login(other_clinic_nurse)
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == HTTPStatus.NOT_FOUND
    assert not AuditEvent.objects.filter(action=Action.CHART_VIEW).exists()


def test_forwarded_for_is_used_only_behind_a_trusted_proxy(settings, nurse, patient):
    request = RequestFactory().get(
        "/x", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5", HTTP_USER_AGENT="A" * 400 + "\x00"
    )
    request.user = nurse
    settings.STEPWISE_PROXY_COUNT = 0
    assert log_access(request, patient=patient, action=Action.PDF_DOWNLOAD).ip == "10.0.0.1"
    settings.STEPWISE_PROXY_COUNT = 1
    event = log_access(request, patient=patient, action=Action.PDF_DOWNLOAD)
    assert event.ip == "203.0.113.5"
    assert event.user_agent == "A" * 300


def test_details_are_hashed_as_the_database_returns_them(db):
    event = audit_append(Entry(action=Action.LOGIN, details={1: ("a", None)}))
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.details == {"1": ["a", None]}
    assert stored.hash == _expected_hash(stored)


@pytest.mark.skipif("axes" not in settings.INSTALLED_APPS, reason="lockouts come from django-axes")
def test_a_lockout_is_logged(client, nurse):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "t-nurse", "password": "wrong-password-123"})
    lockout = AuditEvent.objects.get(action=Action.LOCKOUT)
    assert (lockout.username, lockout.clinic_id, lockout.ip) == ("t-nurse", nurse.clinic_id, "127.0.0.1")

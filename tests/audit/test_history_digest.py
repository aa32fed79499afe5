"""A history row's digest is taken from the values written, without reading the row back, and is what
`verify_audit` later recomputes from the database (issue 20: one SELECT less per change)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit import chain, verify
from audit.models import Action, AuditEvent
from audit.services import stored_values
from challenges.run import services as runs
from challenges.run.models import Dose


def _read_back(row) -> dict:
    model = type(row)
    return model._base_manager.filter(pk=row.pk).values(*[f.attname for f in model._meta.concrete_fields]).get()


def _give_dose(challenge, nurse, clock) -> Dose:
    return runs.dose_record(
        challenge=challenge,
        by=nurse,
        food_amount=None,
        given_at=clock.now,
        idempotency_key=uuid.uuid4(),
        checked_by=challenge.allergist,
    ).dose


def test_a_dose_history_row_digest_matches_the_stored_row(dosing_challenge, nurse, clock):
    dose = _give_dose(dosing_challenge, nurse, clock)
    history = dose.history.get()
    assert chain.digest(stored_values(history)) == chain.digest(_read_back(history))
    event = AuditEvent.objects.get(action=Action.RECORD_CHANGE, object_type="challenges.dose", object_id=str(dose.pk))
    assert event.details["row_sha256"] == chain.digest(_read_back(history))
    assert not [p for p in verify.verify_all().problems if p.kind == "history changed"]


def test_the_first_dose_writes_no_read_back_of_its_history_rows(dosing_challenge, nurse, clock):
    """The dose, the status change and the challenge's new status: each history row is hashed from memory."""
    with CaptureQueriesContext(connection) as queries:
        _give_dose(dosing_challenge, nurse, clock)
    read_backs = [q["sql"] for q in queries if q["sql"].startswith('SELECT "challenges_historical')]
    assert read_backs == []
    assert AuditEvent.objects.filter(action=Action.RECORD_CHANGE, object_type="challenges.challenge").exists()


def test_a_value_the_column_would_round_is_read_back(dosing_challenge, nurse, clock):
    """More decimal places than the column keeps: the stored value is what the database gives back."""
    history = _give_dose(dosing_challenge, nurse, clock).history.get()
    history.protein_mg = history.protein_mg + Decimal("0.0004")  # in memory only: the stored row is unchanged
    assert stored_values(history)["protein_mg"] == _read_back(history)["protein_mg"]
    history.created_at = history.created_at.replace(tzinfo=None)  # a naive time: read back too
    assert stored_values(history)["created_at"] == _read_back(history)["created_at"]

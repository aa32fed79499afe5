"""A dose is kept with its history row and its audit row, or not at all (plan test 17).

Each fault is injected while the real service records the dose; the row counts before and after must match.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from simple_history.models import HistoricalRecords

from audit import services as audit_services
from audit.models import AuditEvent
from challenges.models import ChallengeEvent, Dose
from challenges.run import services as runs
from challenges.run.services import doses as run_doses
from tests.helpers import second_checker
from tests.run.helpers import give_dose


class InjectedFault(Exception):
    pass


def _counts() -> tuple[int, ...]:
    return Dose.objects.count(), Dose.history.count(), AuditEvent.objects.count(), ChallengeEvent.objects.count()


def _record(challenge, nurse, clock) -> Dose:
    return runs.dose_record(
        challenge=challenge,
        by=nurse,
        food_amount=None,
        given_at=clock.now,
        idempotency_key=uuid.uuid4(),
        checked_by=second_checker(challenge, nurse),
    ).dose


def _fail_audit_append(original):
    def append(entry):
        if entry.object_type == "challenges.dose":
            raise InjectedFault("audit write failed")
        return original(entry)

    return append


def _fail_history_write(original):
    def create(self, instance, history_type, using=None):
        if isinstance(instance, Dose):
            raise InjectedFault("history write failed")
        return original(self, instance, history_type, using=using)

    return create


def _fail_after_insert(original):
    def after(*args, **kwargs):
        raise InjectedFault("failed after the dose insert")

    return after


FAULTS = {
    "inside the audit write": (audit_services, "audit_append", _fail_audit_append),
    "inside the history write": (HistoricalRecords, "create_historical_record", _fail_history_write),
    "after the dose insert": (run_doses, "_after_dose", _fail_after_insert),
}


@pytest.mark.parametrize("where", FAULTS)
def test_a_fault_leaves_no_orphans(monkeypatch, dosing_challenge, nurse, clock, where):
    target, name, make = FAULTS[where]
    before = _counts()
    monkeypatch.setattr(target, name, make(getattr(target, name)))
    with pytest.raises(InjectedFault):
        _record(dosing_challenge, nurse, clock)
    assert _counts() == before
    dosing_challenge.refresh_from_db()
    assert dosing_challenge.status == "checked_in"


def test_without_a_fault_all_three_are_written(client, dosing_challenge, nurse, clock):
    doses, histories, events, _ = _counts()
    client.force_login(nurse)
    assert give_dose(client, dosing_challenge, clock.now).status_code == HTTPStatus.FOUND
    dose = Dose.objects.get()
    assert (Dose.objects.count(), Dose.history.count()) == (doses + 1, histories + 1)
    chained = AuditEvent.objects.get(object_type="challenges.dose", object_id=str(dose.pk))
    assert chained.details["history_id"] == dose.history.get().history_id
    assert (chained.patient_id, chained.user, chained.ip) == (dosing_challenge.patient_id, nurse, "127.0.0.1")

"""Clinical records are never hard-deleted."""

from __future__ import annotations

import pytest

from clinics.models import ClinicalRecordError
from patients.models import Patient, Trigger
from tests.factories import TriggerFactory


def test_delete_raises(patient):
    with pytest.raises(ClinicalRecordError) as error:
        patient.delete()
    assert error.value.code == "no_delete"
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_bulk_delete_raises(patient):
    TriggerFactory(patient=patient)
    with pytest.raises(ClinicalRecordError):
        Trigger.objects.filter(patient=patient).delete()
    assert Trigger.objects.filter(patient=patient).count() == 1

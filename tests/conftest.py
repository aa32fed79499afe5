"""The cast: an allergist and nurse of clinic 1, a patient with a login, another patient, a nurse of clinic 2."""

from __future__ import annotations

import pytest

from clinics.models import Role
from tests.factories import ClinicFactory, PatientFactory, UserFactory


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Northside Test Clinic")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Harbour Test Clinic", time_zone="Australia/Sydney")


@pytest.fixture
def allergist(clinic):
    return UserFactory(username="t-allergist", role=Role.ALLERGIST, clinic=clinic)


@pytest.fixture
def nurse(clinic):
    return UserFactory(username="t-nurse", role=Role.NURSE, clinic=clinic)


@pytest.fixture
def other_clinic_nurse(other_clinic):
    return UserFactory(username="t-other-nurse", role=Role.NURSE, clinic=other_clinic)


@pytest.fixture
def patient(clinic):
    """Patient A, whose login is `patient_user`."""
    return PatientFactory(clinic=clinic, given_name="Zoë", family_name="Ångström-Nguyễn", mrn="A-0001")


@pytest.fixture
def patient_user(patient):
    user = UserFactory(username="t-patient", role=Role.PATIENT, clinic=patient.clinic)
    patient.user = user
    patient.save()
    return user


@pytest.fixture
def other_patient(clinic):
    """Patient B of the same clinic: patient A must never see them."""
    return PatientFactory(clinic=clinic, given_name="Bea", family_name="Otherperson", mrn="B-0002")


@pytest.fixture
def other_clinic_patient(other_clinic):
    return PatientFactory(clinic=other_clinic, given_name="Kōji", family_name="Farawaysentinel", mrn="C-0003")

"""Report fixtures: challenges driven through the services (tests/reports/scenarios.py).

The cast and the library come from tests/conftest.py; the reports print the allergist (Amira Okafor) and the
nurse (Sam Lee) by name."""

from __future__ import annotations

import pytest

from challenges.models import Protocol
from tests.reports import scenarios


@pytest.fixture
def failed(patient, practall, nurse, allergist):
    """PRACTALL peanut failed at dose 5 (urticaria), outcome confirmed, not signed."""
    return scenarios.practall_failed_at_dose_5(patient, practall, nurse, allergist)


@pytest.fixture
def signed_failed(patient, practall, nurse, allergist):
    return scenarios.practall_failed_at_dose_5(patient, practall, nurse, allergist, sign=True)


@pytest.fixture
def passed_egg(patient, library, nurse, allergist):
    """A hard-boiled egg challenge passed: all five PRACTALL-5 doses, signed."""
    egg = Protocol.objects.get(name="Hard-boiled egg OFC")
    return scenarios.practall_passed(patient, egg, nurse, allergist, sign=True)


@pytest.fixture
def long_challenge(patient, library, nurse, allergist):
    """30 steps and 200 findings: the report must run over several pages cleanly."""
    food = Protocol.objects.get(name="PRACTALL 7-step peanut OFC").food
    protocol = scenarios.long_protocol(food)
    return scenarios.long_challenge(patient, protocol, nurse, allergist, observations=200)


@pytest.fixture
def home_challenge(patient, home_protocol, nurse, allergist):
    """The MCAS cheesecake home plan for patient A, starting on the scenario day; step 1 taken."""
    patient.autoinjector_dose = "0.3"
    patient.emergency_contact_name, patient.emergency_contact_phone = "Linh Nguyễn", "+44 7700 900123"
    patient.save()
    patient.clinic.phone = "+44 113 496 0000"
    patient.clinic.save()
    return scenarios.home_plan_started(patient, home_protocol, nurse, allergist)

"""A home cheesecake reintroduction for patient A (MCAS), scheduled for the morning the clock starts."""

from __future__ import annotations

import pytest

from challenges.models import Protocol
from challenges.run.services import challenge_schedule
from tests.run.conftest import START, clock, library  # noqa: F401  (fixtures shared with the clinic run)


@pytest.fixture
def home_protocol(library):  # noqa: F811
    return Protocol.objects.get(name="MCAS slow home reintroduction: cheesecake")


@pytest.fixture
def plan(home_protocol, patient, patient_user, allergist, clock):  # noqa: F811
    patient.autoinjector_dose = "0.3"
    patient.save()
    return challenge_schedule(
        patient=patient, protocol=home_protocol, scheduled_at=START, allergist=allergist, nurse=None, by=allergist
    )

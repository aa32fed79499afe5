"""Fixtures for the protocol-library pages: the standard library and a clinic's own protocol."""

from __future__ import annotations

import pytest

from challenges.models import Protocol
from challenges.library.services.standard import load_standard_library
from challenges.library.services.protocols import protocol_clone
from clinics.models import Role
from tests.factories import UserFactory


@pytest.fixture
def library(db):
    load_standard_library()


@pytest.fixture
def practall(library) -> Protocol:
    return Protocol.objects.get(clinic=None, name="PRACTALL 7-step peanut OFC")


@pytest.fixture
def clinic_protocol(practall, allergist) -> Protocol:
    """The clinic's own copy of PRACTALL peanut (version 1, unused)."""
    return protocol_clone(protocol=practall, clinic=allergist.clinic, by=allergist)


@pytest.fixture
def other_clinic_allergist(other_clinic):
    return UserFactory(username="t-other-allergist", role=Role.ALLERGIST, clinic=other_clinic)

"""Fixtures for the protocol-library pages: a clinic's own protocol and two standard peanut foods (the library
itself is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from challenges.library.services.protocols import protocol_clone
from challenges.models import Food, Protocol


@pytest.fixture
def clinic_protocol(practall, allergist) -> Protocol:
    """The clinic's own copy of PRACTALL peanut (version 1, unused)."""
    return protocol_clone(protocol=practall, clinic=allergist.clinic, by=allergist)


@pytest.fixture
def peanut_butter(library) -> Food:
    return Food.objects.get(clinic=None, name="Peanut butter", form="smooth")


@pytest.fixture
def peanut_flour(library) -> Food:
    return Food.objects.get(clinic=None, name="Peanut flour", form="defatted")

"""Fixtures for the protocol-library pages: a clinic's own protocol (the library itself is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from challenges.library.services.protocols import protocol_clone
from challenges.models import Protocol


@pytest.fixture
def clinic_protocol(practall, allergist) -> Protocol:
    """The clinic's own copy of PRACTALL peanut (version 1, unused)."""
    return protocol_clone(protocol=practall, clinic=allergist.clinic, by=allergist)

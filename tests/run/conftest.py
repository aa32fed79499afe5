"""The clinic run's fixtures (library, practall, clock, challenge) are shared by every folder: tests/conftest.py."""

from __future__ import annotations

from tests.helpers import LONDON, START  # noqa: F401 - kept importable from here for modules that still do

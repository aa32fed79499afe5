from tests.run.conftest import challenge, clock, library, practall  # noqa: F401  (shared fixtures)

"""pytest plugin: the append-only triggers step aside while the test framework empties the database, and only then.

Tests run on the real migrations, so the triggers of audit.guards are in the test database. After every
`transactional_db` test (and `live_server` test) pytest-django runs Django's TransactionTestCase teardown, which
empties the database with Django's `flush`; the triggers refuse that, as they refuse `manage.py flush` in
production. This plugin wraps that one call site, `TransactionTestCase._fixture_teardown`, in
`guards.suspended()`: the guards are dropped, the framework flushes, the same guards are put back.

Nothing else changes: `call_command("flush")` inside a test, like `manage.py flush` in production, is Django's own
command and is refused (tests/audit/test_guards.py). Loaded in every pytest process through pytest.ini
(`-p tests.plugins.guards`); production code never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

Teardown = Callable[[Any], None]
_ORIGINAL = pytest.StashKey[Teardown]()


def suspending_guards(teardown: Teardown) -> Teardown:
    """`teardown` (TransactionTestCase._fixture_teardown) with the guards of each of the test's databases suspended."""

    def _fixture_teardown(self: Any) -> None:
        from django.db import connections

        from audit import guards

        with ExitStack() as stack:
            for alias in self._databases_names(include_mirrors=False):
                stack.enter_context(guards.suspended(connections[alias]))
            teardown(self)

    _fixture_teardown.__wrapped__ = teardown  # type: ignore[attr-defined]
    return _fixture_teardown


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from django.test import TransactionTestCase

    # Fails loudly (KeyError) if a Django upgrade renames the method, rather than leaving flush refused.
    original = TransactionTestCase.__dict__["_fixture_teardown"]
    config.stash[_ORIGINAL] = original
    TransactionTestCase._fixture_teardown = suspending_guards(original)


def pytest_unconfigure(config: pytest.Config) -> None:
    original = config.stash.get(_ORIGINAL, None)
    if original is not None:
        from django.test import TransactionTestCase

        TransactionTestCase._fixture_teardown = original

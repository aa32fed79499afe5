"""Django's flush, refused outside the test suite: it would empty the audit trail and the clinical record.

Test-only mechanism: Django's TransactionTestCase (pytest-django's `transactional_db`) empties the test database
with `flush` after each test. The append-only triggers would refuse that, so when the environment variable
TESTING is set (config/test_settings.py sets it; production never does) this command drops the guards, runs
Django's flush, and puts the same guards back. Anywhere else it refuses before touching anything.
"""

from __future__ import annotations

from typing import Any

import environ
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import connections

from audit import guards


class Command(flush.Command):
    help = "Test suite only: empty the database, audit trail included. Refused unless TESTING is set."

    def handle(self, **options: Any) -> None:
        if not environ.Env().bool("TESTING", default=False):
            raise CommandError(
                "flush is refused: it would delete the audit trail, the history and clinical records, which are "
                "append-only. (The test suite may flush; it sets TESTING=1.)"
            )
        with guards.suspended(connections[options["database"]]):
            super().handle(**options)

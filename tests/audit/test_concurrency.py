"""Concurrent appenders never fork the chain: each links to the row committed just before it."""

from __future__ import annotations

import pytest
from django.db import connection

from audit import verify
from audit.models import Action, AuditEvent
from audit.services import Entry, audit_append
from tests.helpers import failures, run_in_threads

WORKERS, EACH = 8, 10
IN_MEMORY_SQLITE = connection.vendor == "sqlite" and not connection.settings_dict["TEST"].get("NAME")


@pytest.mark.skipif(IN_MEMORY_SQLITE, reason="on SQLite, threads need a file database: set TEST_SQLITE_FILE")
@pytest.mark.django_db(transaction=True)
def test_parallel_appends_make_one_unbroken_chain():
    already = AuditEvent.objects.count()  # the standard library's history, chained at load

    def append_ten(number: int) -> None:
        for n in range(EACH):
            audit_append(Entry(action=Action.LOGIN_FAILED, username=f"w{number}-{n}"))

    assert failures(run_in_threads(WORKERS, append_ten, timeout=60)) == []
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, already + WORKERS * EACH + 1))
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == WORKERS * EACH
    report = verify.verify_all()
    assert report.ok, report.sorted_problems()[:3]
    assert report.events == already + WORKERS * EACH

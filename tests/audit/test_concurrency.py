"""Concurrent appenders never fork the chain: each links to the row committed just before it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from audit import verify
from audit.models import Action, AuditEvent
from audit.services import Entry, audit_append

WORKERS, EACH = 8, 10
IN_MEMORY_SQLITE = connection.vendor == "sqlite" and not connection.settings_dict["TEST"].get("NAME")


@pytest.mark.skipif(IN_MEMORY_SQLITE, reason="on SQLite, threads need a file database: set TEST_SQLITE_FILE")
@pytest.mark.django_db(transaction=True)
def test_parallel_appends_make_one_unbroken_chain():
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def worker(number: int) -> None:
        try:
            start.wait()
            for n in range(EACH):
                audit_append(Entry(action=Action.LOGIN_FAILED, username=f"w{number}-{n}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, WORKERS * EACH + 1))
    report = verify.verify_all()
    assert report.ok, report.sorted_problems()[:3]
    assert report.events == WORKERS * EACH

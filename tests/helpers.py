"""Plain helpers shared by several test folders (fixtures live in tests/conftest.py, not here)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connections

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)  # the challenge day: the `clock` fixture starts here


def run_in_threads(count: int, work: Callable[[int], object], *, timeout: float = 120) -> list[object]:
    """Run work(i) in `count` threads released together; return each result, or the exception it raised.

    Each thread has its own database connection (Django's are per thread) and closes it when done. Needs a
    database the threads can share: a `transactional_db` test on PostgreSQL or file SQLite.
    """
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test, which asserts on it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert stuck == [], f"still running after {timeout} s: {stuck}"
    return results


def failures(results: list[object]) -> list[BaseException]:
    """The exceptions among run_in_threads' results."""
    return [result for result in results if isinstance(result, BaseException)]


def second_checker(challenge, by):
    """Another member of the challenge's clinic staff than `by`: the second person who checks a diluted dose."""
    from clinics.models import Role, User

    checker = (
        User.objects.filter(clinic_id=challenge.clinic_id, role__in=(Role.NURSE, Role.ALLERGIST), is_active=True)
        .exclude(pk=by.pk)
        .order_by("pk")
        .first()
    )
    assert checker is not None, "a diluted dose needs a second member of staff to check it"
    return checker

"""Plain helpers shared by several test folders (fixtures live in tests/conftest.py, not here)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.db import connections
from django.test import TestCase

LONDON = ZoneInfo("Europe/London")
T = TypeVar("T")

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


class _SharedRows(TestCase):
    """Not a test: lends Django's TestCase its class-level atomic blocks (the ones around setUpTestData)."""

    databases = {"default"}


def rows_shared_by_a_module(django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    """Django's setUpTestData for a module-scoped fixture (`yield from` it): build() once, rolled back at the end.

    build() writes its rows inside an atomic block of the test database that is never committed (the one Django's
    TestCase opens around setUpTestData). Each `db` test of the module then runs in its own savepoint inside it,
    rolled back after the test, so every test starts from the same rows. The function-scoped fixture that hands the
    rows to a test must give it a deep copy (`copy.deepcopy`, as Django's TestData does), so that changes a test
    makes to the instances in memory do not leak into the next test. Only for tests that use `db`: a transactional
    test would commit, or flush, the shared rows.
    """
    with django_db_blocker.unblock():
        atomics = _SharedRows._enter_atomics()
        try:
            built = build()
        except BaseException:
            _SharedRows._rollback_atomics(atomics)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            _SharedRows._rollback_atomics(atomics)

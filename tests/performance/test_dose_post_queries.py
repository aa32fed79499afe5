"""A dose post issues a fixed number of SQL statements, whatever the number of doses already given (issue 20).

The service reads the challenge's state once under the lock (doses, steps, alerts, checks, releases...), adds the
new dose to what it read instead of reading it again, and hashes each history row from the values it wrote.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from challenges.run import services as runs
from challenges.run.models import Dose
from tests.helpers import second_checker
from tests.performance.test_query_counts import _long_protocol, _run


def _post_dose(client, challenge, checker) -> tuple[int, list[str]]:
    form = {
        "given_as": "food",
        "ate_all": "on",
        "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "checked_by": str(checker.pk),
        "idempotency_key": str(uuid.uuid4()),
        "override_reason": "The allergist lets the next dose go now",
        "notes": "",
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("challenges:dose", args=[challenge.pk]), form)
    assert response.status_code == 302, response.content[:2000]
    assert response["Location"] == reverse("challenges:detail", args=[challenge.pk])
    return len(queries), [q["sql"] for q in queries]


@pytest.mark.parametrize("size", ["small", "large"])
def test_dose_post_statements_do_not_grow(client, practall, patient, allergist, nurse, clock, size):
    """An allergist gives the next dose early (the bench's post: the dose, its history, the override event)."""
    protocol = practall if size == "small" else _long_protocol(practall, 30)
    challenge = runs.challenge_schedule(
        patient=patient, protocol=protocol, scheduled_at=clock.now, allergist=allergist, nurse=nurse, by=nurse
    )
    _run(challenge, nurse, clock, doses=2 if size == "small" else 20, findings=1 if size == "small" else 30)
    client.force_login(allergist)
    client.get(reverse("challenges:detail", args=[challenge.pk]))  # steady state: the session is extended
    given = Dose.objects.filter(challenge=challenge).count()
    count, _sql = _post_dose(client, challenge, second_checker(challenge, allergist))
    assert Dose.objects.filter(challenge=challenge).count() == given + 1
    assert challenge.events.filter(kind="early_dose_override").count() == 1
    assert count == DOSE_POST_QUERIES


# Measured on SQLite (the test settings chain audit rows in the writer's transaction). Before issue 20's second pass:
# 42; then 28, then 25. Now: session, user, clinic and the clinic's staff (4; the staff list only because this post
# names a checker: a post naming nobody skips it); SAVEPOINT, the challenge locked and access-checked in one SELECT
# (runs.Reachable: the view reads it no more), one query each for doses (the idempotency key is looked for among
# them), alerts, checks, food packs, steps and premedication (8; treatments only when the protocol plans
# premedication, which this one does not); the dose, its history row and its audit link (INSERT, INSERT, chain head,
# INSERT: 4; no savepoint: a key used by another challenge fails the whole transaction, see runs.dose_record); the
# override event, its history row and audit link (4); RELEASE (1). No reload after the dose, no re-read of the
# history rows. Then the page cache's version (challenges.page_version): one UPDATE per row written, the dose and the
# event (2).
DOSE_POST_QUERIES = 23

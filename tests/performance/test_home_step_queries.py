"""A home step post (the patient eats the next step of a home plan) issues a fixed number of SQL statements, whatever
the number of steps and premedications already recorded (issue 20).

The view loads only what its access check reads (the plan, its patient, protocol and food); the dose service locks
the plan's row and reads the plan's state once under that lock.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from challenges.home import services as home
from challenges.run.models import Dose
from tests.run.helpers import local

STEP_INTERVAL_HOURS = 72  # the plan's 3-day step interval (it covers the 48 h watch window)


def _premedication(plan, patient_user, clock) -> None:
    """The planned premedication, taken 30 minutes before the step (so the step carries no premedication flag)."""
    item = plan.protocol.premedications.get(before_each_step=True)
    home.patient_premedication(challenge=plan, by=patient_user, item_id=item.pk, given_at=clock.now)
    clock.move(minutes=30)


def _premedication_then_step(plan, patient_user, clock) -> None:
    """What the patient does on a step day: the premedication, then the step; then the wait to the next step."""
    _premedication(plan, patient_user, clock)
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    clock.move(hours=STEP_INTERVAL_HOURS)


def _post_step(client, plan, now) -> tuple[int, list[str]]:
    data = {"given_at": local(now), "ate_all": "on", "idempotency_key": str(uuid.uuid4())}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("challenges:home-step", args=[plan.pk]), data)
    assert response.status_code == 302, response.content[:2000]
    assert response["Location"] == reverse("challenges:home-plan", args=[plan.pk])
    return len(queries), [q["sql"] for q in queries]


@pytest.mark.parametrize("taken", [1, 6])
def test_home_step_post_statements_do_not_grow(client, plan, patient_user, clock, taken):
    """The patient records the next step after 1 or 6 earlier steps, each with its premedication."""
    for _ in range(taken):
        _premedication_then_step(plan, patient_user, clock)
    _premedication(plan, patient_user, clock)
    client.force_login(patient_user)
    client.get(reverse("challenges:home-plan", args=[plan.pk]))  # steady state: the session is extended
    count, _sql = _post_step(client, plan, clock.now)
    doses = Dose.objects.filter(challenge=plan).order_by("sequence")
    assert [d.step_number for d in doses] == list(range(1, taken + 2))
    assert doses.last().given_by == patient_user
    assert not plan.events.filter(kind="premedication_flag").exists()
    assert count == HOME_STEP_POST_QUERIES, "\n".join(q[:90] for q in _sql)


# Measured on SQLite (the test settings chain audit rows in the writer's transaction), 1 or 6 steps taken before.
# Before (main at 2e77f34): 39; the view loaded the plan page's whole state (`with_run_data`, 18 queries) before the
# service loaded it again under the lock. Now: session, user, clinic, the view's plan with its patient (4); SAVEPOINT,
# the lock, one query each for doses (the form's key is looked up among them), alerts, checks, treatments, food packs,
# steps, premedication, symptoms and releases (11); the dose, its history row, the chain head and the audit row (4);
# the page cache's version (1); RELEASE (1).
HOME_STEP_POST_QUERIES = 21

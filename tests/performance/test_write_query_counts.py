"""POST outcome issues a fixed number of SQL queries whatever the amount of data (issue re-cut, point 4).

The service computes the suggested grade itself, under the challenge's lock, from rows it prefetches; the view
no longer builds the whole page state first. Measured on SQLite: 42 queries before, 22 after.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from challenges.run import selectors
from challenges.run import services as runs
from challenges.run.models import Challenge
from tests.performance.test_query_counts import _run

OUTCOME = {
    "outcome": "failed",
    "reason": "Urticaria after the last dose",
    "grade_scale": "wao_2010",
    "grade": "1",
    "advice": "strict_avoidance",
    "new_adrenaline_prescription": "no",
    "discharge_notes": "",
}


def _stopped_after_a_reaction(patient, practall, allergist, nurse, clock, *, doses: int, findings: int) -> Challenge:
    challenge = runs.challenge_schedule(
        patient=patient, protocol=practall, scheduled_at=clock.now, allergist=allergist, nurse=nurse, by=nurse
    )
    _run(challenge, nurse, clock, doses=doses, findings=findings)
    runs.observation_record(
        challenge=challenge, by=nurse, item_code="skin_urticaria", severity=2, observed_at=clock.now
    )
    runs.alert_decide(alert=challenge.alerts.get(), by=allergist, decision="stop", reason="Objective urticaria")
    return challenge


@pytest.mark.parametrize("size", ["small", "large"])
def test_outcome_post_queries_do_not_grow(client, practall, patient, allergist, nurse, clock, size):
    challenge = _stopped_after_a_reaction(
        patient,
        practall,
        allergist,
        nurse,
        clock,
        doses=3 if size == "small" else 6,
        findings=2 if size == "small" else 40,
    )
    client.force_login(allergist)
    client.get(reverse("challenges:detail", args=[challenge.pk]))  # steady state: the session is extended
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("challenges:outcome", args=[challenge.pk]), OUTCOME)
    assert response.status_code == 302
    assert len(queries) == OUTCOME_POST_QUERIES
    challenge.refresh_from_db()
    page = selectors.run_state(selectors.with_run_data(Challenge.objects.filter(pk=challenge.pk)).get())
    assert challenge.outcome == "failed"
    assert challenge.grade == "1"
    assert challenge.grade_suggested == page.grade.grade != ""  # what the page suggests, stored by the service


OUTCOME_POST_QUERIES = 22  # session, user, clinic, access check; the lock; 5 prefetches; 2 writes; 6 history + audit;
# 2 new page versions (challenges.page_version), one per row written. History rows are hashed from the values
# written, no longer read back (issue 20).

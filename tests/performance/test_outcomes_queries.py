"""The outcomes page issues a fixed number of queries whatever the number of challenges (issue 21): every figure is
an aggregate in the database. Measured with a small and a large clinic; the counts must be equal, and are pinned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from challenges.run.models import Setting
from tests.helpers import LONDON
from tests.outcomes.data import finished, pause_and_resume
from tests.performance.test_query_counts import _count

# Session, user and the page's own (3), then the seven figures: outcomes, grades, adrenaline, steps, onset, home
# plans, their pauses and resumptions ...
OUTCOMES_QUERIES = 10
# ... and the eliciting-dose page: the same three, challenges, doses.
ELICITING_QUERIES = 5

DAY = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)
PRACTALL_MG = (3, 10, 30, 100, 300, 1000, 3000)


def _clinic(patient, practall, allergist, *, challenges: int) -> None:
    for n in range(challenges):
        outcome = ("passed", "failed", "equivocal", "dose_not_reached")[n % 4]
        plan = finished(
            patient=patient,
            protocol=practall,
            allergist=allergist,
            when=DAY + timedelta(days=n),
            outcome=outcome,
            doses_mg=PRACTALL_MG[: 1 + n % 7],
            grade=str(1 + n % 3) if outcome == "failed" else "",
            adrenaline=n % 8 == 1,
            symptom_minutes=5 + n if outcome == "failed" else None,
            setting=Setting.HOME if n % 5 == 0 else Setting.CLINIC,
        )
        if n % 5 == 0:
            pause_and_resume(plan, allergist, resumed=n % 2 == 0)


@pytest.mark.parametrize("size", ["small", "large"])
def test_outcomes_queries_do_not_grow(client, patient, practall, allergist, size):
    _clinic(patient, practall, allergist, challenges=2 if size == "small" else 24)
    client.force_login(allergist)
    assert _count(client, reverse("challenges:outcomes")) == OUTCOMES_QUERIES
    assert _count(client, reverse("challenges:outcomes") + "?food=peanut&age_band=adult") == OUTCOMES_QUERIES
    assert _count(client, reverse("challenges:eliciting-doses")) == ELICITING_QUERIES

"""The database computes per challenge what the threshold rule reads of its doses; it must equal the rule's own
reading of the dose list (clinical.threshold_intervals.DoseSummary.of), including placebos, zero doses and doses
entered in error."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.db.models import Q

from challenges import access
from challenges.outcomes import selectors
from clinical.threshold_intervals import DoseSummary, GivenDose
from tests.helpers import LONDON
from tests.outcomes.data import finished

pytestmark = pytest.mark.django_db

NO_FILTERS = selectors.Filters()


def _summaries(allergist) -> dict[tuple[str, DoseSummary], int]:
    rows = selectors.threshold_summaries(access.challenges_for(allergist), NO_FILTERS, ~Q(pk__in=[]))
    return {(outcome, summary): count for outcome, summary, count in rows}


def _expected(challenge) -> DoseSummary:
    doses = challenge.doses.filter(entered_in_error=False).order_by("sequence")
    return DoseSummary.of([GivenDose(d.protein_mg, is_placebo=d.is_placebo) for d in doses])


def test_each_challenge_is_summarised_as_the_rule_reads_its_doses(patient, practall, allergist):
    when = datetime(2026, 3, 2, 9, tzinfo=LONDON)
    made = [
        finished(
            patient=patient,
            protocol=practall,
            allergist=allergist,
            when=when,
            outcome="failed",
            doses_mg=(3, 10, 30, 100),
        ),
        finished(
            patient=patient,
            protocol=practall,
            allergist=allergist,
            when=when,
            outcome="passed",
            doses_mg=(3, 10, 30, 100, 300, 1000, 3000),
        ),
        # a placebo in the middle and one at the end (a reaction after a placebo)
        finished(
            patient=patient,
            protocol=practall,
            allergist=allergist,
            when=when,
            outcome="failed",
            doses_mg=(3, 10, 30, 100),
            placebo=(1,),
        ),
        finished(
            patient=patient,
            protocol=practall,
            allergist=allergist,
            when=when,
            outcome="failed",
            doses_mg=(3, 10, 30),
            placebo=(2,),
        ),
        # the first dose elicited (left-censored); a dose larger before a smaller eliciting one
        finished(patient=patient, protocol=practall, allergist=allergist, when=when, outcome="failed", doses_mg=(3,)),
        finished(
            patient=patient,
            protocol=practall,
            allergist=allergist,
            when=when,
            outcome="failed",
            doses_mg=("0.5", 300, 100),
        ),
    ]
    # a dose entered in error (the last one given) does not count; nor does a dose of no protein
    error = made[0].doses.get(sequence=4)
    error.entered_in_error, error.entered_in_error_reason = True, "Wrong patient"
    error.save()
    nothing = made[1].doses.get(sequence=1)
    nothing.protein_mg = Decimal(0)
    nothing.save()
    expected: dict[tuple[str, DoseSummary], int] = {}
    for challenge in made:
        key = (challenge.outcome, _expected(challenge))
        expected[key] = expected.get(key, 0) + 1
    assert _summaries(allergist) == expected
    summary = _expected(made[0])
    assert (summary.active_count, summary.last_active, summary.before_last_max) == (3, Decimal(30), Decimal(10))
    assert _expected(made[3]).last_is_placebo
    assert _expected(made[5]).before_last_max == Decimal(300)


def test_another_clinics_challenges_are_not_summarised(patient, practall, allergist, other_clinic_allergist):
    finished(
        patient=patient,
        protocol=practall,
        allergist=allergist,
        when=datetime(2026, 3, 2, 9, tzinfo=LONDON),
        outcome="failed",
        doses_mg=(3, 10),
    )
    assert _summaries(other_clinic_allergist) == {}
    assert sum(_summaries(allergist).values()) == 1

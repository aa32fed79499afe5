"""The event log's kinds are EventKind choices, and the page shows each with its label."""

from __future__ import annotations

import uuid

from django.urls import reverse

from challenges.run import services as runs
from challenges.run.models import ChallengeEvent, EventKind, PreChallengeCheck
from challenges.templatetags.stepwise import event_label
from tests.helpers import second_checker


def test_every_event_a_challenge_writes_is_a_known_kind_shown_by_its_label(client, challenge, nurse, allergist, clock):
    runs.checks_record(
        challenge=challenge,
        by=nurse,
        answers=dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True),
        baseline={"heart_rate": 80, "taken_at": clock.now},
    )
    runs.dose_record(
        challenge=challenge,
        by=nurse,
        food_amount=None,
        given_at=clock.now,
        idempotency_key=uuid.uuid4(),
        checked_by=second_checker(challenge, nurse),
    )
    clock.move(minutes=10)
    runs.observation_record(
        challenge=challenge, by=nurse, item_code="skin_urticaria", severity=2, observed_at=clock.now
    )
    runs.alert_decide(alert=challenge.alerts.get(), by=allergist, decision="stop", reason="Objective urticaria")
    runs.outcome_confirm(
        challenge=challenge,
        by=allergist,
        data=runs.OutcomeInput("failed", "Urticaria", "wao_2010", "1", "strict_avoidance", False),
    )
    clock.move(minutes=20)
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=clock.now)
    runs.challenge_sign(challenge=challenge, by=allergist, observation_override_reason="Report needed for the ward")
    clock.move(hours=2)
    runs.discharge_record(
        challenge=challenge, by=nurse, discharged_at=clock.now, condition="well", vitals={"heart_rate": 80}
    )
    runs.addendum_add(challenge=challenge, by=allergist, text="Phoned next day: well")
    kinds = set(ChallengeEvent.objects.filter(challenge=challenge).values_list("kind", flat=True))
    assert kinds == {
        "scheduled",
        "status",
        "stop_alert",
        "decision_stop",
        "outcome",
        "symptoms_resolved",
        "observation_override",
        "signed",
        "discharged",
        "addendum",
    }
    assert kinds <= set(EventKind.values)
    client.force_login(allergist)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    for kind in kinds:
        assert str(EventKind(kind).label) in page
    assert event_label("decision_stop") == "decision: stop"
    assert event_label("something_new") == "something new"  # an unknown kind reads as its words

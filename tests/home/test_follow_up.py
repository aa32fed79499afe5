"""Follow-up check-ins after a challenge; a late finding re-opens the outcome for review."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse

from challenges.models import FollowUp, Protocol
from challenges.run import services as runs
from challenges.run.services import OutcomeInput, challenge_schedule
from tests.helpers import START


def _finished_fpies(allergist, patient, clock):
    protocol = Protocol.objects.get(name="FPIES oral food challenge (egg, 10 kg)")
    challenge = challenge_schedule(
        patient=patient, protocol=protocol, scheduled_at=START, allergist=allergist, nurse=None, by=allergist
    )
    runs.checks_record(
        challenge=challenge,
        by=allergist,
        answers={
            name: True
            for name in (
                "no_illness",
                "asthma_eczema_controlled",
                "no_recent_exercise",
                "washout_confirmed",
                "premedication_taken",
                "consent_recorded",
                "emergency_ready",
            )
        },
        baseline={"heart_rate": 110, "systolic": 95, "diastolic": 60, "taken_at": clock.now},
    )
    for _ in range(3):
        runs.dose_record(
            challenge=challenge,
            by=allergist,
            food_amount=None,
            given_at=clock.now,
            idempotency_key=__import__("uuid").uuid4(),
        )
        clock.move(minutes=30)
    return challenge


def test_follow_ups_scheduled_at_protocol_times(library, allergist, patient, clock):
    challenge = _finished_fpies(allergist, patient, clock)
    last = challenge.doses.order_by("-sequence").first().given_at
    due = {f.hours_after: f.due_at - last for f in FollowUp.objects.filter(challenge=challenge)}
    assert {hours: delta.total_seconds() / 3600 for hours, delta in due.items()} == {2: 2, 6: 6, 24: 24}


def test_late_finding_reopens_the_outcome_for_review(client, library, allergist, patient, clock):
    challenge = _finished_fpies(allergist, patient, clock)
    clock.move(hours=4)
    runs.observation_finish(challenge=challenge, by=allergist)
    runs.outcome_confirm(
        challenge=challenge,
        by=allergist,
        data=OutcomeInput("passed", "No vomiting", "wao_2010", "", "eat_regularly", False),
    )
    follow_up = FollowUp.objects.get(challenge=challenge, hours_after=24)
    clock.move(hours=20)
    client.force_login(allergist)
    url = reverse("challenges:follow-up", args=[challenge.pk, follow_up.pk])
    response = client.post(url, {"method": "phone", "symptoms": "yes", "findings": "Vomited twice at 5 h, pale"})
    assert response.status_code == HTTPStatus.FOUND
    challenge.refresh_from_db()
    assert challenge.outcome == "passed"  # not changed silently
    assert challenge.outcome_under_review
    follow_up.refresh_from_db()
    assert follow_up.done_by == allergist
    assert follow_up.symptoms
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "re-opened this outcome" in page
    assert "Vomited twice at 5 h" in page
    # Recording twice is refused.
    client.post(url, {"method": "phone", "symptoms": "no", "findings": ""})
    follow_up.refresh_from_db()
    assert follow_up.findings == "Vomited twice at 5 h, pale"


def test_overdue_check_ins_listed_for_the_clinic(client, library, allergist, patient, clock):
    challenge = _finished_fpies(allergist, patient, clock)
    clock.move(hours=3)
    client.force_login(allergist)
    page = client.get(reverse("challenges:home-attention")).content.decode()
    overdue = page[page.index('data-testid="overdue"') :]
    assert "+2 h check-in was due" in overdue
    assert "+6 h" not in overdue
    assert str(challenge.patient.full_name) in overdue

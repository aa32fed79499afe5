"""The referral summary says what happened (symptoms, treatment, anaphylaxis) and the advice given, with the
form-specific advice of a pass (issue 18, clinical review R12); read back with pypdf."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.reports.helpers import text

pytestmark = pytest.mark.django_db


def summary_text(client, user, patient) -> str:
    client.force_login(user)
    response = client.get(reverse("challenges:patient-summary", args=[patient.pk]))
    assert response.status_code == HTTPStatus.OK
    return text(response.content)


def test_a_failed_challenge_says_what_happened_and_the_advice(client, allergist, patient, failed, passed_egg):
    body = summary_text(client, allergist, patient)
    failed_part = body[body.index("Foods failed (not tolerated)") : body.index("Inconclusive")]
    assert "What happened: Symptoms: " in failed_part
    assert "angioedema (moderate); treated with Cetirizine 10 mg oral; anaphylaxis: no." in failed_part
    assert "Advice: Strict avoidance" in failed_part
    assert "recorded on the wrong chart" not in failed_part  # a finding entered in error is not the reaction
    passed_part = body[body.index("Foods passed (tolerated)") : body.index("Foods failed")]
    assert "What happened: No symptoms recorded." in passed_part
    assert "Advice: Eat the food regularly. Tolerated: hard-boiled egg" in passed_part


def test_a_known_trigger_shows_its_signed_failed_challenge_beside_it(client, nurse, allergist, patient, signed_failed):
    """R12: the trigger's own severity is the clinician's text; the summary prints the challenge's grade beside it."""
    client.force_login(nurse)
    for substance in ("Peanut", "Sesame"):
        trigger = {
            "substance": substance,
            "reaction_type": "ige",
            "worst_reaction_on": "2024-05-01",
            "worst_reaction_severity": "mild",
            "last_reaction_on": "",
            "last_reaction_severity": "",
            "notes": "",
        }
        response = client.post(reverse("patients:trigger-create", args=[patient.pk]), trigger)
        assert response.status_code == HTTPStatus.FOUND

    body = summary_text(client, allergist, patient)

    triggers = body[body.index("Known trigger") : body.index("Current medications")]
    signed_on = signed_failed.scheduled_at.astimezone(signed_failed.clinic.tzinfo)
    reaction = f"Reacted at challenge on {signed_on:%a} {signed_on.day} {signed_on:%b %Y}: grade {signed_failed.grade}"
    assert reaction in triggers, triggers
    assert triggers.count("Reacted at challenge") == 1  # beside peanut only, not sesame
    assert triggers.index("Peanut") < triggers.index(reaction) < triggers.index("Sesame")  # in peanut's row
    assert "Mild, Wed 1 May 2024" in triggers  # the clinician's own severity is left as written

"""P13: "premedication taken as planned" is asked only when the protocol plans premedication."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse

from challenges.run.models import PreChallengeCheck
from tests.reports.helpers import text
from tests.run.helpers import pass_checks


def test_not_asked_and_not_printed_when_none_is_planned(client, challenge, nurse, allergist, clock):
    client.force_login(nurse)
    page = client.get(reverse("challenges:checks", args=[challenge.pk])).content.decode()
    assert 'name="premedication_taken"' not in page
    assert 'name="washout_confirmed"' in page  # positive control
    pass_checks(client, challenge, clock.now)
    check = PreChallengeCheck.objects.get(challenge=challenge)
    assert check.premedication_taken is None
    assert check.failed_items() == []
    client.force_login(allergist)
    response = client.get(reverse("challenges:report", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    body = text(response.content)
    assert "Wash-out confirmed: Yes Consent recorded: Yes" in body
    assert "Premedication taken as planned" not in body
    assert "None planned." in body


def test_asked_when_premedication_is_planned(client, challenge, nurse, clock):
    challenge.protocol.premedications.create(drug="Cetirizine", med_class="h1_antihistamine", dose="10 mg")
    client.force_login(nurse)
    page = client.get(reverse("challenges:checks", args=[challenge.pk])).content.decode()
    assert 'name="premedication_taken"' in page
    pass_checks(client, challenge, clock.now)
    assert PreChallengeCheck.objects.get(challenge=challenge).premedication_taken is True

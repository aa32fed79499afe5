"""P13: "premedication taken as planned" is asked only when the protocol plans premedication."""

from __future__ import annotations

from datetime import date
from http import HTTPStatus

from django.urls import reverse

from challenges.run.models import PreChallengeCheck
from tests.reports.helpers import text
from tests.run.helpers import give_dose, local, pass_checks


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


def test_in_clinic_a_dose_waits_for_the_premedication_and_its_lead_time(client, challenge, nurse, clock):
    """A clinic protocol that gives cromolyn 30 min before the first dose: recorded on the bedside page by name."""
    challenge.patient.date_of_birth = date(2016, 6, 1)  # 10 years old: 100 mg by the label
    challenge.patient.save()
    challenge.protocol.premedications.create(
        drug="Cromolyn sodium (oral)", med_class="mast_cell_stabiliser", dose="by age", dose_rule="cromolyn_oral"
    )
    client.force_login(nurse)
    checks = client.get(reverse("challenges:checks", args=[challenge.pk])).content.decode()
    assert "Cromolyn sodium (oral) 100 mg, dissolved in water only" in checks
    pass_checks(client, challenge, clock.now)
    refused = give_dose(client, challenge, clock.now)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Cromolyn sodium (oral) is not recorded as taken for this step" in refused.content.decode()
    treatment = {
        "kind": "premedication",
        "drug": "Cromolyn sodium (oral)",
        "dose": "100 mg",
        "route": "oral",
        "given_at": local(clock.now),
    }
    assert client.post(reverse("challenges:treatment", args=[challenge.pk]), treatment).status_code == HTTPStatus.FOUND
    clock.move(minutes=29)
    assert give_dose(client, challenge, clock.now).status_code == HTTPStatus.BAD_REQUEST
    clock.move(minutes=1)
    assert give_dose(client, challenge, clock.now).status_code == HTTPStatus.FOUND
    assert challenge.doses.count() == 1

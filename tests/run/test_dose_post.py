"""The dose post reads the challenge once, in the service, locked and access-checked (runs.Reachable); the form reads
the food's unit only when an amount is typed or the form is drawn again. These check what that must not change."""

from __future__ import annotations

from http import HTTPStatus

from challenges.models import Dose
from tests.run.helpers import give_dose, pass_checks


def test_an_amount_out_of_range_is_refused_in_the_foods_unit(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    response = give_dose(client, challenge, clock.now, amount="20000")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    # the message, named by the field's label, and the bound form drawn again: both in the food's unit
    assert "Amount actually eaten (g): Must be between 0.001 g and 10,000 g." in page
    assert not Dose.objects.filter(challenge=challenge).exists()


def test_a_dose_for_another_clinics_challenge_is_not_found(client, challenge, nurse, other_clinic_nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    client.force_login(other_clinic_nurse)
    assert give_dose(client, challenge, clock.now, checked_by="").status_code == HTTPStatus.NOT_FOUND
    assert give_dose(client, challenge, clock.now, amount="20000", checked_by="").status_code == HTTPStatus.NOT_FOUND
    assert not Dose.objects.filter(challenge=challenge).exists()

"""The ASCIA lip smear (docs/clinical-sources.md §1.3) is a step: recorded at the bedside like any other, with its own
wait, no quantity and no protein."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.library.models import Protocol
from challenges.run import services as runs
from tests.helpers import START
from tests.reports.helpers import text
from tests.run.helpers import give_dose, pass_checks


@pytest.fixture
def ascia(library, patient, allergist, nurse, clock):
    protocol = Protocol.objects.get(clinic=None, name="ASCIA peanut butter household ladder")
    return runs.challenge_schedule(
        patient=patient, protocol=protocol, scheduled_at=START, allergist=allergist, nurse=nurse, by=nurse
    )


def test_the_ascia_ladder_starts_with_a_lip_smear_and_its_wait(ascia):
    first, second = ascia.protocol.steps.all()[:2]
    assert (first.role, first.protein_mg, first.food_amount, first.interval_minutes) == ("lip_smear", None, None, 20)
    assert (second.household_measure, second.food_amount) == ("1/8 tsp", Decimal("0.625"))


def test_the_lip_smear_is_recorded_at_the_bedside_with_no_protein(client, ascia, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, ascia, clock.now)
    page = client.get(reverse("challenges:detail", args=[ascia.pk])).content.decode()
    assert "Smear a small amount of Peanut butter, smooth on the inside of the lower lip (not the outer lip)" in page
    assert give_dose(client, ascia, clock.now).status_code == HTTPStatus.FOUND
    smear = ascia.doses.get()
    assert (smear.step_number, smear.protein_mg, smear.food_amount) == (1, Decimal(0), Decimal(0))
    clock.move(minutes=20)  # the smear's own wait
    assert give_dose(client, ascia, clock.now).status_code == HTTPStatus.FOUND
    second = ascia.doses.get(step_number=2)
    # 1/8 tsp = 0.625 g at 22.21 g/100 g = 138.8125 mg, stored to 0.001 mg half up on both engines (ClinicalRecord.save)
    assert second.protein_mg == Decimal("138.813")  # the smear adds nothing


def test_the_preparation_sheet_prints_the_smear_without_a_quantity(client, ascia, nurse):
    client.force_login(nurse)
    body = text(client.get(reverse("challenges:preparation-sheet", args=[ascia.pk])).content)
    assert "Smear a small amount of Peanut butter, smooth on the inside of the lower lip" in body
    assert "no measured quantity" in body

"""FPIES neutrophil counts through real URLs (docs/clinical-sources.md §1.5): recorded at baseline and about 6 h; a rise
of at least 1,500 cells/µL is shown as a minor criterion."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.library.models import Protocol
from challenges.run import services as runs
from clinical import fpies
from tests.helpers import START


@pytest.fixture
def fpies_challenge(library, patient, allergist, nurse, clock):
    patient.weight_kg, patient.weight_measured_on = Decimal("11.8"), date(2026, 11, 20)
    patient.save()
    protocol = Protocol.objects.get(clinic=None, name="FPIES oral food challenge (egg, dosed per kg)")
    return runs.challenge_schedule(
        patient=patient, protocol=protocol, scheduled_at=START, allergist=allergist, nurse=nurse, by=nurse
    )


@pytest.mark.parametrize(("later", "met"), [(5499, False), (5500, True)])
def test_a_rise_of_1500_cells_is_a_minor_criterion(later, met):
    assert fpies.neutrophil_rise(4000, later) == later - 4000
    assert fpies.neutrophil_criterion_met(4000, later) is met


def test_a_missing_count_gives_no_rise():
    assert fpies.neutrophil_rise(None, 5500) is None
    assert fpies.neutrophil_criterion_met(4000, None) is False


def test_neutrophils_recorded_at_the_bedside(client, fpies_challenge, nurse):
    client.force_login(nurse)
    url = reverse("challenges:neutrophils", args=[fpies_challenge.pk])
    assert client.post(url, {"baseline_per_ul": "4000", "six_hours_per_ul": ""}).status_code == HTTPStatus.FOUND
    assert client.post(url, {"baseline_per_ul": "", "six_hours_per_ul": "5600"}).status_code == HTTPStatus.FOUND
    fpies_challenge.refresh_from_db()
    assert (fpies_challenge.neutrophils_baseline_per_ul, fpies_challenge.neutrophils_6h_per_ul) == (4000, 5600)
    page = client.get(reverse("challenges:detail", args=[fpies_challenge.pk])).content.decode()
    rise = page[page.index('data-testid="neutrophil-rise"') :]
    assert "Rise: 1,600 cells/µL — a minor criterion (at least 1,500 cells/µL)" in rise


def test_other_challenges_have_no_neutrophil_box(client, challenge, nurse):
    client.force_login(nurse)
    assert (
        'data-testid="neutrophils"'
        not in client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    )

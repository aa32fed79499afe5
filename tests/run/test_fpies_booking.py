"""FPIES through real URLs: booking for the patient's own weight, the rescue plan, IV access (docs/clinical-sources.md
§1.5, §11.2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.library.models import Protocol
from challenges.run import services as runs
from challenges.run.models import Challenge
from tests.helpers import START
from tests.reports.helpers import text
from tests.run.helpers import PASSING_CHECKS, local

FPIES = "FPIES oral food challenge (egg, dosed per kg)"


@pytest.fixture
def fpies(library) -> Protocol:
    return Protocol.objects.get(clinic=None, name=FPIES)


def _book(client, patient, protocol, allergist, nurse):
    data = {
        "protocol": str(protocol.pk),
        "scheduled_at": local(START),
        "purpose": "diagnosis",
        "allergist": str(allergist.pk),
        "nurse": str(nurse.pk),
        "indication": "Egg FPIES; 12 months since the last episode.",
        "placebo_doses": "",
    }
    return client.post(reverse("challenges:schedule", args=[patient.pk]), data, follow=True)


def _weigh(patient, kg: str, measured_on: date | None) -> None:
    patient.weight_kg = Decimal(kg) if kg else None
    patient.weight_measured_on = measured_on
    patient.save()


def test_booking_is_refused_without_a_weight(client, patient, fpies, allergist, nurse, clock):
    _weigh(patient, "", None)
    client.force_login(nurse)
    response = _book(client, patient, fpies, allergist, nurse)
    assert response.status_code == HTTPStatus.OK
    assert "Record the patient&#x27;s weight before booking an FPIES challenge" in response.content.decode()
    assert not Challenge.objects.exists()


def test_booking_generates_the_portions_for_the_patients_own_weight(client, patient, fpies, allergist, nurse, clock):
    _weigh(patient, "3.5", date(2026, 11, 20))
    client.force_login(nurse)
    response = _book(client, patient, fpies, allergist, nurse)
    challenge = Challenge.objects.get(patient=patient)
    page = response.content.decode()
    assert 'data-testid="stale-weight"' not in page  # weighed 6 days before
    personal = challenge.protocol
    assert personal.clinic == patient.clinic
    assert personal.name == f"{FPIES} — patient {patient.mrn}, 3.5 kg"  # the record number, never the name (M9)
    steps = list(personal.steps.all())
    # 0.3 g/kg × 3.5 kg = 1.05 g in three equal portions, under the 3 g and 10 g (1,180 mg of egg) caps.
    assert [s.protein_mg for s in steps[:3]] == [Decimal(350)] * 3
    assert (steps[3].role, steps[3].food_amount, steps[2].interval_minutes) == ("serving", Decimal(25), 150)
    assert challenge.dose_weight_kg == Decimal("3.5")
    assert fpies.steps.count() == 4  # the library protocol is unchanged
    assert list(fpies.steps.values_list("protein_mg", flat=True)[:3]) == [Decimal("393.3")] * 2 + [Decimal("393.4")]


def test_a_heavier_child_is_held_at_the_food_cap(client, patient, fpies, allergist, nurse, clock):
    _weigh(patient, "20", date(2026, 11, 20))  # 6 g at 0.3 g/kg: capped at 10 g of egg = 1,180 mg
    client.force_login(nurse)
    _book(client, patient, fpies, allergist, nurse)
    steps = Challenge.objects.get(patient=patient).protocol.steps.all()
    assert sum(s.protein_mg for s in steps if s.role == "dose") == Decimal(1180)


@pytest.mark.parametrize(("measured_on", "warned"), [(date(2026, 10, 27), False), (date(2026, 10, 26), True)])
def test_a_weight_older_than_30_days_is_warned(client, patient, fpies, allergist, nurse, clock, measured_on, warned):
    _weigh(patient, "9", measured_on)  # 30 days before the challenge day: current; 31 days: warned
    client.force_login(nurse)
    page = _book(client, patient, fpies, allergist, nurse).content.decode()
    assert Challenge.objects.filter(patient=patient).exists()
    assert ("measured 31 days ago (more than 30 days): weigh the patient again" in page) is warned
    assert ('data-testid="stale-weight"' in page) is warned


def test_a_fixed_dose_protocol_is_booked_up_to_0_6_g_per_kg(patient, fpies, allergist, nurse, clock):
    fixed = runs.challenge_schedule  # the service: 1,180 mg of portions for 2 kg is 0.59 g/kg, allowed
    protocol = Protocol.objects.get(pk=fpies.pk)
    protocol.fpies_protein_g_per_kg = None
    protocol.save()
    _weigh(patient, "2", date(2026, 11, 20))
    challenge = fixed(
        patient=patient, protocol=protocol, scheduled_at=START, allergist=allergist, nurse=nurse, by=nurse
    )
    assert challenge.protocol == protocol


def test_rescue_plan_on_the_preparation_sheet_and_at_the_bedside(client, patient, fpies, allergist, nurse, clock):
    _weigh(patient, "11.8", date(2026, 11, 20))
    client.force_login(nurse)
    _book(client, patient, fpies, allergist, nurse)
    challenge = Challenge.objects.get(patient=patient)
    # NS 20 mL/kg = 236 mL; ondansetron 0.15 mg/kg = 1.77 -> 1.8 mg; methylprednisolone 1 mg/kg = 11.8 mg.
    lines = (
        "FPIES rescue for 11.8 kg: IV normal saline (0.9 %) bolus 236 mL (20 mL/kg), repeat if needed.",
        "Ondansetron 1.8 mg IV or IM (0.15 mg/kg, at most 16 mg).",
        "Severe reaction: methylprednisolone 11.8 mg IV (1 mg/kg, at most 60 mg).",
    )
    sheet = client.get(reverse("challenges:preparation-sheet", args=[challenge.pk]))
    assert sheet.status_code == HTTPStatus.OK
    body = text(sheet.content)
    for line in lines:
        assert line in body
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    rescue = page[page.index('data-testid="fpies-rescue"') :]
    for line in lines:
        assert line in rescue


def test_iv_access_is_an_fpies_check(client, patient, fpies, practall, allergist, nurse, clock):
    _weigh(patient, "11.8", date(2026, 11, 20))
    client.force_login(nurse)
    _book(client, patient, fpies, allergist, nurse)
    challenge = Challenge.objects.get(patient=patient)
    url = reverse("challenges:checks", args=[challenge.pk])
    assert "IV access in place and fluids ready (FPIES)" in client.get(url).content.decode()
    response = client.post(url, {**PASSING_CHECKS, "taken_at": local(clock.now)}, follow=True)
    assert "IV access in place and fluids ready (FPIES)" in response.content.decode()  # listed as failed
    challenge.refresh_from_db()
    assert challenge.checks.get().failed_items() == ["IV access in place and fluids ready (FPIES)"]
    clock.move(minutes=5)
    client.post(url, {**PASSING_CHECKS, "iv_access_ready": "on", "taken_at": local(clock.now)})
    assert challenge.checks.latest("recorded_at").failed_items() == []


def test_iv_access_is_not_asked_on_other_challenges(client, challenge, nurse):
    client.force_login(nurse)
    assert "IV access" not in client.get(reverse("challenges:checks", args=[challenge.pk])).content.decode()

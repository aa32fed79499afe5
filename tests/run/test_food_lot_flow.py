"""The food used, the two-person check and what a diluted dose delivered, through the real pages
(docs/clinical-sources.md §12): the challenge page's food form, the dose form, the report and its PDF."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.library.facts import protocol_steps
from challenges.library.models import Food
from challenges.library.services.protocols import draft_from_protocol, protocol_create
from challenges.reports.build_challenge import challenge_report
from challenges.reports.render_challenge import render_challenge_report
from challenges.run.models import Dose, FoodLot
from challenges.run.services import challenge_schedule
from tests.helpers import START
from tests.reports.helpers import text
from tests.run.helpers import give_dose, pass_checks

PACK = {"brand": "Pic's Smooth", "lot": "L2291-B", "expires_on": "2027-03-01", "label_protein_g_per_100": "25"}
FLOUR_PACK = {"brand": "Golden Mill", "lot": "PF-0412", "expires_on": "2027-03-01", "label_protein_g_per_100": "45"}


@pytest.fixture
def butter_challenge(practall, patient, allergist, nurse, clock):
    """A clinic's own peanut-butter OFC, PRACTALL's 100-3,000 mg steps: peanut butter is a paste, weighed and never
    diluted, so it cannot give the 3-30 mg steps (the standard PRACTALL protocol uses peanut flour)."""
    butter = Food.objects.get(clinic=None, name="Peanut butter", form="smooth")
    steps = [s for s in protocol_steps(practall) if s.protein_mg is not None and s.protein_mg >= 100]
    draft = dataclasses.replace(
        draft_from_protocol(practall, name="Peanut butter OFC from 100 mg"),
        food=butter,
        steps=tuple(dataclasses.replace(step, number=number) for number, step in enumerate(steps, start=1)),
    )
    protocol = protocol_create(clinic=patient.clinic, by=allergist, draft=draft)
    return challenge_schedule(
        patient=patient, protocol=protocol, scheduled_at=START, allergist=allergist, nurse=nurse, by=nurse
    )


def _record_pack(client, challenge, **changes: str):
    return client.post(reverse("challenges:food-lot", args=[challenge.pk]), {**PACK, **changes})


def _page(client, challenge) -> str:
    return client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()


def test_the_challenge_page_asks_for_the_food_used_before_the_first_dose(client, challenge, nurse):
    client.force_login(nurse)
    page = _page(client, challenge)
    assert "Not recorded yet: record the pack in use" in page
    assert 'name="label_protein_g_per_100"' in page
    assert "no label value recorded: the library figure (52.2 g/100 g) is used" in page  # defatted peanut flour


def test_a_label_more_than_10_percent_off_recalculates_the_amounts(client, butter_challenge, nurse, clock):
    challenge = butter_challenge
    client.force_login(nurse)
    response = _record_pack(client, challenge)
    assert response.status_code == HTTPStatus.FOUND
    lot = FoodLot.objects.get(challenge=challenge)
    assert (lot.brand, lot.lot, str(lot.expires_on)) == ("Pic's Smooth", "L2291-B", "2027-03-01")
    assert (lot.label_protein_g_per_100, lot.library_protein_g_per_100) == (Decimal(25), Decimal("22.21"))
    assert lot.recorded_by == nurse
    page = _page(client, challenge)
    assert "Pic&#x27;s Smooth · lot L2291-B · expires Mon 1 Mar 2027" in page
    assert "label 25 g/100 g vs library 22.21 g/100 g (+12.6 %): amounts recalculated from the label" in page
    # 3,000 mg at 25 g/100 g is 12 g of peanut butter (13.51 g at the library's 22.21).
    assert "Weigh 12 g of Peanut butter, smooth" in page
    assert "Weigh 13.51 g" not in page
    sheet = text(client.get(reverse("challenges:preparation-sheet", args=[challenge.pk])).content)
    assert "Pack used Pic's Smooth, lot L2291-B, expires Mon 1 Mar 2027" in sheet
    assert "amounts recalculated from the label" in sheet
    assert "Weigh 12 g of Peanut butter, smooth" in sheet
    pass_checks(client, challenge, clock.now)
    assert give_dose(client, challenge, clock.now).status_code == HTTPStatus.FOUND
    dose = challenge.doses.get(step_number=1)  # 100 mg weighed: the protein stays as planned, the food changes
    # 100 mg at 25 g/100 g (250 mg/g) is 0.4 g of peanut butter (0.45 g at the library's 22.21).
    assert (dose.planned_protein_mg, dose.protein_mg, dose.food_amount) == (Decimal(100), Decimal(100), Decimal("0.4"))
    assert "Record the food used" not in _page(client, challenge)  # after the first dose the pack is fixed


def test_a_label_within_10_percent_keeps_the_library_figure_and_says_so(client, butter_challenge, nurse):
    challenge = butter_challenge
    client.force_login(nurse)
    assert _record_pack(client, challenge, label_protein_g_per_100="23").status_code == HTTPStatus.FOUND
    page = _page(client, challenge)
    assert "label 23 g/100 g vs library 22.21 g/100 g (+3.6 %): within 10 %, the library figure is kept" in page
    assert "Weigh 13.51 g of Peanut butter, smooth" in page


def test_an_expired_pack_is_refused_with_its_dates(client, challenge, nurse):
    client.force_login(nurse)
    response = _record_pack(client, challenge, expires_on="2026-11-25")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This lot expired on 25 Nov 2026, before the challenge on 26 Nov 2026" in response.content.decode()
    assert not FoodLot.objects.exists()


def test_the_food_form_refuses_bad_input_and_names_the_field(client, challenge, nurse):
    client.force_login(nurse)
    response = _record_pack(client, challenge, brand="", label_protein_g_per_100=".5")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.content.decode()
    assert "Brand or product: This field is required." in body
    assert "Protein on the label (g per 100 g):" in body
    assert not FoodLot.objects.exists()


def test_the_food_form_is_for_this_clinics_staff_by_post(client, challenge, other_clinic_nurse, patient_user, nurse):
    client.force_login(other_clinic_nurse)
    assert _record_pack(client, challenge).status_code == HTTPStatus.NOT_FOUND
    client.force_login(patient_user)  # staff pages do not exist for a patient
    assert _record_pack(client, challenge).status_code == HTTPStatus.NOT_FOUND
    client.force_login(nurse)
    assert client.get(reverse("challenges:food-lot", args=[challenge.pk])).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not FoodLot.objects.exists()


def test_a_diluted_dose_records_the_volume_given_and_what_it_delivered(client, challenge, nurse, allergist, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    page = _page(client, challenge)
    assert 'name="mix_volume_ml"' in page
    assert 'name="food_amount"' not in page
    assert "The whole planned volume of the mix was given (1.1 mL)" in page
    # Part of the planned volume: 0.6 mL of 1 g of peanut flour (522 mg protein) in 200 mL (2.61 mg/mL) delivered
    # 1.566 mg, not 3 mg.
    response = give_dose(client, challenge, clock.now, given_as="mix", mix_volume_ml="0.6")
    assert response.status_code == HTTPStatus.FOUND
    dose = Dose.objects.get(challenge=challenge)
    assert (dose.mix_volume_ml, dose.planned_mix_volume_ml) == (Decimal("0.6"), Decimal("1.1"))
    assert dose.mix_protein_mg_per_ml == Decimal("2.61")
    assert (dose.planned_protein_mg, dose.protein_mg) == (Decimal(3), Decimal("1.566"))
    assert (dose.prepared_by, dose.checked_by) == (nurse, allergist)
    assert dose.is_partial
    page = _page(client, challenge)
    assert "0.6 mL of the mix" in page
    assert "1.57 mg</strong>" in page  # the cumulative so far counts what was delivered (stored to 0.001 mg)


def test_the_whole_planned_volume_delivers_the_mix_figure_not_the_target(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    assert give_dose(client, challenge, clock.now, given_as="mix").status_code == HTTPStatus.FOUND
    dose = Dose.objects.get(challenge=challenge)
    assert (dose.mix_volume_ml, dose.protein_mg) == (Decimal("1.1"), Decimal("2.871"))  # 1.1 × 2.61 (−4.3 %)


def test_the_two_person_check_is_refused_without_a_second_person(client, challenge, nurse, allergist, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    response = give_dose(client, challenge, clock.now, checked_by=str(nurse.pk))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "must be someone other than the person who prepared it" in response.content.decode()
    response = give_dose(client, challenge, clock.now, checked_by="")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "A diluted dose is checked by a second person" in response.content.decode()
    response = give_dose(client, challenge, clock.now, prepared_by=str(allergist.pk), checked_by=str(allergist.pk))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Dose.objects.exists()
    # The allergist prepared it, the nurse gives it and checked it: two people.
    response = give_dose(client, challenge, clock.now, prepared_by=str(allergist.pk), checked_by=str(nurse.pk))
    assert response.status_code == HTTPStatus.FOUND
    dose = Dose.objects.get()
    assert (dose.given_by, dose.prepared_by, dose.checked_by) == (nurse, allergist, nurse)


def test_a_checker_from_another_clinic_is_not_offered(client, challenge, nurse, other_clinic_nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    response = give_dose(client, challenge, clock.now, checked_by=str(other_clinic_nurse.pk))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Select a valid choice" in response.content.decode()
    assert not Dose.objects.exists()


def test_the_report_names_the_pack_the_people_and_what_each_mix_delivered(client, challenge, nurse, clock):
    client.force_login(nurse)
    assert _record_pack(client, challenge, **FLOUR_PACK).status_code == HTTPStatus.FOUND
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now, given_as="mix", mix_volume_ml="1")
    body = text(render_challenge_report(challenge_report(challenge)))
    assert "Brand Golden Mill" in body
    assert "Lot or batch PF-0412" in body
    assert "Expiry Mon 1 Mar 2027" in body
    assert "Label protein 45 g per 100 g" in body
    assert "Label 45 g/100 g vs library 52.2 g/100 g (−13.8 %): amounts recalculated from the label" in body
    # At the label's 45 g/100 g (450 mg/g) step 1 (3 mg) is 1.3 mL of 1 g in 200 mL (2.25 mg/mL, 2.925 mg, −2.5 %);
    # the food behind it is 3/450 = 0.0067 g; 1 mL given delivered 2.25 mg.
    assert "1.3 mL of mix (0.007 g) 1 mL of mix at 2.25 mg/mL 2.25 mg delivered" in body
    assert "Prepared by Sam Lee Checked by Amira Okafor" in body
    assert "Dose 1 partly given: 1 mL of the 1.3 mL of mix planned (2.25 mg of 3 mg protein)" in body
    response = client.get(reverse("challenges:report", args=[challenge.pk]))
    assert "Lot or batch PF-0412" in text(response.content)

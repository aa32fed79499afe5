"""The preparer's document of a blinded challenge (clinical review R8, X2): the active/placebo sequence with times,
how to make each placebo, the vehicle and the masking, boxes for what is used and checked; read back with pypdf.
Only a preparer who is not an observer of the challenge gets it."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.run import services as runs
from clinics.models import Role
from tests.factories import UserFactory
from tests.reports.helpers import text
from tests.run.conftest import START

# Placebo at dose 2 (twin of step 2, a mix of 1 g in 100 mL) and dose 8 (twin of step 6, 1.92 g weighed): 9 doses.
ORDER = [1, -2, 2, 3, 4, 5, 6, -6, 7]


def book(patient, dbpcfc, allergist, nurse):
    challenge = runs.challenge_schedule(
        patient=patient,
        protocol=dbpcfc,
        scheduled_at=START,
        allergist=allergist,
        nurse=nurse,
        by=nurse,
        placebo_doses=2,
    )
    challenge.blind_order = ORDER  # a known order, so the test can name the placebo doses
    challenge.save()
    return challenge


@pytest.fixture
def blinded(patient, dbpcfc, allergist, nurse):
    return book(patient, dbpcfc, allergist, nurse)


def key_text(client, user, challenge) -> str:
    client.force_login(user)
    response = client.get(reverse("challenges:blinded-key", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    return text(response.content)


def test_the_key_gives_the_sequence_with_times_and_each_placebo_recipe(client, preparer, blinded):
    sheet = key_text(client, preparer, blinded)

    assert "Blinded dose key and placebo preparation (preparer only)" in sheet
    doses = ["1 (step 1)", "2 PLACEBO", "3 (step 2)", "4 (step 3)", "5 (step 4)", "6 (step 5)", "7 (step 6)"]
    doses += ["8 PLACEBO", "9 (step 7)"]
    positions = [sheet.index(dose) for dose in doses]
    assert positions == sorted(positions)  # in the blinded order
    assert sheet.count("PLACEBO") == 2
    # Every dose has its own time, 30 min apart (the placebo waits as long as its twin): dose 9 at 13:00.
    assert "2 PLACEBO 09:30" in sheet
    assert "8 PLACEBO 12:30" in sheet
    assert "9 (step 7) 13:00" in sheet
    # A placebo of a diluted step: the same volume of a placebo mix made alike, never of the active mix.
    assert "1.9 mL of placebo mix (1 g of stand-in in 100 mL of water)" in sheet
    assert "Placebo, no peanut flour: Mix 1 g of the placebo stand-in into 100 mL of water" in sheet
    # A placebo of a weighed step: the same weight of the stand-in.
    assert "1.92 g of placebo stand-in" in sheet
    assert "Weigh 1.92 g of the placebo stand-in." in sheet
    assert "Same cup and look as the active dose of step 6." in sheet
    # Active doses go into the same vehicle.
    assert sheet.count("Stir it into the vehicle") == 9


def test_the_key_says_how_doses_are_masked_and_what_the_preparer_records(client, nurse, preparer, patient, blinded):
    client.force_login(nurse)
    trigger = {
        "substance": "Oats",
        "reaction_type": "ige",
        "worst_reaction_on": "",
        "worst_reaction_severity": "",
        "last_reaction_on": "",
        "last_reaction_severity": "",
        "notes": "",
    }
    assert client.post(reverse("patients:trigger-create", args=[patient.pk]), trigger).status_code == HTTPStatus.FOUND

    sheet = key_text(client, preparer, blinded)

    assert "Vehicle, placebo and masking (preparer only)" in sheet
    assert "hides the taste, smell, colour and texture of peanut flour" in sheet
    assert "Keep the patient's known triggers out of both: Oats." in sheet  # the stand-in must not be one
    assert "Label each cup with its dose number only" in sheet
    assert "The preparer does not observe or score the patient." in sheet
    for box in (
        "Vehicle (matrix) used: product, lot, amount per cup",
        "Placebo stand-in used in place of the food: product, lot",
        "Second person checked every cup against this key (initials, time)",
    ):
        assert box in sheet, box
    assert "Checked by (initials)" in sheet  # per dose, as on the nurse's sheet
    assert "keep this sheet away from the patient and the observers" in sheet


def test_the_bedside_nurse_allergist_and_patient_cannot_get_the_key(
    client, nurse, allergist, patient_user, preparer, blinded
):
    url = reverse("challenges:blinded-key", args=[blinded.pk])
    for observer in (nurse, allergist):
        client.force_login(observer)
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN
        sheet = text(client.get(reverse("challenges:preparation-sheet", args=[blinded.pk])).content)
        assert "PLACEBO" not in sheet
        assert "stand-in" not in sheet
    client.force_login(patient_user)
    assert client.get(url).status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)
    client.force_login(preparer)
    assert client.get(url).status_code == HTTPStatus.OK


def test_a_preparer_who_observes_this_challenge_does_not_get_its_key(
    client, patient, dbpcfc, allergist, preparer, nurse
):
    observed = book(patient, dbpcfc, allergist, preparer)  # the preparer is this challenge's bedside nurse
    other = book(patient, dbpcfc, allergist, nurse)
    client.force_login(preparer)
    assert client.get(reverse("challenges:blinded-key", args=[observed.pk])).status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("challenges:blinded-key", args=[other.pk])).status_code == HTTPStatus.OK


def test_a_preparer_of_another_clinic_gets_404(client, other_clinic, blinded):
    stranger = UserFactory(username="t-other-preparer", role=Role.NURSE, clinic=other_clinic, can_prepare_blinded=True)
    client.force_login(stranger)
    assert client.get(reverse("challenges:blinded-key", args=[blinded.pk])).status_code == HTTPStatus.NOT_FOUND


def test_the_bedside_sheet_lists_every_blinded_dose_and_nothing_of_its_content(client, nurse, blinded):
    client.force_login(nurse)
    sheet = text(client.get(reverse("challenges:preparation-sheet", args=[blinded.pk])).content)
    steps = sheet[sheet.index("Doses: prepare") : sheet.index("Premedication")]
    for number, time in enumerate(("09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00")):
        assert f"{number + 1} {time} blinded the cup" in steps  # nine doses, each at its time
    for active in ("3 mg", "10 mg", "1.92 g", "peanut flour", "Peanut flour", "placebo"):
        assert active not in steps, active
    assert "The preparer of the blinded doses has the key and the placebo recipe" in sheet

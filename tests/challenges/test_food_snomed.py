"""A food's allergen as a SNOMED CT substance: the standard foods carry theirs, a clinic's own food takes one through
the food form (or none: it then goes to FHIR as text only)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.library.standard_content.foods import FOODS
from challenges.library.standard_content.snomed import snomed_for
from challenges.models import Food
from tests.challenges.factories_library import VALID_FOOD


def test_every_standard_food_but_the_cheesecake_is_coded(library):
    uncoded = {f"{seed.name} ({seed.form})" for seed in FOODS if not snomed_for(seed)[0]}
    assert uncoded == {"Cheesecake (baked, commercial)"}  # milk, egg and wheat: no one substance
    peanut = Food.objects.get(clinic=None, name="Peanut butter", form="smooth")
    assert (peanut.snomed_code, peanut.snomed_display) == ("762952008", "Peanut")
    milk = Food.objects.get(clinic=None, name="Baked-milk muffin")
    assert milk.snomed_code == "3718001"


def test_a_clinic_food_takes_a_snomed_code(client, allergist, library):
    client.force_login(allergist)
    data = {**VALID_FOOD, "snomed_code": "762952008", "snomed_display": "Peanut"}
    assert client.post(reverse("challenges:food-create"), data).status_code == HTTPStatus.FOUND
    food = Food.objects.get(clinic=allergist.clinic)
    assert (food.snomed_code, food.snomed_display) == ("762952008", "Peanut")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"snomed_code": "12ab"}, "A SNOMED CT code is 6 to 18 digits."),
        ({"snomed_code": "762952008", "snomed_display": ""}, "Give the code"),
    ],
)
def test_a_wrong_snomed_code_is_refused(client, allergist, library, changes, message):
    client.force_login(allergist)
    response = client.post(reverse("challenges:food-create"), {**VALID_FOOD, **changes})
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert not Food.objects.filter(clinic=allergist.clinic).exists()

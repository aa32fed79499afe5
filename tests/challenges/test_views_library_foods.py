"""The food list and the add-food page: standard and own foods, errors, one food per name and form in a clinic."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest

from challenges.library.services.foods import FoodDraft, food_create
from challenges.models import Food
from tests.challenges.factories_library import VALID_FOOD, library_url

# --- foods -------------------------------------------------------------------------------------------------


def test_food_list_shows_standard_and_own_foods(client, nurse, allergist, other_clinic_allergist, library):
    food_create(
        clinic=allergist.clinic,
        by=allergist,
        draft=FoodDraft("Oat drink", "Brand O", "other", Decimal("1"), "label", physical_form="liquid"),
    )
    food_create(
        clinic=other_clinic_allergist.clinic,
        by=other_clinic_allergist,
        draft=FoodDraft("Harbour cracker", "plain", "wheat", Decimal("9"), "label"),
    )
    client.force_login(nurse)
    page = client.get(library_url("food-list")).content.decode()
    assert "Oat drink" in page
    assert "Peanut butter, smooth" in page
    assert "Harbour cracker" not in page
    assert "1 tsp = 5 g" in page
    assert "22.21 g" in page
    assert "Add a clinic food" not in page  # nurses read only
    eggs = client.get(library_url("food-list"), {"group": "egg"}).content.decode()
    assert "Egg white powder" in eggs
    assert "Peanut butter" not in eggs
    found = client.get(library_url("food-list"), {"q": "butter smooth"}).content.decode()
    assert "Peanut butter, smooth" in found
    assert "chunky" not in found


def test_add_a_clinic_food(client, allergist, library):
    client.force_login(allergist)
    response = client.post(library_url("food-create"), VALID_FOOD, follow=True)
    food = Food.objects.get(clinic=allergist.clinic)
    assert response.redirect_chain[-1][0] == library_url("food-list")
    assert (food.protein_g_per_100, food.household_measures, food.serving_size) == (
        Decimal("25.5"),
        {"tsp": "5", "tbsp": "15"},
        Decimal("20"),
    )
    assert food.history.first().history_user == allergist
    assert "smooth, Brand X (label)" in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"protein_g_per_100": "１２"}, "Use the digits 0-9 only."),
        ({"protein_g_per_100": "120"}, "Must be between 0.001 g and 100 g."),
        ({"protein_g_per_100": ""}, "This field is required."),
        ({"household_measures": "tsp 5"}, "Line 1: write each measure as name=grams, e.g. tsp=5."),
        ({"household_measures": "tsp=5\ntsp=6"}, "Line 2: “tsp” is given twice."),
        ({"household_measures": "tsp=.5"}, "Line 1: Write 0.5, not .5."),
        ({"density_g_per_ml": "3"}, "Must be between 0.1 g/mL and 2 g/mL."),
        ({"household_measures": "scoop=32"}, "Line 1: “scoop” is not a measure; use one of tsp, tbsp"),
        ({"physical_form": "gel"}, "Select a valid choice."),
        ({"physical_form": ""}, "This field is required."),
        (
            {"allergen_protein_g_per_100": "30"},
            "The allergen's protein cannot be more than the whole food's.",
        ),
        ({"processing_temperature_c": "400"}, "Must be between 20 °C and 300 °C."),
    ],
)
def test_food_form_errors(client, allergist, library, changes, message):
    client.force_login(allergist)
    response = client.post(library_url("food-create"), {**VALID_FOOD, **changes})
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Food.objects.filter(clinic=allergist.clinic).exists()


def test_food_twice_in_one_clinic_is_refused(client, allergist, library):
    client.force_login(allergist)
    client.post(library_url("food-create"), VALID_FOOD)
    response = client.post(library_url("food-create"), VALID_FOOD)
    assert response.status_code == HTTPStatus.OK
    assert "This clinic already has a food with this name and form." in response.content.decode()
    assert Food.objects.filter(clinic=allergist.clinic).count() == 1

"""Foods a nurse can prepare exactly, through real URLs: the food form, protocol building, booking, the preparation
sheet and the report (P1, P3, F8, X8, X9; docs/clinical-sources.md §1.6, §2.1, §2.2)."""

from __future__ import annotations

import html
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.library.services.protocols import draft_from_protocol, draft_issues, protocol_clone
from challenges.models import Challenge, Food, Protocol
from challenges.run import services as runs
from tests.challenges.factories_library import edit_data
from tests.reports import scenarios
from tests.reports.helpers import text

PEANUT_BUTTER_PRACTALL = {
    "name": "Peanut butter ladder",
    "kind": "open",
    "dose_basis": "protein",
    "observation_minutes": "120",
    "follow_up_hours": "24",
    "gen-generator": "practall7",
    "gen-interval_minutes": "30",
}


def _url(name: str, *args: object) -> str:
    return reverse(f"challenges:{name}", args=args)


def _page(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def _book(patient, protocol: Protocol, nurse, allergist) -> Challenge:
    return runs.challenge_schedule(
        patient=patient, protocol=protocol, scheduled_at=scenarios.START, allergist=allergist, nurse=nurse, by=nurse
    )


def _food(name: str, form: str) -> Food:
    return Food.objects.get(clinic=None, name=name, form=form)


# --- the food form and the food list -------------------------------------------------------------------------


def test_a_clinic_adds_a_composite_baked_food_with_its_form_and_allergen_protein(client, allergist, library):
    client.force_login(allergist)
    response = client.post(
        _url("food-create"),
        {
            "name": "Baked-milk cupcake",
            "form": "clinic recipe",
            "allergen_group": "milk",
            "protein_g_per_100": "6.5",
            "protein_source": "clinic recipe, weighed batch",
            "physical_form": "solid",
            "household_measures": "muffin=60",
            "allergen_protein_g_per_100": "2.1",
            "processing": "baked",
            "processing_temperature_c": "180",
            "processing_minutes": "25",
            "matrix": "wheat",
            "recipe": "1 cup milk, 2 cups flour",
        },
        follow=True,
    )
    food = Food.objects.get(clinic=allergist.clinic)
    assert (food.physical_form, food.allergen_protein_g_per_100, food.processing) == ("solid", Decimal("2.1"), "baked")
    assert food.household_measures == {"muffin": "60"}
    page = _page(response)
    assert "Baked at 180 °C for 25 min in a wheat matrix" in page
    assert "2.1 g milk protein" in page


def test_the_food_list_shows_each_standard_foods_physical_form(client, nurse, library):
    client.force_login(nurse)
    page = _page(client.get(_url("food-list")))
    assert 'Peanut flour, defatted</td> <td>Peanut</td> <td data-testid="physical-form">powder</td>' in page
    assert 'Peanut butter, smooth</td> <td>Peanut</td> <td data-testid="physical-form">paste</td>' in page
    assert 'Cow\'s milk, whole, 3.25 %</td> <td>Milk</td> <td data-testid="physical-form">liquid</td>' in page
    muffin = _page(client.get(_url("food-list"), {"q": "muffin"}))
    assert "Baked at 180 °C for 30 min in a wheat matrix" in muffin
    assert "1.3 g milk protein" in muffin
    assert "1 muffin = 100 g" in muffin


# --- building a protocol ----------------------------------------------------------------------------------------


def test_practall_on_peanut_butter_is_refused_and_peanut_flour_proposed(client, allergist, library):
    """P1: 3-30 mg of peanut protein is under 0.2 g of peanut butter, a paste that cannot be diluted."""
    client.force_login(allergist)
    data = {**PEANUT_BUTTER_PRACTALL, "food": str(_food("Peanut butter", "smooth").pk)}
    page = _page(client.post(_url("protocol-create"), data))
    assert "Step 1: 3 mg of protein is 0.0135 g of Peanut butter, smooth: too little to weigh" in page
    assert "a paste does not mix evenly into water" in page
    assert "Use a powder form of the same allergen for this step: Peanut flour, defatted" in page
    assert "Powdered peanut butter, PB2 Original" in page
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()


def test_practall_on_peanut_flour_is_built_and_diluted(client, allergist, library):
    client.force_login(allergist)
    data = {**PEANUT_BUTTER_PRACTALL, "food": str(_food("Peanut flour", "defatted").pk)}
    response = client.post(_url("protocol-create"), data)
    assert response.status_code == HTTPStatus.FOUND
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    page = _page(client.get(_url("protocol-detail", protocol.pk)))
    assert "Mix 1 g of Peanut flour, defatted into 200 mL of water" in page
    assert "Cannot be prepared" not in page


def test_a_household_ladder_needs_the_foods_own_teaspoon_weight(client, allergist, library):
    """F8: no 5 g teaspoon for a powder that has no teaspoon weight on file."""
    client.force_login(allergist)
    data = {
        **PEANUT_BUTTER_PRACTALL,
        "kind": "ladder",
        "dose_basis": "food",
        "gen-generator": "household",
        "food": str(_food("Peanut flour", "defatted").pk),
    }
    page = _page(client.post(_url("protocol-create"), data))
    assert "Peanut flour, defatted has no weight for one level teaspoon" in page
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()
    # PB2's label teaspoon (about 2 g) gives 0.25 g for 1/8 tsp, not the 0.625 g of a 5 g peanut-butter teaspoon.
    data["food"] = str(_food("Powdered peanut butter", "PB2 Original").pk)
    assert client.post(_url("protocol-create"), data).status_code == HTTPStatus.FOUND
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    assert [s.food_amount for s in protocol.steps.all()] == [Decimal(v) for v in ("0.25", "0.5", "1", "2", "4")]


def test_a_step_typed_as_a_household_fraction_takes_the_foods_weight(client, allergist, library):
    ascia = Protocol.objects.get(clinic=None, name="ASCIA peanut butter household ladder")
    ours = protocol_clone(protocol=ascia, clinic=allergist.clinic, by=allergist)
    client.force_login(allergist)
    changes = {"steps-4-food_amount": "", "steps-4-household_measure": "1 1/2 tsp"}
    response = client.post(_url("protocol-edit", ours.pk), edit_data(ours, **changes))
    assert response.status_code == HTTPStatus.FOUND
    saved = Protocol.objects.get(clinic=allergist.clinic, is_current=True)
    assert saved.steps.get(number=5).food_amount == Decimal("7.5")  # 1 1/2 × 5 g (ASCIA)
    nonsense = {"steps-4-food_amount": "", "steps-4-household_measure": "1//2 tsp"}
    page = _page(client.post(_url("protocol-edit", saved.pk), edit_data(saved, **nonsense)))
    assert "“1//2” is not a household amount; write it as 1/8, 1/2 or 1 1/2." in page


def test_a_teaspoon_step_is_refused_for_a_food_without_a_teaspoon_weight(client, allergist, library):
    ascia = Protocol.objects.get(clinic=None, name="ASCIA peanut butter household ladder")
    ours = protocol_clone(protocol=ascia, clinic=allergist.clinic, by=allergist)
    client.force_login(allergist)
    flour = _food("Peanut flour", "defatted")
    page = _page(client.post(_url("protocol-edit", ours.pk), edit_data(ours, food=str(flour.pk))))
    assert "Step 2: Peanut flour, defatted has no weight for one level teaspoon" in page  # step 1: the lip smear
    assert Protocol.objects.get(pk=ours.pk).food.name == "Peanut butter"


def test_every_standard_protocol_passes_the_preparation_rules(library):
    for protocol in Protocol.objects.filter(clinic=None):
        errors = [i for i in draft_issues(draft_from_protocol(protocol)) if i.level == "error"]
        assert errors == [], protocol.name


# --- the baked-milk muffin (P3, X9) ---------------------------------------------------------------------------------


@pytest.fixture
def muffin_protocol(library) -> Protocol:
    return Protocol.objects.get(clinic=None, name="Baked-milk muffin open OFC")


def test_the_baked_milk_muffin_protocol_counts_milk_protein(client, nurse, muffin_protocol):
    assert not Protocol.objects.filter(name="Baked milk (cheesecake) open OFC").exists()
    client.force_login(nurse)
    page = _page(client.get(_url("protocol-detail", muffin_protocol.pk)))
    assert "Milk protein" in page
    assert (
        "Weigh 5 g (1/20 of a muffin) of Baked-milk muffin, Nowak-Węgrzyn 2008 recipe, home-baked "
        "(about 65 mg of milk protein)." in page
    )
    assert "1,300 mg" in page  # one muffin, about 1.3 g of milk protein (Nowak-Węgrzyn 2008)
    assert "100 g of food" in page


def test_passed_baked_milk_names_the_form_on_the_page_and_in_the_report(
    client, patient, nurse, allergist, muffin_protocol
):
    challenge = scenarios.practall_passed(patient, muffin_protocol, nurse, allergist)
    client.force_login(allergist)
    page = _page(client.get(_url("detail", challenge.pk)))
    assert "Tolerated: baked milk (Baked-milk muffin" in page
    assert "baked at 180 °C for 30 min in a wheat matrix" in page
    assert "Keep avoiding fresh milk, yogurt, cheese (including cheese on pizza)" in page
    report = text(client.get(_url("report", challenge.pk)).content)
    assert "Form tolerated Tolerated: baked milk" in report
    assert "1.3 g milk protein per 100 g" in report
    assert "doses are mg of milk protein" in report


def test_passed_hard_boiled_egg_keeps_raw_egg_avoided(client, patient, nurse, allergist, library):
    egg = Protocol.objects.get(clinic=None, name="Hard-boiled egg OFC")
    challenge = scenarios.practall_passed(patient, egg, nurse, allergist)
    client.force_login(allergist)
    page = _page(client.get(_url("detail", challenge.pk)))
    assert "Tolerated: hard-boiled egg" in page
    assert "raw and lightly cooked egg" in page


# --- the preparation sheet (PDF read back) --------------------------------------------------------------------------


def test_the_preparation_sheet_never_mixes_peanut_butter_into_water(client, patient, nurse, allergist, practall):
    challenge = _book(patient, practall, nurse, allergist)
    client.force_login(nurse)
    sheet = text(client.get(_url("preparation-sheet", challenge.pk)).content)
    assert "Mix 1 g of Peanut flour, defatted into 200 mL of water" in sheet
    assert "Peanut butter" not in sheet
    assert "Food Peanut flour, defatted (powder)" in sheet


def test_an_old_paste_protocol_prints_why_a_step_cannot_be_prepared(client, patient, nurse, allergist, practall):
    """A challenge booked before the rule: the sheet says which step cannot be prepared instead of a water mix."""
    challenge = _book(patient, practall, nurse, allergist)
    protocol = challenge.protocol
    protocol.food = _food("Peanut butter", "smooth")
    protocol.save()
    client.force_login(nurse)
    sheet = text(client.get(_url("preparation-sheet", challenge.pk)).content)
    assert "Cannot be prepared: 3 mg of protein is 0.0135 g of Peanut butter, smooth" in sheet
    assert "Peanut butter, smooth into" not in sheet
    assert "Weigh 13.51 g of Peanut butter, smooth" in sheet


def test_the_muffin_sheet_says_the_doses_are_milk_protein(client, patient, nurse, allergist, muffin_protocol):
    challenge = _book(patient, muffin_protocol, nurse, allergist)
    client.force_login(nurse)
    sheet = text(client.get(_url("preparation-sheet", challenge.pk)).content)
    assert "doses are mg of milk protein" in sheet
    # 65 mg of milk protein at 1.3 g/100 g is 5 g of muffin (1/20 of 100 g), not 1.08 g at the whole food's 6 g/100 g.
    assert "Weigh 5 g (1/20 of a muffin) of Baked-milk muffin" in sheet
    assert "(about 65 mg of milk protein)" in sheet
    assert "the library figure (1.3 g/100 g of milk protein) is used" in sheet


# --- editing a clinic food ------------------------------------------------------------------------------------


def test_an_allergist_corrects_a_clinic_foods_form_and_measures(client, allergist, library):
    from challenges.library.services.foods import FoodDraft, food_create

    draft = FoodDraft("Peanut powder", "Brand P", "peanut", Decimal("50"), "label")
    food = food_create(clinic=allergist.clinic, by=allergist, draft=draft)
    assert food.physical_form == "solid"  # the safe default until someone says otherwise
    client.force_login(allergist)
    listing = _page(client.get(_url("food-list")))
    assert _url("food-edit", food.pk) in listing
    form_page = _page(client.get(_url("food-edit", food.pk)))
    assert 'value="Peanut powder"' in form_page
    data = {
        "name": "Peanut powder",
        "form": "Brand P",
        "allergen_group": "peanut",
        "protein_g_per_100": "50",
        "protein_source": "label",
        "physical_form": "powder",
        "household_measures": "tsp=2.5",
    }
    assert client.post(_url("food-edit", food.pk), data).status_code == HTTPStatus.FOUND
    food.refresh_from_db()
    assert (food.physical_form, food.household_measures) == ("powder", {"tsp": "2.5"})
    assert food.history.first().history_user == allergist


def test_a_food_used_by_a_challenge_cannot_be_edited(client, patient, nurse, allergist, library):
    from challenges.library.services.foods import FoodDraft, food_create

    food = food_create(
        clinic=allergist.clinic,
        by=allergist,
        draft=FoodDraft("Peanut powder", "Brand P", "peanut", Decimal("50"), "label", physical_form="powder"),
    )
    practall = Protocol.objects.get(clinic=None, name="PRACTALL 7-step peanut OFC")
    ours = protocol_clone(protocol=practall, clinic=allergist.clinic, by=allergist)
    ours.food = food
    ours.save()
    _book(patient, ours, nurse, allergist)
    client.force_login(allergist)
    data = {
        "name": "Peanut powder",
        "form": "Brand P",
        "allergen_group": "peanut",
        "protein_g_per_100": "40",
        "protein_source": "label",
        "physical_form": "powder",
    }
    page = _page(client.post(_url("food-edit", food.pk), data))
    assert "A challenge has used this food" in page
    food.refresh_from_db()
    assert food.protein_g_per_100 == Decimal("50")


def test_standard_foods_and_nurses_cannot_edit(client, nurse, allergist, library):
    standard = _food("Peanut butter", "smooth")
    client.force_login(allergist)
    assert client.get(_url("food-edit", standard.pk)).status_code == HTTPStatus.NOT_FOUND
    client.force_login(nurse)
    assert client.get(_url("food-edit", standard.pk)).status_code == HTTPStatus.NOT_FOUND

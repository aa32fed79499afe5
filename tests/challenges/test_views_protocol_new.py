"""The new-protocol page: each generator, its refusals and options (FPIES, rounding, a lip smear), and the food
it may use (docs/clinical-sources.md §1.5, §11)."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest

from challenges.library.services.foods import FoodDraft, food_create
from challenges.models import Food, Protocol
from clinical.checklist import default_item_codes
from clinical.washout_rules import DEFAULT_WASHOUT
from tests.challenges.factories_library import library_url, new_protocol_data, step_proteins

# --- new protocol ------------------------------------------------------------------------------------------


def test_new_page_offers_every_generator(client, allergist, library):
    client.force_login(allergist)
    page = client.get(library_url("protocol-create")).content.decode()
    for label in (
        "PRACTALL 7 steps",
        "Geometric ladder",
        "FPIES weight-based",
        "ASCIA household ladder",
        "Slow home reintroduction (crumb",
    ):
        assert label in page


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        ("open", {"gen-generator": "practall7"}, ["3", "10", "30", "100", "300", "1000", "3000"]),
        ("open", {"gen-generator": "practall5"}, ["30", "100", "300", "1000", "3000"]),
        (
            "open",
            {"gen-generator": "geometric", "gen-start_mg": "2", "gen-top_mg": "2000", "gen-steps": "4"},
            ["2", "20", "200", "2000"],
        ),
        # docs/clinical-sources.md §1.5: 0.3 g/kg, capped at 3 g of protein or 10 g of food, whichever is lower.
        ("fpies", {"gen-generator": "fpies", "gen-weight_kg": "4"}, ["400", "400", "400"]),  # 0.3 g/kg
        # 0.3 g/kg × 8 kg = 2.4 g; peanut flour's 10 g food cap (5,220 mg) does not bind (test_fpies_rules has it)
        ("fpies", {"gen-generator": "fpies", "gen-weight_kg": "8"}, ["800", "800", "800"]),
    ],
)
def test_create_with_a_protein_generator(client, allergist, peanut_flour, kind, params, expected):
    client.force_login(allergist)
    response = client.post(library_url("protocol-create"), new_protocol_data(peanut_flour, kind=kind, **params))
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == library_url("protocol-edit", protocol)
    assert step_proteins(protocol) == [Decimal(dose) for dose in expected]
    assert protocol.created_by == allergist
    assert protocol.version == 1
    assert protocol.follow_up_hours == [2, 24]
    assert protocol.checklist_items == list(default_item_codes(kind))
    assert protocol.stop_rules["fpies_rule"] is (kind == "fpies")
    assert [rule["med_class"] for rule in protocol.washout_rules] == [rule.med_class for rule in DEFAULT_WASHOUT]


def test_create_household_ladder(client, allergist, peanut_butter):
    client.force_login(allergist)
    data = new_protocol_data(
        peanut_butter, kind="ladder", dose_basis="food", **{"gen-generator": "household", "gen-interval_minutes": "20"}
    )
    response = client.post(library_url("protocol-create"), data)
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    assert response.status_code == HTTPStatus.FOUND
    steps = list(protocol.steps.all())
    assert [s.food_amount for s in steps] == [
        Decimal("0.625"),
        Decimal("1.25"),
        Decimal("2.5"),
        Decimal("5"),
        Decimal("10"),
    ]
    assert [s.household_measure for s in steps] == ["1/8 tsp", "1/4 tsp", "1/2 tsp", "1 tsp", "2 tsp"]
    assert {s.interval_minutes for s in steps} == {20}


def test_create_home_reintroduction_has_no_washout(client, allergist, library):
    cheesecake = Food.objects.get(clinic=None, name="Cheesecake")
    client.force_login(allergist)
    data = new_protocol_data(
        cheesecake,
        kind="home",
        dose_basis="food",
        observation_minutes="0",
        watch_hours="48",
        **{"gen-generator": "home", "gen-serving": "80", "gen-days_between": "4"},
    )
    response = client.post(library_url("protocol-create"), data)
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    assert response.status_code == HTTPStatus.FOUND
    assert protocol.washout_rules == []
    assert [s.food_amount for s in protocol.steps.all()][-1] == Decimal("80")
    assert {s.interval_minutes for s in protocol.steps.all()} == {4 * 24 * 60}
    assert protocol.watch_hours == 48


@pytest.mark.parametrize(
    ("params", "field_message"),
    [
        (
            {"gen-generator": "geometric", "gen-start_mg": "100", "gen-top_mg": "10", "gen-steps": "5"},
            "The top dose must be above the start dose.",
        ),
        ({"gen-generator": "geometric", "gen-top_mg": "10", "gen-steps": "5"}, "Give the start and top doses."),
        (
            {
                "gen-generator": "geometric",
                "gen-start_mg": "1",
                "gen-top_mg": "10",
                "gen-steps": "3",
                "gen-factor": "2",
            },
            "Give either the number of steps or the factor, not both.",
        ),
        ({"gen-generator": "fpies"}, "Give the patient&#x27;s weight for an FPIES challenge."),
        (
            {"gen-generator": "fpies", "gen-weight_kg": "10", "gen-protein_g_per_kg": "0.9"},
            "An FPIES challenge uses 0.06 to 0.6 g/kg",
        ),
        ({"gen-generator": "home"}, "Give the size of a full serving."),
    ],
)
def test_generator_refusals_are_shown_and_nothing_saved(client, allergist, peanut_butter, params, field_message):
    client.force_login(allergist)
    response = client.post(library_url("protocol-create"), new_protocol_data(peanut_butter, **params))
    assert response.status_code == HTTPStatus.OK
    assert field_message in response.content.decode()
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()


def test_create_refuses_an_interval_too_short_for_an_ofc(client, allergist, peanut_butter):
    client.force_login(allergist)
    response = client.post(
        library_url("protocol-create"), new_protocol_data(peanut_butter, **{"gen-interval_minutes": "5"})
    )
    assert response.status_code == HTTPStatus.OK
    assert "Step 2 comes 5 min after step 1; allow at least 15 min between doses." in response.content.decode()
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("５", "Use the digits 0-9 only."),
        ("١٢", "Use the digits 0-9 only."),
        (".5", "Write 0.5, not .5."),
        ("1e3", "without an exponent"),
        ("1,5", "Use a point as the decimal separator"),
        ("NaN", "not NaN or Infinity"),
    ],
)
def test_create_rejects_malformed_numbers(client, allergist, peanut_butter, typed, message):
    client.force_login(allergist)
    data = new_protocol_data(
        peanut_butter,
        min_top_dose_mg=typed,
        **{"gen-generator": "geometric", "gen-start_mg": typed, "gen-top_mg": "1000", "gen-steps": "5"},
    )
    response = client.post(library_url("protocol-create"), data)
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().count(message) >= 2  # on the start dose and on the minimum top dose
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()


def test_create_needs_a_food_the_clinic_can_see(client, allergist, other_clinic_allergist, library):
    theirs = food_create(
        clinic=other_clinic_allergist.clinic,
        by=other_clinic_allergist,
        draft=FoodDraft("Peanut butter", "Harbour brand", "peanut", Decimal("25"), "label"),
    )
    client.force_login(allergist)
    response = client.post(library_url("protocol-create"), new_protocol_data(theirs))
    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.content.decode()
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()


def test_create_with_a_clinic_food(client, allergist, library):
    client.force_login(allergist)
    client.post(
        library_url("food-create"),
        {
            "name": "Peanut powder",
            "form": "Brand X",
            "allergen_group": "peanut",
            "protein_g_per_100": "50",
            "protein_source": "label",
            "physical_form": "powder",
        },
    )
    food = Food.objects.get(clinic=allergist.clinic)
    assert food.physical_form == "powder"
    assert f'value="{food.pk}"' in client.get(library_url("protocol-create")).content.decode()
    client.post(library_url("protocol-create"), new_protocol_data(food))
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    assert protocol.food == food
    assert "6 g" in client.get(library_url("protocol-detail", protocol)).content.decode()  # 3,000 mg at 50 g/100 g


# --- FPIES and generator options (docs/clinical-sources.md §1.5, §11) ----------------------------------------


@pytest.mark.parametrize(("kind", "minutes"), [("fpies", 240), ("open", 120)])
def test_a_new_protocol_without_an_observation_gets_the_kinds_default(client, allergist, peanut_flour, kind, minutes):
    client.force_login(allergist)
    generator = {"gen-generator": "fpies", "gen-weight_kg": "4"} if kind == "fpies" else {"gen-generator": "practall7"}
    data = new_protocol_data(peanut_flour, kind=kind, observation_minutes="", **generator)
    assert client.post(library_url("protocol-create"), data).status_code == HTTPStatus.FOUND
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    assert protocol.observation_minutes == minutes
    assert protocol.fpies_protein_g_per_kg == (Decimal("0.3") if kind == "fpies" else None)


def test_a_short_fpies_observation_is_warned(client, allergist, peanut_butter):
    client.force_login(allergist)
    data = new_protocol_data(
        peanut_butter, kind="fpies", observation_minutes="120", **{"gen-generator": "fpies", "gen-weight_kg": "4"}
    )
    response = client.post(library_url("protocol-create"), data, follow=True)
    assert "An FPIES challenge observes at least 4 h after the last dose." in response.content.decode()


@pytest.mark.parametrize(("exact", "second"), [("", Decimal("7")), ("on", Decimal("6.5"))])
def test_the_generator_rounds_unless_asked_to_keep_exact_values(client, allergist, peanut_flour, exact, second):
    client.force_login(allergist)
    # From 3 mg: peanut flour is diluted for the low doses (a powder disperses); 1 mg would be too small to mix.
    params = {"gen-generator": "geometric", "gen-start_mg": "3", "gen-top_mg": "3000", "gen-steps": "10"}
    if exact:
        params["gen-exact"] = exact
    assert (
        client.post(library_url("protocol-create"), new_protocol_data(peanut_flour, **params)).status_code
        == HTTPStatus.FOUND
    )
    assert step_proteins(Protocol.objects.get(clinic=allergist.clinic))[1] == second


def test_the_household_ladder_can_start_with_a_lip_smear(client, allergist, peanut_butter):
    client.force_login(allergist)
    params = {"gen-generator": "household", "gen-interval_minutes": "20", "gen-lip_smear": "on"}
    data = new_protocol_data(peanut_butter, kind="ladder", dose_basis="food", **params)
    assert client.post(library_url("protocol-create"), data).status_code == HTTPStatus.FOUND
    first = Protocol.objects.get(clinic=allergist.clinic).steps.first()
    assert (first.role, first.protein_mg, first.food_amount, first.interval_minutes) == ("lip_smear", None, None, 20)

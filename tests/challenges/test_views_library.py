"""Protocol-library pages through real URLs, for every member of the cast."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.library.facts import protocol_steps
from challenges.library.services.foods import FoodDraft, food_create
from challenges.library.services.protocols import protocol_clone
from challenges.models import Food, PremedicationItem, Protocol
from clinical.checklist import default_item_codes
from clinical.washout_rules import DEFAULT_WASHOUT
from tests.challenges.factories_library import challenge_using, edit_data

VALID_NEW = {
    "name": "Peanut ladder for Zoë",
    "kind": "open",
    "dose_basis": "protein",
    "observation_minutes": "120",
    "watch_hours": "",
    "min_top_dose_mg": "3000",
    "follow_up_hours": "2, 24",
    "notes": "Clinic protocol.",
    "references": "PRACTALL.",
    "gen-generator": "practall7",
    "gen-interval_minutes": "30",
}


def _url(name: str, protocol: Protocol | None = None) -> str:
    return reverse(f"challenges:{name}", args=[protocol.pk] if protocol else [])


def _new_data(food: Food, **changes: str) -> dict[str, str]:
    return {**VALID_NEW, "food": str(food.pk), **changes}


def _proteins(protocol: Protocol) -> list[Decimal | None]:
    return [step.protein_mg for step in protocol_steps(protocol)]


@pytest.fixture
def peanut_butter(library) -> Food:
    return Food.objects.get(clinic=None, name="Peanut butter", form="smooth")


@pytest.fixture
def peanut_flour(library) -> Food:
    return Food.objects.get(clinic=None, name="Peanut flour", form="defatted")


# --- who may see what ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "needs_pk"),
    [
        ("protocol-list", False),
        ("protocol-create", False),
        ("protocol-detail", True),
        ("protocol-edit", True),
        ("protocol-clone", True),
        ("food-list", False),
        ("food-create", False),
    ],
)
def test_anonymous_is_sent_to_login(client, clinic_protocol, name, needs_pk):
    response = client.get(_url(name, clinic_protocol if needs_pk else None))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("name", "needs_pk"),
    [
        ("protocol-list", False),
        ("protocol-create", False),
        ("protocol-detail", True),
        ("protocol-edit", True),
        ("protocol-clone", True),
        ("food-list", False),
        ("food-create", False),
    ],
)
def test_patient_gets_404_everywhere(client, patient_user, clinic_protocol, name, needs_pk):
    client.force_login(patient_user)
    url = _url(name, clinic_protocol if needs_pk else None)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    if name not in ("protocol-list", "protocol-detail", "food-list"):  # read-only pages answer POST with 405
        assert client.post(url, {}).status_code == HTTPStatus.NOT_FOUND


def test_nurse_reads_but_cannot_write(client, nurse, practall, clinic_protocol, peanut_butter):
    client.force_login(nurse)
    assert client.get(_url("protocol-detail", practall)).status_code == HTTPStatus.OK
    detail = client.get(_url("protocol-detail", clinic_protocol)).content.decode()
    assert "4,443 mg" in detail
    assert _url("protocol-edit", clinic_protocol) not in detail
    assert "Clone to my clinic" not in detail
    before = Protocol.objects.count(), Food.objects.count()
    for name, protocol in [
        ("protocol-create", None),
        ("protocol-edit", clinic_protocol),
        ("protocol-clone", practall),
        ("food-create", None),
    ]:
        assert client.get(_url(name, protocol)).status_code == HTTPStatus.NOT_FOUND, name
    assert client.post(_url("protocol-create"), _new_data(peanut_butter)).status_code == HTTPStatus.NOT_FOUND
    edit = edit_data(clinic_protocol, name="Nurse edit")
    assert client.post(_url("protocol-edit", clinic_protocol), edit).status_code == HTTPStatus.NOT_FOUND
    assert client.post(_url("protocol-clone", practall)).status_code == HTTPStatus.NOT_FOUND
    assert client.post(_url("food-create"), {"name": "X"}).status_code == HTTPStatus.NOT_FOUND
    assert (Protocol.objects.count(), Food.objects.count()) == before
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.name == "PRACTALL 7-step peanut OFC (copy)"


def test_other_clinic_cannot_reach_a_clinic_protocol(
    client, other_clinic_nurse, other_clinic_allergist, clinic_protocol, practall
):
    client.force_login(other_clinic_nurse)
    assert client.get(_url("protocol-detail", clinic_protocol)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(_url("protocol-detail", practall)).status_code == HTTPStatus.OK  # standard: every clinic
    client.force_login(other_clinic_allergist)
    assert client.get(_url("protocol-edit", clinic_protocol)).status_code == HTTPStatus.NOT_FOUND
    edit = edit_data(clinic_protocol, name="Taken over")
    assert client.post(_url("protocol-edit", clinic_protocol), edit).status_code == HTTPStatus.NOT_FOUND
    assert client.post(_url("protocol-clone", clinic_protocol)).status_code == HTTPStatus.NOT_FOUND
    assert not Protocol.objects.filter(clinic=other_clinic_allergist.clinic).exists()
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.name == "PRACTALL 7-step peanut OFC (copy)"


def test_standard_protocols_are_not_editable_in_place(client, allergist, practall):
    client.force_login(allergist)
    assert client.get(_url("protocol-edit", practall)).status_code == HTTPStatus.NOT_FOUND
    response = client.post(_url("protocol-edit", practall), edit_data(practall, name="Changed"))
    assert response.status_code == HTTPStatus.NOT_FOUND
    practall.refresh_from_db()
    assert practall.name == "PRACTALL 7-step peanut OFC"


@pytest.mark.parametrize(
    ("name", "needs_pk"), [("protocol-list", False), ("protocol-detail", True), ("food-list", False)]
)
def test_read_only_pages_refuse_post(client, nurse, practall, name, needs_pk):
    client.force_login(nurse)
    assert client.post(_url(name, practall if needs_pk else None)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize(
    ("name", "needs_pk"), [("protocol-create", False), ("protocol-edit", True), ("food-create", False)]
)
def test_forms_refuse_other_methods(client, allergist, clinic_protocol, name, needs_pk):
    client.force_login(allergist)
    assert client.put(_url(name, clinic_protocol if needs_pk else None)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- protocol list -----------------------------------------------------------------------------------------


def test_list_shows_current_standard_and_own_protocols(
    client, nurse, other_clinic_allergist, practall, clinic_protocol, patient, allergist
):
    protocol_clone(protocol=practall, clinic=other_clinic_allergist.clinic, by=other_clinic_allergist)
    other = Protocol.objects.get(clinic=other_clinic_allergist.clinic)
    other.name = "Harbour secret ladder"
    other.save()
    challenge_using(clinic_protocol, patient=patient, allergist=allergist)
    client.force_login(allergist)  # the edit below makes version 2 of the clinic copy
    client.post(_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, name="Clinic peanut v2"))
    client.force_login(nurse)
    page = client.get(_url("protocol-list")).content.decode()
    assert "PRACTALL 7-step peanut OFC" in page
    assert "Hard-boiled egg OFC" in page
    assert "Clinic peanut v2" in page
    assert "PRACTALL 7-step peanut OFC (copy)" not in page  # version 1 is no longer current
    assert "Harbour secret ladder" not in page
    every = client.get(_url("protocol-list"), {"all_versions": "on"}).content.decode()
    assert "PRACTALL 7-step peanut OFC (copy)" in every
    assert "earlier version" in every


def test_list_filters_by_food_and_kind(client, nurse, library):
    client.force_login(nurse)
    egg = Food.objects.get(clinic=None, name="Egg", form="whole, hard-boiled")
    by_food = client.get(_url("protocol-list"), {"food": egg.pk}).content.decode()
    assert "Hard-boiled egg OFC" in by_food
    assert "FPIES oral food challenge (egg, dosed per kg)" in by_food
    assert "PRACTALL 7-step peanut OFC" not in by_food
    by_kind = client.get(_url("protocol-list"), {"kind": "fpies"}).content.decode()
    assert "FPIES oral food challenge (egg, dosed per kg)" in by_kind
    assert "Hard-boiled egg OFC" not in by_kind


def test_list_query_count_does_not_grow_with_protocols(client, nurse, library, django_assert_num_queries):
    client.force_login(nurse)
    # session, user, the user's clinic (page header), foods for the filter, protocols with food and step count,
    # and the session saved again (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release)
    with django_assert_num_queries(8):
        response = client.get(_url("protocol-list"))
    assert response.content.decode().count("/challenges/library/protocols/") >= 6


# --- protocol detail ---------------------------------------------------------------------------------------


def test_practall_detail_shows_the_plan(client, nurse, practall):
    client.force_login(nurse)
    page = client.get(_url("protocol-detail", practall)).content.decode()
    assert "4,443 mg" in page
    assert "5.75 g" in page  # defatted peanut flour (52.2 g/100 g, CNF 2015; USDA SR 16099) for the 3,000 mg step
    assert "Weigh 5.75 g of Peanut flour, defatted" in page
    assert "Mix 1 g of Peanut flour, defatted into 200 mL of water; stir well; give 1.1 mL of the mix" in page
    assert "Peanut butter" not in page  # never stirred into water (P1)
    assert "3,000 mg" in page
    assert "1,443 mg" in page
    assert "Gastrointestinal" in page
    assert "occasional scratching" in page
    assert "objective" in page
    assert "Any objective sign graded mild (1) or worse." in page
    assert "H1 antihistamine" in page
    assert "7 days" in page
    assert "observe 2 h" in page
    assert "NCT02070263" in page  # sources
    assert "Version 1" in page


def test_detail_shows_warnings_and_premedication(client, nurse, library):
    mcas = Protocol.objects.get(clinic=None, name="MCAS slow home reintroduction: cheesecake")
    client.force_login(nurse)
    page = client.get(_url("protocol-detail", mcas)).content.decode()
    assert "Cromolyn sodium (oral)" in page
    assert "30 min before each step" in page
    assert "Weigh 0.1 g (crumb) of Cheesecake, baked, commercial." in page
    assert "No wash-out rules" in page
    assert "48 h" in page  # watch window


def test_detail_lists_warnings_in_yellow(client, allergist, clinic_protocol):
    client.force_login(allergist)
    client.post(_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, **{"steps-1-protein_mg": "100"}))
    page = client.get(_url("protocol-detail", clinic_protocol)).content.decode()
    assert 'data-testid="issues-warning"' in page
    assert "Step 2 (100 mg) is 33.3× step 1 (3 mg); steps above 3.5× are unusual." in page


def test_a_dose_too_small_to_prepare_is_refused(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = client.post(
        _url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, **{"steps-0-protein_mg": "0.001"})
    )
    assert response.status_code == HTTPStatus.OK
    assert "too small to prepare from one dilution" in response.content.decode()
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.steps.get(number=1).protein_mg == 3


def test_version_history_links_every_version(client, allergist, clinic_protocol, patient):
    challenge_using(clinic_protocol, patient=patient, allergist=allergist)
    client.force_login(allergist)
    client.post(_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, name="Peanut v2"))
    v2 = Protocol.objects.get(lineage=clinic_protocol.lineage, version=2)
    page = client.get(_url("protocol-detail", v2)).content.decode()
    assert _url("protocol-detail", clinic_protocol) in page
    assert "Version 2" in page
    old = client.get(_url("protocol-detail", clinic_protocol)).content.decode()
    assert "This is an earlier version" in old
    assert _url("protocol-detail", v2) in old
    assert _url("protocol-edit", clinic_protocol) not in old


# --- new protocol ------------------------------------------------------------------------------------------


def test_new_page_offers_every_generator(client, allergist, library):
    client.force_login(allergist)
    page = client.get(_url("protocol-create")).content.decode()
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
    response = client.post(_url("protocol-create"), _new_data(peanut_flour, kind=kind, **params))
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == _url("protocol-edit", protocol)
    assert _proteins(protocol) == [Decimal(dose) for dose in expected]
    assert protocol.created_by == allergist
    assert protocol.version == 1
    assert protocol.follow_up_hours == [2, 24]
    assert protocol.checklist_items == list(default_item_codes(kind))
    assert protocol.stop_rules["fpies_rule"] is (kind == "fpies")
    assert [rule["med_class"] for rule in protocol.washout_rules] == [rule.med_class for rule in DEFAULT_WASHOUT]


def test_create_household_ladder(client, allergist, peanut_butter):
    client.force_login(allergist)
    data = _new_data(
        peanut_butter, kind="ladder", dose_basis="food", **{"gen-generator": "household", "gen-interval_minutes": "20"}
    )
    response = client.post(_url("protocol-create"), data)
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
    data = _new_data(
        cheesecake,
        kind="home",
        dose_basis="food",
        observation_minutes="0",
        watch_hours="48",
        **{"gen-generator": "home", "gen-serving": "80", "gen-days_between": "4"},
    )
    response = client.post(_url("protocol-create"), data)
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
    response = client.post(_url("protocol-create"), _new_data(peanut_butter, **params))
    assert response.status_code == HTTPStatus.OK
    assert field_message in response.content.decode()
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()


def test_create_refuses_an_interval_too_short_for_an_ofc(client, allergist, peanut_butter):
    client.force_login(allergist)
    response = client.post(_url("protocol-create"), _new_data(peanut_butter, **{"gen-interval_minutes": "5"}))
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
    data = _new_data(
        peanut_butter,
        min_top_dose_mg=typed,
        **{"gen-generator": "geometric", "gen-start_mg": typed, "gen-top_mg": "1000", "gen-steps": "5"},
    )
    response = client.post(_url("protocol-create"), data)
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
    response = client.post(_url("protocol-create"), _new_data(theirs))
    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.content.decode()
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()


def test_create_with_a_clinic_food(client, allergist, library):
    client.force_login(allergist)
    client.post(
        _url("food-create"),
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
    assert f'value="{food.pk}"' in client.get(_url("protocol-create")).content.decode()
    client.post(_url("protocol-create"), _new_data(food))
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    assert protocol.food == food
    assert "6 g" in client.get(_url("protocol-detail", protocol)).content.decode()  # 3,000 mg at 50 g/100 g


# --- edit --------------------------------------------------------------------------------------------------


def test_edit_page_shows_the_current_steps(client, allergist, clinic_protocol):
    client.force_login(allergist)
    page = client.get(_url("protocol-edit", clinic_protocol)).content.decode()
    assert 'name="steps-6-protein_mg" value="3000"' in page
    assert 'name="washout-h1_antihistamine" value="7"' in page  # 168 h, edited in days
    assert 'value="skin_urticaria"' in page
    assert 'data-testid="in-use"' not in page


def test_edit_of_an_unused_protocol_changes_it_in_place(client, allergist, clinic_protocol):
    history_before = clinic_protocol.history.count()
    client.force_login(allergist)
    data = edit_data(
        clinic_protocol,
        name="Clinic peanut",
        **{
            "steps-6-protein_mg": "2000",
            "steps-0-wait": "1",
            "steps-0-wait_unit": "h",
            "follow_up_hours": "2, 24, 72",
        },
    )
    response = client.post(_url("protocol-edit", clinic_protocol), data)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == _url("protocol-detail", clinic_protocol)
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.name == "Clinic peanut"
    assert clinic_protocol.version == 1
    assert clinic_protocol.is_current
    assert _proteins(clinic_protocol)[-1] == Decimal("2000")
    assert clinic_protocol.steps.get(number=1).interval_minutes == 60
    assert clinic_protocol.follow_up_hours == [2, 24, 72]
    assert clinic_protocol.history.count() == history_before + 1
    assert clinic_protocol.history.first().history_user == allergist
    assert Protocol.objects.filter(lineage=clinic_protocol.lineage).count() == 1
    assert "Protocol saved." in client.get(response["Location"]).content.decode()


def test_edit_of_a_used_protocol_makes_version_2(client, allergist, clinic_protocol, patient):
    challenge = challenge_using(clinic_protocol, patient=patient, allergist=allergist)
    client.force_login(allergist)
    assert 'data-testid="in-use"' in client.get(_url("protocol-edit", clinic_protocol)).content.decode()
    data = edit_data(clinic_protocol, name="Clinic peanut v2", **{"steps-6-protein_mg": "2000"})
    response = client.post(_url("protocol-edit", clinic_protocol), data, follow=True)
    v2 = Protocol.objects.get(lineage=clinic_protocol.lineage, version=2)
    assert response.redirect_chain[-1][0] == _url("protocol-detail", v2)
    assert "Saved as version 2; version 1 stays as it was for the challenges that used it." in response.content.decode()
    assert v2.is_current
    assert v2.name == "Clinic peanut v2"
    assert _proteins(v2)[-1] == Decimal("2000")
    clinic_protocol.refresh_from_db()
    assert not clinic_protocol.is_current
    assert clinic_protocol.name == "PRACTALL 7-step peanut OFC (copy)"
    assert _proteins(clinic_protocol)[-1] == Decimal("3000")
    challenge.refresh_from_db()
    assert challenge.protocol_id == clinic_protocol.pk


def test_edit_of_an_earlier_version_is_refused(client, allergist, clinic_protocol, patient):
    challenge_using(clinic_protocol, patient=patient, allergist=allergist)
    client.force_login(allergist)
    client.post(_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, name="v2"))
    response = client.post(_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, name="v1 again"))
    assert response.status_code == HTTPStatus.OK
    assert "Only the current version of a protocol can be edited." in response.content.decode()
    assert Protocol.objects.filter(lineage=clinic_protocol.lineage).count() == 2
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.name == "PRACTALL 7-step peanut OFC (copy)"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"steps-0-protein_mg": "0"}, "Step 1: the dose must be more than 0 (got 0 mg)."),
        ({"steps-0-wait": "5"}, "Step 2 comes 5 min after step 1; allow at least 15 min between doses."),
        (
            {"steps-2-protein_mg": "", "steps-2-food_amount": ""},
            "Step 3 has no dose; enter the protein or the amount of food.",
        ),
        ({"checklist-items": []}, "Choose the checklist items to watch."),
        ({"follow_up_hours": "0, 24"}, "Follow-up times must be hours after the last dose."),
        ({"stop-spo2_below": "10"}, "“SpO2 below (%)” must be from 50 to 100 %, not 10."),
    ],
)
def test_edit_errors_block_and_name_the_problem(client, allergist, clinic_protocol, changes, message):
    client.force_login(allergist)
    response = client.post(
        _url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, name="Changed", **changes)
    )
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode().replace("&#x27;", "'")
    assert page.count(message) >= 1
    assert "Nothing was saved" in page
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.name == "PRACTALL 7-step peanut OFC (copy)"
    assert _proteins(clinic_protocol)[0] == Decimal("3")


def test_step_error_is_shown_next_to_its_row(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = client.post(
        _url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, **{"steps-3-protein_mg": "-1"})
    )
    page = response.content.decode()
    editor = page[page.index('data-testid="step-editor"') :]
    row_4 = editor[editor.index('name="steps-3-protein_mg"') : editor.index('name="steps-4-protein_mg"')]
    assert "Step 4: the dose must be more than 0 (got -1 mg)." in row_4


@pytest.mark.parametrize("typed", ["５", "١٢", ".5", "1e3", "1,5", "NaN"])
def test_edit_rejects_malformed_doses(client, allergist, clinic_protocol, typed):
    client.force_login(allergist)
    response = client.post(
        _url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, **{"steps-0-protein_mg": typed})
    )
    assert response.status_code == HTTPStatus.OK
    assert "Some entries need correcting; nothing was saved." in response.content.decode()
    assert _proteins(clinic_protocol)[0] == Decimal("3")


def test_edit_rejects_more_decimals_than_stored(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = client.post(
        _url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, **{"steps-0-protein_mg": "3.0005"})
    )
    assert "Use at most 3 decimal places." in response.content.decode()
    assert _proteins(clinic_protocol)[0] == Decimal("3")


def test_edit_warnings_are_shown_after_saving(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"steps-2-protein_mg": "5"})
    page = client.post(_url("protocol-edit", clinic_protocol), data, follow=True).content.decode()
    assert "Protocol saved." in page
    assert "Step 3 (5 mg) is smaller than step 2 (10 mg); doses should rise." in page
    assert _proteins(clinic_protocol)[2] == Decimal("5")


def test_edit_removes_and_adds_rows(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(
        clinic_protocol,
        **{
            "steps-0-DELETE": "on",
            "premeds-TOTAL_FORMS": "2",
            "premeds-0-drug": "Cetirizine",
            "premeds-0-med_class": "h1_antihistamine",
            "premeds-0-dose": "10 mg",
            "premeds-0-route": "oral",
            "premeds-0-minutes_before": "60",
            "premeds-0-required": "on",
            # a blank extra row as the page renders it: selects and the ticked "required" box, nothing typed
            "premeds-1-med_class": "other",
            "premeds-1-route": "oral",
            "premeds-1-minutes_before": "30",
            "premeds-1-required": "on",
        },
    )
    response = client.post(_url("protocol-edit", clinic_protocol), data)
    assert response.status_code == HTTPStatus.FOUND
    assert _proteins(clinic_protocol) == [Decimal(d) for d in ("10", "30", "100", "300", "1000", "3000")]
    premed = PremedicationItem.objects.get(protocol=clinic_protocol)
    assert (premed.drug, premed.minutes_before, premed.required, premed.before_each_step) == (
        "Cetirizine",
        60,
        True,
        False,
    )


def test_edit_washout_in_days(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(
        clinic_protocol, **{"washout-h1_antihistamine": "", "washout-nsaid": "2", "washout-mast_cell_stabiliser": "0"}
    )
    assert client.post(_url("protocol-edit", clinic_protocol), data).status_code == HTTPStatus.FOUND
    clinic_protocol.refresh_from_db()
    rules = {
        rule["med_class"]: rule for rule in clinic_protocol.washout_rules if "drug" not in rule and "route" not in rule
    }
    assert "h1_antihistamine" not in rules  # the class rule went; its per-drug and per-route rules stay
    specific = {(r["route"], r.get("drug", "")): r["hours"] for r in clinic_protocol.washout_rules if "route" in r}
    assert specific[("oral", "loratadine")] == 168
    assert specific[("eye", "")] == 48
    assert rules["nsaid"]["hours"] == 48
    assert rules["nsaid"]["source"] == ""
    assert rules["mast_cell_stabiliser"]["hours"] == 0
    assert rules["ppi"]["source"].startswith("allergyguide")  # unchanged: keeps its source


@pytest.mark.parametrize(("days", "hours"), [("0.5", 12), ("1.25", 30), ("0.4167", 10), ("365", 8760)])
def test_washout_days_are_stored_as_whole_hours(client, allergist, clinic_protocol, days, hours):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"washout-h2_blocker": days})
    assert client.post(_url("protocol-edit", clinic_protocol), data).status_code == HTTPStatus.FOUND
    clinic_protocol.refresh_from_db()
    (rule,) = [r for r in clinic_protocol.washout_rules if r["med_class"] == "h2_blocker"]
    assert rule["hours"] == hours


@pytest.mark.parametrize("days", ["0,5", ".5", "366", "-1", "7 weeks", "1.5 h"])
def test_washout_days_typed_wrongly_are_refused(client, allergist, clinic_protocol, days):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"washout-h2_blocker": days})
    assert client.post(_url("protocol-edit", clinic_protocol), data).status_code == HTTPStatus.OK


def test_a_washout_under_a_day_is_typed_and_shown_in_hours(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"washout-h2_blocker": "12 h", "washout-nsaid": "3 d"})
    assert client.post(_url("protocol-edit", clinic_protocol), data).status_code == HTTPStatus.FOUND
    clinic_protocol.refresh_from_db()
    hours = {r["med_class"]: r["hours"] for r in clinic_protocol.washout_rules if "drug" not in r and "route" not in r}
    assert (hours["h2_blocker"], hours["nsaid"]) == (12, 72)
    page = client.get(_url("protocol-edit", clinic_protocol)).content.decode()
    assert 'name="washout-h2_blocker" value="12 h"' in page
    assert 'name="washout-nsaid" value="3"' in page


def test_regenerate_replaces_the_rows_without_saving(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"regenerate": "", "gen-generator": "practall5", "gen-interval_minutes": "20"})
    del data["save"]
    response = client.post(_url("protocol-edit", clinic_protocol), data)
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'name="steps-0-protein_mg" value="30"' in page
    assert 'name="steps-0-wait" value="20"' in page
    assert 'name="steps-4-protein_mg" value="3000"' in page
    assert 'name="steps-6-protein_mg" value="3000"' not in page
    assert _proteins(clinic_protocol)[0] == Decimal("3")  # nothing saved yet


def test_saving_regenerated_rows_ignores_the_blank_rows_after_them(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"steps-TOTAL_FORMS": "7", "steps-INITIAL_FORMS": "5"})
    for index, dose in enumerate(["30", "100", "300", "1000", "3000"]):
        data[f"steps-{index}-protein_mg"] = dose
    for index in (5, 6):  # the blank rows the page renders after the generated ones
        data.update({f"steps-{index}-protein_mg": "", f"steps-{index}-wait": "30", f"steps-{index}-wait_unit": "min"})
    response = client.post(_url("protocol-edit", clinic_protocol), data)
    assert response.status_code == HTTPStatus.FOUND
    assert _proteins(clinic_protocol) == [Decimal(d) for d in ("30", "100", "300", "1000", "3000")]


# --- clone -------------------------------------------------------------------------------------------------


def test_clone_of_a_standard_protocol_makes_a_clinic_copy(client, allergist, practall):
    client.force_login(allergist)
    response = client.post(_url("protocol-clone", practall))
    copy = Protocol.objects.get(clinic=allergist.clinic)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == _url("protocol-edit", copy)
    assert copy.lineage != practall.lineage
    assert copy.version == 1
    assert copy.created_by == allergist
    assert copy.name == "PRACTALL 7-step peanut OFC (copy)"
    assert protocol_steps(copy) == protocol_steps(practall)
    assert copy.washout_rules == practall.washout_rules
    assert copy.checklist_items == practall.checklist_items


def test_clone_needs_post(client, allergist, practall):
    client.force_login(allergist)
    assert client.get(_url("protocol-clone", practall)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()


# --- foods -------------------------------------------------------------------------------------------------

VALID_FOOD = {
    "name": "Peanut butter",
    "form": "smooth, Brand X (label)",
    "allergen_group": "peanut",
    "protein_g_per_100": "25.5",
    "protein_source": "product label, Mar 2026",
    "physical_form": "paste",
    "household_measures": "tsp=5\n\n TBSP = 15 ",
    "serving_size": "20",
    "notes": "",
}


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
    page = client.get(_url("food-list")).content.decode()
    assert "Oat drink" in page
    assert "Peanut butter, smooth" in page
    assert "Harbour cracker" not in page
    assert "1 tsp = 5 g" in page
    assert "22.21 g" in page
    assert "Add a clinic food" not in page  # nurses read only
    eggs = client.get(_url("food-list"), {"group": "egg"}).content.decode()
    assert "Egg white powder" in eggs
    assert "Peanut butter" not in eggs
    found = client.get(_url("food-list"), {"q": "butter smooth"}).content.decode()
    assert "Peanut butter, smooth" in found
    assert "chunky" not in found


def test_add_a_clinic_food(client, allergist, library):
    client.force_login(allergist)
    response = client.post(_url("food-create"), VALID_FOOD, follow=True)
    food = Food.objects.get(clinic=allergist.clinic)
    assert response.redirect_chain[-1][0] == _url("food-list")
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
    response = client.post(_url("food-create"), {**VALID_FOOD, **changes})
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Food.objects.filter(clinic=allergist.clinic).exists()


def test_food_twice_in_one_clinic_is_refused(client, allergist, library):
    client.force_login(allergist)
    client.post(_url("food-create"), VALID_FOOD)
    response = client.post(_url("food-create"), VALID_FOOD)
    assert response.status_code == HTTPStatus.OK
    assert "This clinic already has a food with this name and form." in response.content.decode()
    assert Food.objects.filter(clinic=allergist.clinic).count() == 1


# --- FPIES and generator options (docs/clinical-sources.md §1.5, §11) ----------------------------------------


@pytest.mark.parametrize(("kind", "minutes"), [("fpies", 240), ("open", 120)])
def test_a_new_protocol_without_an_observation_gets_the_kinds_default(client, allergist, peanut_flour, kind, minutes):
    client.force_login(allergist)
    generator = {"gen-generator": "fpies", "gen-weight_kg": "4"} if kind == "fpies" else {"gen-generator": "practall7"}
    data = _new_data(peanut_flour, kind=kind, observation_minutes="", **generator)
    assert client.post(_url("protocol-create"), data).status_code == HTTPStatus.FOUND
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    assert protocol.observation_minutes == minutes
    assert protocol.fpies_protein_g_per_kg == (Decimal("0.3") if kind == "fpies" else None)


def test_a_short_fpies_observation_is_warned(client, allergist, peanut_butter):
    client.force_login(allergist)
    data = _new_data(
        peanut_butter, kind="fpies", observation_minutes="120", **{"gen-generator": "fpies", "gen-weight_kg": "4"}
    )
    response = client.post(_url("protocol-create"), data, follow=True)
    assert "An FPIES challenge observes at least 4 h after the last dose." in response.content.decode()


@pytest.mark.parametrize(("exact", "second"), [("", Decimal("7")), ("on", Decimal("6.5"))])
def test_the_generator_rounds_unless_asked_to_keep_exact_values(client, allergist, peanut_flour, exact, second):
    client.force_login(allergist)
    # From 3 mg: peanut flour is diluted for the low doses (a powder disperses); 1 mg would be too small to mix.
    params = {"gen-generator": "geometric", "gen-start_mg": "3", "gen-top_mg": "3000", "gen-steps": "10"}
    if exact:
        params["gen-exact"] = exact
    assert client.post(_url("protocol-create"), _new_data(peanut_flour, **params)).status_code == HTTPStatus.FOUND
    assert _proteins(Protocol.objects.get(clinic=allergist.clinic))[1] == second


def test_the_household_ladder_can_start_with_a_lip_smear(client, allergist, peanut_butter):
    client.force_login(allergist)
    params = {"gen-generator": "household", "gen-interval_minutes": "20", "gen-lip_smear": "on"}
    data = _new_data(peanut_butter, kind="ladder", dose_basis="food", **params)
    assert client.post(_url("protocol-create"), data).status_code == HTTPStatus.FOUND
    first = Protocol.objects.get(clinic=allergist.clinic).steps.first()
    assert (first.role, first.protein_mg, first.food_amount, first.interval_minutes) == ("lip_smear", None, None, 20)

"""The protocol list (filters, query count) and a protocol's page (its plan, warnings, premedication, versions)."""

from __future__ import annotations

from http import HTTPStatus

from challenges.library.services.protocols import protocol_clone
from challenges.models import Food, Protocol
from tests.challenges.factories_library import challenge_using, edit_data, library_url

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
    client.post(library_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, name="Clinic peanut v2"))
    client.force_login(nurse)
    page = client.get(library_url("protocol-list")).content.decode()
    assert "PRACTALL 7-step peanut OFC" in page
    assert "Hard-boiled egg OFC" in page
    assert "Clinic peanut v2" in page
    assert "PRACTALL 7-step peanut OFC (copy)" not in page  # version 1 is no longer current
    assert "Harbour secret ladder" not in page
    every = client.get(library_url("protocol-list"), {"all_versions": "on"}).content.decode()
    assert "PRACTALL 7-step peanut OFC (copy)" in every
    assert "earlier version" in every


def test_list_filters_by_food_and_kind(client, nurse, library):
    client.force_login(nurse)
    egg = Food.objects.get(clinic=None, name="Egg", form="whole, hard-boiled")
    by_food = client.get(library_url("protocol-list"), {"food": egg.pk}).content.decode()
    assert "Hard-boiled egg OFC" in by_food
    assert "FPIES oral food challenge (egg, dosed per kg)" in by_food
    assert "PRACTALL 7-step peanut OFC" not in by_food
    by_kind = client.get(library_url("protocol-list"), {"kind": "fpies"}).content.decode()
    assert "FPIES oral food challenge (egg, dosed per kg)" in by_kind
    assert "Hard-boiled egg OFC" not in by_kind


def test_list_query_count_does_not_grow_with_protocols(client, nurse, library, django_assert_num_queries):
    client.force_login(nurse)
    # session, user, the user's clinic (page header), foods for the filter, protocols with food and step count,
    # and the session saved again (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release)
    with django_assert_num_queries(8):
        response = client.get(library_url("protocol-list"))
    assert response.content.decode().count("/challenges/library/protocols/") >= 6


# --- protocol detail ---------------------------------------------------------------------------------------


def test_practall_detail_shows_the_plan(client, nurse, practall):
    client.force_login(nurse)
    page = client.get(library_url("protocol-detail", practall)).content.decode()
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
    page = client.get(library_url("protocol-detail", mcas)).content.decode()
    assert "Cromolyn sodium (oral)" in page
    assert "30 min before each step" in page
    assert "Weigh 0.1 g (crumb) of Cheesecake, baked, commercial." in page
    assert "No wash-out rules" in page
    assert "48 h" in page  # watch window


def test_detail_lists_warnings_in_yellow(client, allergist, clinic_protocol):
    client.force_login(allergist)
    client.post(
        library_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, **{"steps-1-protein_mg": "100"})
    )
    page = client.get(library_url("protocol-detail", clinic_protocol)).content.decode()
    assert 'data-testid="issues-warning"' in page
    assert "Step 2 (100 mg) is 33.3× step 1 (3 mg); steps above 3.5× are unusual." in page


def test_a_dose_too_small_to_prepare_is_refused(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = client.post(
        library_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, **{"steps-0-protein_mg": "0.001"})
    )
    assert response.status_code == HTTPStatus.OK
    assert "too small to prepare from one dilution" in response.content.decode()
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.steps.get(number=1).protein_mg == 3


def test_version_history_links_every_version(client, allergist, clinic_protocol, patient):
    challenge_using(clinic_protocol, patient=patient, allergist=allergist)
    client.force_login(allergist)
    client.post(library_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, name="Peanut v2"))
    v2 = Protocol.objects.get(lineage=clinic_protocol.lineage, version=2)
    page = client.get(library_url("protocol-detail", v2)).content.decode()
    assert library_url("protocol-detail", clinic_protocol) in page
    assert "Version 2" in page
    old = client.get(library_url("protocol-detail", clinic_protocol)).content.decode()
    assert "This is an earlier version" in old
    assert library_url("protocol-detail", v2) in old
    assert library_url("protocol-edit", clinic_protocol) not in old

"""Editing a protocol (in place while unused, as a new version once used), its step rows, wash-out in days and
regenerated rows; and cloning a standard protocol into the clinic's own."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest

from challenges.library.facts import protocol_steps
from challenges.models import PremedicationItem, Protocol
from tests.challenges.factories_library import challenge_using, edit_data, library_url, step_proteins

# --- edit --------------------------------------------------------------------------------------------------


def test_edit_page_shows_the_current_steps(client, allergist, clinic_protocol):
    client.force_login(allergist)
    page = client.get(library_url("protocol-edit", clinic_protocol)).content.decode()
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
    response = client.post(library_url("protocol-edit", clinic_protocol), data)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == library_url("protocol-detail", clinic_protocol)
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.name == "Clinic peanut"
    assert clinic_protocol.version == 1
    assert clinic_protocol.is_current
    assert step_proteins(clinic_protocol)[-1] == Decimal("2000")
    assert clinic_protocol.steps.get(number=1).interval_minutes == 60
    assert clinic_protocol.follow_up_hours == [2, 24, 72]
    assert clinic_protocol.history.count() == history_before + 1
    assert clinic_protocol.history.first().history_user == allergist
    assert Protocol.objects.filter(lineage=clinic_protocol.lineage).count() == 1
    assert "Protocol saved." in client.get(response["Location"]).content.decode()


def test_edit_of_a_used_protocol_makes_version_2(client, allergist, clinic_protocol, patient):
    challenge = challenge_using(clinic_protocol, patient=patient, allergist=allergist)
    client.force_login(allergist)
    assert 'data-testid="in-use"' in client.get(library_url("protocol-edit", clinic_protocol)).content.decode()
    data = edit_data(clinic_protocol, name="Clinic peanut v2", **{"steps-6-protein_mg": "2000"})
    response = client.post(library_url("protocol-edit", clinic_protocol), data, follow=True)
    v2 = Protocol.objects.get(lineage=clinic_protocol.lineage, version=2)
    assert response.redirect_chain[-1][0] == library_url("protocol-detail", v2)
    assert "Saved as version 2; version 1 stays as it was for the challenges that used it." in response.content.decode()
    assert v2.is_current
    assert v2.name == "Clinic peanut v2"
    assert step_proteins(v2)[-1] == Decimal("2000")
    clinic_protocol.refresh_from_db()
    assert not clinic_protocol.is_current
    assert clinic_protocol.name == "PRACTALL 7-step peanut OFC (copy)"
    assert step_proteins(clinic_protocol)[-1] == Decimal("3000")
    challenge.refresh_from_db()
    assert challenge.protocol_id == clinic_protocol.pk


def test_edit_of_an_earlier_version_is_refused(client, allergist, clinic_protocol, patient):
    challenge_using(clinic_protocol, patient=patient, allergist=allergist)
    client.force_login(allergist)
    client.post(library_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, name="v2"))
    response = client.post(library_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, name="v1 again"))
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
        library_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, name="Changed", **changes)
    )
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode().replace("&#x27;", "'")
    assert page.count(message) >= 1
    assert "Nothing was saved" in page
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.name == "PRACTALL 7-step peanut OFC (copy)"
    assert step_proteins(clinic_protocol)[0] == Decimal("3")


def test_step_error_is_shown_next_to_its_row(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = client.post(
        library_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, **{"steps-3-protein_mg": "-1"})
    )
    page = response.content.decode()
    editor = page[page.index('data-testid="step-editor"') :]
    row_4 = editor[editor.index('name="steps-3-protein_mg"') : editor.index('name="steps-4-protein_mg"')]
    assert "Step 4: the dose must be more than 0 (got -1 mg)." in row_4


@pytest.mark.parametrize("typed", ["５", "١٢", ".5", "1e3", "1,5", "NaN"])
def test_edit_rejects_malformed_doses(client, allergist, clinic_protocol, typed):
    client.force_login(allergist)
    response = client.post(
        library_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, **{"steps-0-protein_mg": typed})
    )
    assert response.status_code == HTTPStatus.OK
    assert "Some entries need correcting; nothing was saved." in response.content.decode()
    assert step_proteins(clinic_protocol)[0] == Decimal("3")


def test_edit_rejects_more_decimals_than_stored(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = client.post(
        library_url("protocol-edit", clinic_protocol), edit_data(clinic_protocol, **{"steps-0-protein_mg": "3.0005"})
    )
    assert "Use at most 3 decimal places." in response.content.decode()
    assert step_proteins(clinic_protocol)[0] == Decimal("3")


def test_edit_warnings_are_shown_after_saving(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"steps-2-protein_mg": "5"})
    page = client.post(library_url("protocol-edit", clinic_protocol), data, follow=True).content.decode()
    assert "Protocol saved." in page
    assert "Step 3 (5 mg) is smaller than step 2 (10 mg); doses should rise." in page
    assert step_proteins(clinic_protocol)[2] == Decimal("5")


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
    response = client.post(library_url("protocol-edit", clinic_protocol), data)
    assert response.status_code == HTTPStatus.FOUND
    assert step_proteins(clinic_protocol) == [Decimal(d) for d in ("10", "30", "100", "300", "1000", "3000")]
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
    assert client.post(library_url("protocol-edit", clinic_protocol), data).status_code == HTTPStatus.FOUND
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
    assert client.post(library_url("protocol-edit", clinic_protocol), data).status_code == HTTPStatus.FOUND
    clinic_protocol.refresh_from_db()
    (rule,) = [r for r in clinic_protocol.washout_rules if r["med_class"] == "h2_blocker"]
    assert rule["hours"] == hours


@pytest.mark.parametrize("days", ["0,5", ".5", "366", "-1", "7 weeks", "1.5 h"])
def test_washout_days_typed_wrongly_are_refused(client, allergist, clinic_protocol, days):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"washout-h2_blocker": days})
    assert client.post(library_url("protocol-edit", clinic_protocol), data).status_code == HTTPStatus.OK


def test_a_washout_under_a_day_is_typed_and_shown_in_hours(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"washout-h2_blocker": "12 h", "washout-nsaid": "3 d"})
    assert client.post(library_url("protocol-edit", clinic_protocol), data).status_code == HTTPStatus.FOUND
    clinic_protocol.refresh_from_db()
    hours = {r["med_class"]: r["hours"] for r in clinic_protocol.washout_rules if "drug" not in r and "route" not in r}
    assert (hours["h2_blocker"], hours["nsaid"]) == (12, 72)
    page = client.get(library_url("protocol-edit", clinic_protocol)).content.decode()
    assert 'name="washout-h2_blocker" value="12 h"' in page
    assert 'name="washout-nsaid" value="3"' in page


def test_regenerate_replaces_the_rows_without_saving(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"regenerate": "", "gen-generator": "practall5", "gen-interval_minutes": "20"})
    del data["save"]
    response = client.post(library_url("protocol-edit", clinic_protocol), data)
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'name="steps-0-protein_mg" value="30"' in page
    assert 'name="steps-0-wait" value="20"' in page
    assert 'name="steps-4-protein_mg" value="3000"' in page
    assert 'name="steps-6-protein_mg" value="3000"' not in page
    assert step_proteins(clinic_protocol)[0] == Decimal("3")  # nothing saved yet


def test_saving_regenerated_rows_ignores_the_blank_rows_after_them(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"steps-TOTAL_FORMS": "7", "steps-INITIAL_FORMS": "5"})
    for index, dose in enumerate(["30", "100", "300", "1000", "3000"]):
        data[f"steps-{index}-protein_mg"] = dose
    for index in (5, 6):  # the blank rows the page renders after the generated ones
        data.update({f"steps-{index}-protein_mg": "", f"steps-{index}-wait": "30", f"steps-{index}-wait_unit": "min"})
    response = client.post(library_url("protocol-edit", clinic_protocol), data)
    assert response.status_code == HTTPStatus.FOUND
    assert step_proteins(clinic_protocol) == [Decimal(d) for d in ("30", "100", "300", "1000", "3000")]


# --- clone -------------------------------------------------------------------------------------------------


def test_clone_of_a_standard_protocol_makes_a_clinic_copy(client, allergist, practall):
    client.force_login(allergist)
    response = client.post(library_url("protocol-clone", practall))
    copy = Protocol.objects.get(clinic=allergist.clinic)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == library_url("protocol-edit", copy)
    assert copy.lineage != practall.lineage
    assert copy.version == 1
    assert copy.created_by == allergist
    assert copy.name == "PRACTALL 7-step peanut OFC (copy)"
    assert protocol_steps(copy) == protocol_steps(practall)
    assert copy.washout_rules == practall.washout_rules
    assert copy.checklist_items == practall.checklist_items


def test_clone_needs_post(client, allergist, practall):
    client.force_login(allergist)
    assert client.get(library_url("protocol-clone", practall)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()

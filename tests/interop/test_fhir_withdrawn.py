"""What issue 18 still missed in the FHIR export: allergy test results as Observations, the structured discharge
advice on the Procedure, and records entered in error sent again withdrawn (same ids, status entered-in-error),
never silently left out. Every bundle passes the R4 validator (tests/interop/fhir_validate.mjs)."""

from __future__ import annotations

import json
from datetime import timedelta
from http import HTTPStatus

from django.urls import reverse

from challenges.models import Challenge
from challenges.run import services as runs
from clinics.services import clinical_record_mark_entered_in_error
from tests.interop.conftest import check_in, give_doses
from tests.interop.test_fhir import download, resources
from tests.interop.test_fhir_validation import errors, validate
from tests.run.helpers import _refusal as form_refusal

TEST_SYSTEM = "https://stepwise.invalid/fhir/CodeSystem/allergy-test"


def add_result(client, patient, **data) -> None:
    """Through the patient page's "Add a test result" form."""
    response = client.post(reverse("patients:diagnostic-create", args=[patient.pk]), data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]


def is_test(observation: dict) -> bool:
    return any(c["system"] == TEST_SYSTEM for c in observation["code"]["coding"])


def by_id(bundle: dict) -> dict[str, dict]:
    return {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}


def assert_valid(tmp_path, **bundles: dict) -> None:
    code, issues = validate(tmp_path, **bundles)
    assert errors(issues) == [], json.dumps(errors(issues), indent=1)[:4000]
    assert code == 0


def test_patient_bundle_carries_the_allergy_test_results(client, nurse, patient, failed_challenge, tmp_path):
    client.force_login(nurse)
    add_result(client, patient, kind="specific_ige", allergen="Peanut", value="2.1", taken_on="2026-09-14")
    add_result(client, patient, kind="specific_ige", allergen="Egg white", value="0", taken_on="2026-09-14")
    add_result(client, patient, kind="skin_prick", allergen="Peanut extract", value="6", taken_on="2026-09-14")
    add_result(client, patient, kind="component_ige", component="Ara h 2", value="1.25", taken_on="2026-08-01")
    add_result(client, patient, kind="tryptase", value="5.4", taken_on="2026-01-20")
    add_result(client, patient, kind="specific_ige", allergen="Cashew", value="100", taken_on="2026-09-14")

    bundle = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))

    tests = {o["code"]["text"]: o for o in resources(bundle, "Observation") if is_test(o)}
    assert set(tests) == {
        "Specific IgE: Peanut",
        "Specific IgE: Egg white",
        "Skin-prick test wheal: Peanut extract",
        "Component specific IgE: Ara h 2",
        "Baseline serum tryptase",
        "Specific IgE: Cashew",
    }
    tryptase = tests["Baseline serum tryptase"]
    assert [c["code"] for c in tryptase["code"]["coding"]] == ["tryptase", "21582-2"]  # LOINC where certain
    assert tryptase["valueQuantity"] == {"value": 5.4, "unit": "ng/mL", "system": "http://unitsofmeasure.org",
                                         "code": "ng/mL"}  # fmt: skip
    assert tryptase["effectiveDateTime"] == "2026-01-20"
    assert tryptase["category"][0]["coding"][0]["code"] == "laboratory"
    peanut = tests["Specific IgE: Peanut"]
    assert [c["system"] for c in peanut["code"]["coding"]] == [TEST_SYSTEM]  # no LOINC guessed from the allergen
    assert (peanut["valueQuantity"]["value"], peanut["valueQuantity"]["code"]) == (2.1, "k[IU]/L")
    egg = tests["Specific IgE: Egg white"]["valueQuantity"]
    assert (egg["comparator"], egg["value"]) == ("<", 0.1)  # "<0.10" entered as 0 is not a measured 0
    assert "&lt;0.1 kU/L" in tests["Specific IgE: Egg white"]["text"]["div"]  # escaped in the XHTML
    cashew = tests["Specific IgE: Cashew"]
    assert (cashew["valueQuantity"]["comparator"], cashew["valueQuantity"]["value"]) == (">=", 100)  # ">100" as 100
    assert "≥100 kU/L" in cashew["text"]["div"]
    assert "comparator" not in peanut["valueQuantity"]  # a value inside the range is measured
    wheal = tests["Skin-prick test wheal: Peanut extract"]
    assert (wheal["valueQuantity"]["value"], wheal["valueQuantity"]["code"]) == (6, "mm")
    assert wheal["category"][0]["coding"][0]["code"] == "procedure"
    assert "2.1 kU/L" in peanut["text"]["div"]
    assert all(o["status"] == "final" for o in tests.values())
    # The challenge's own bundle carries the results that bear on peanut, as its report does (not the egg one).
    challenge = download(client, nurse, reverse("challenges:challenge-fhir", args=[failed_challenge.pk]))
    mine = {o["code"]["text"] for o in resources(challenge, "Observation") if is_test(o)}
    assert mine == set(tests) - {"Specific IgE: Egg white", "Specific IgE: Cashew"}
    assert_valid(tmp_path, patient=bundle, challenge=challenge)


def test_a_test_result_entered_in_error_is_withdrawn_under_the_same_id(client, nurse, patient, tmp_path):
    client.force_login(nurse)
    add_result(client, patient, kind="specific_ige", allergen="Peanut", value="77", taken_on="2026-09-02")
    before = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))
    [sent] = [o for o in resources(before, "Observation") if o["code"]["text"] == "Specific IgE: Peanut"]
    result = patient.diagnostics.get()
    response = client.post(
        reverse("patients:diagnostic-error", args=[result.pk]), {"reason": "Another patient's result"}
    )
    assert response.status_code == HTTPStatus.FOUND

    after = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))

    withdrawn = by_id(after)[sent["id"]]
    assert withdrawn["status"] == "entered-in-error"
    assert withdrawn["note"][0]["text"] == "Entered in error: Another patient's result"
    assert "Entered in error: Another patient&#x27;s result" in withdrawn["text"]["div"]
    assert_valid(tmp_path, after=after)


def test_the_discharge_advice_goes_in_the_procedure_follow_up(
    client, practall, other_patient, allergist, nurse, clock, tmp_path
):
    challenge = runs.challenge_schedule(
        patient=other_patient, protocol=practall, scheduled_at=clock.now, allergist=allergist, nurse=nurse, by=nurse
    )
    check_in(challenge, nurse, clock.now)
    give_doses(challenge, nurse, clock, 7)
    clock.move(minutes=125)
    runs.observation_finish(challenge=challenge, by=allergist)
    client.force_login(allergist)
    follow_up = (clock.now + timedelta(days=40)).date()
    outcome = {
        "outcome": "passed",
        "reason": "All seven doses tolerated",
        "grade_scale": "wao_2010",
        "grade": "none",
        "advice": "eat_regularly",
        "new_adrenaline_prescription": "no",
        "discharge_notes": "Well at discharge.",
        "discharge_rest_of_day": "on",
        "discharge_keep_eating": "A handful of peanuts 2-3 times a week",
        "discharge_action_plan_given": "on",
        "follow_up_on": follow_up.isoformat(),
    }
    assert client.post(reverse("challenges:outcome", args=[challenge.pk]), outcome).status_code == HTTPStatus.FOUND

    bundle = download(client, nurse, reverse("challenges:challenge-fhir", args=[challenge.pk]))

    [procedure] = resources(bundle, "Procedure")
    advice = [item["text"] for item in procedure["followUp"]]
    assert advice[0] == Challenge.objects.get(pk=challenge.pk).get_advice_display()
    assert advice[1:] == [
        "Rest of today: avoid exercise and do not eat more peanut flour today",
        "Keep eating: A handful of peanuts 2-3 times a week",
        "Written action plan given: yes",
        f"Follow-up or re-challenge: {follow_up.day} {follow_up:%b %Y}",
    ]  # the auto-injector training was not recorded: not sent, never sent as "no"
    assert "Advice: Keep eating: A handful of peanuts 2-3 times a week" in procedure["text"]["div"]
    assert {"text": "Well at discharge."} in procedure["note"]
    assert_valid(tmp_path, passed=bundle)


def test_a_vital_sign_entered_in_error_is_sent_withdrawn(client, nurse, passed_challenge, clock, tmp_path):
    runs.vitals_record(challenge=passed_challenge, by=nurse, values={"taken_at": clock.now, "heart_rate": 190})
    vitals = passed_challenge.vitals.get(heart_rate=190)
    before = download(client, nurse, reverse("challenges:challenge-fhir", args=[passed_challenge.pk]))
    [sent] = [o for o in resources(before, "Observation") if o.get("valueQuantity", {}).get("value") == 190]
    response = client.post(
        reverse("challenges:vitals-error", args=[passed_challenge.pk, vitals.pk]), {"reason": "Probe on the nurse"}
    )
    assert response.status_code == HTTPStatus.FOUND

    after = download(client, nurse, reverse("challenges:challenge-fhir", args=[passed_challenge.pk]))

    withdrawn = by_id(after)[sent["id"]]
    assert withdrawn["status"] == "entered-in-error"
    assert withdrawn["note"][0]["text"] == "Entered in error: Probe on the nurse"
    others = [o for o in resources(after, "Observation") if o["id"] != sent["id"]]
    assert others
    assert {o["status"] for o in others} == {"final"}
    assert_valid(tmp_path, after=after)


def test_a_challenge_entered_in_error_is_withdrawn_not_dropped(
    client, nurse, allergist, patient, failed_challenge, tmp_path
):
    url = reverse("challenges:challenge-fhir", args=[failed_challenge.pk])
    before = download(client, nurse, url)
    patient_before = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))
    client.force_login(allergist)  # the challenge page's "Mark this challenge entered in error"
    response = client.post(
        reverse("challenges:challenge-error", args=[failed_challenge.pk]), {"reason": "Booked on the wrong patient"}
    )
    assert response.status_code == HTTPStatus.FOUND

    after = download(client, nurse, url)
    patient_after = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))

    sent, now = by_id(before), by_id(after)
    for kind in ("Procedure", "Observation", "MedicationAdministration"):
        ids = [r["id"] for r in resources(before, kind)]
        assert ids
        for rid in ids:  # every resource sent before comes again, under its id, void
            assert now[rid]["status"] == "entered-in-error", (kind, rid)
            assert now[rid]["note"][0]["text"] == "Entered in error: Booked on the wrong patient"
            assert now[rid]["text"]["div"].count("Entered in error") == 1
    [allergy] = resources(before, "AllergyIntolerance")
    assert allergy["clinicalStatus"]["coding"][0]["code"] == "active"
    withdrawn = now[allergy["id"]]  # the peanut entry rested on this challenge only
    assert "clinicalStatus" not in withdrawn
    assert withdrawn["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "was entered in error: Booked on the wrong patient" in withdrawn["note"][0]["text"]
    assert not [e for e in after["entry"] if e["request"]["method"] == "DELETE"]
    # The patient bundle withdraws the same resources: nothing it sent before is missing now.
    patient_now = by_id(patient_after)
    assert set(by_id(patient_before)) <= set(patient_now)
    for rid, resource in sent.items():
        if resource["resourceType"] in ("Procedure", "Observation", "MedicationAdministration"):
            assert patient_now[rid]["status"] == "entered-in-error"
    assert patient_now[allergy["id"]]["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert_valid(tmp_path, challenge=after, patient=patient_after)


def test_a_withdrawn_challenge_keeps_its_allergy_entry_while_a_known_trigger_names_it(
    client, nurse, allergist, patient, failed_challenge, tmp_path
):
    before = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))
    [allergy] = resources(before, "AllergyIntolerance")
    client.force_login(nurse)
    trigger = {
        "substance": "Peanut",
        "reaction_type": "ige",
        "worst_reaction_on": "2025-03-01",
        "worst_reaction_severity": "moderate",
        "last_reaction_on": "",
        "last_reaction_severity": "",
        "notes": "",
    }
    assert client.post(reverse("patients:trigger-create", args=[patient.pk]), trigger).status_code == HTTPStatus.FOUND
    clinical_record_mark_entered_in_error(record=failed_challenge, by=allergist, reason="Booked on the wrong patient")

    after = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))

    entry = by_id(after)[allergy["id"]]  # same id: now held by the trigger alone
    assert (entry["clinicalStatus"]["coding"][0]["code"], entry["verificationStatus"]["coding"][0]["code"]) == (
        "active",
        "unconfirmed",
    )
    assert "reaction" not in entry  # the withdrawn challenge's reaction is gone from it
    assert [n["text"] for n in entry["note"]] == [
        "Known trigger: Peanut (IgE-mediated); worst reaction moderate on 1 Mar 2025."
    ]
    assert_valid(tmp_path, after=after)


def test_an_unfinished_challenge_entered_in_error_still_has_no_export(client, nurse, allergist, challenge):
    clinical_record_mark_entered_in_error(record=challenge, by=allergist, reason="Booked twice")
    client.force_login(nurse)
    response = client.get(reverse("challenges:challenge-fhir", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_only_an_allergist_marks_a_challenge_entered_in_error_and_never_one_under_way(
    client, nurse, allergist, challenge, failed_challenge
):
    url = reverse("challenges:challenge-error", args=[failed_challenge.pk])
    client.force_login(nurse)
    page = client.get(reverse("challenges:detail", args=[failed_challenge.pk])).content.decode()
    assert 'data-testid="mark-in-error"' not in page
    refused = client.post(url, {"reason": "Wrong patient"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Only an allergist can do this." in refused.content.decode()
    failed_challenge.refresh_from_db()
    assert not failed_challenge.entered_in_error

    client.force_login(allergist)
    client.post(url, {"reason": "   "})  # a reason is required
    failed_challenge.refresh_from_db()
    assert not failed_challenge.entered_in_error

    other = Challenge.objects.create(
        clinic=challenge.clinic,
        patient=challenge.patient,
        protocol=challenge.protocol,
        scheduled_at=challenge.scheduled_at,
        allergist=allergist,
        status="dosing",
    )
    page = client.get(reverse("challenges:detail", args=[other.pk])).content.decode()
    assert 'data-testid="mark-in-error"' not in page  # under way: stop or cancel it first
    refused = client.post(reverse("challenges:challenge-error", args=[other.pk]), {"reason": "Wrong patient"})
    assert "This challenge is under way: stop or cancel it first" in refused.content.decode()
    other.refresh_from_db()
    assert not other.entered_in_error

    page = client.get(reverse("challenges:detail", args=[failed_challenge.pk])).content.decode()
    assert 'data-testid="mark-in-error"' in page
    client.post(url, {"reason": "Duplicate booking"})
    failed_challenge.refresh_from_db()
    assert failed_challenge.entered_in_error
    assert failed_challenge.entered_in_error_by == allergist
    page = client.get(reverse("challenges:detail", args=[failed_challenge.pk])).content.decode()
    assert "This challenge was entered in error</strong>: Duplicate booking" in page
    assert 'data-testid="mark-in-error"' not in page


def test_a_dose_figure_that_no_valid_dose_gives_is_withdrawn_under_its_id(client, nurse, passed_challenge, tmp_path):
    url = reverse("challenges:challenge-fhir", args=[passed_challenge.pk])
    before = download(client, nurse, url)
    figures = {o["code"]["coding"][0]["code"]: o for o in resources(before, "Observation") if "partOf" in o}
    tolerated = figures["highest-tolerated-dose"]
    assert tolerated["status"] == "final"
    for dose in passed_challenge.doses.all():  # charted on the wrong challenge, every one
        response = client.post(
            reverse("challenges:dose-error", args=[passed_challenge.pk, dose.pk]), {"reason": "Wrong chart"}
        )
        assert response.status_code == HTTPStatus.FOUND, form_refusal(response)

    after = download(client, nurse, url)

    withdrawn = by_id(after)[tolerated["id"]]
    assert withdrawn["status"] == "entered-in-error"
    assert "valueQuantity" not in withdrawn
    assert withdrawn["note"][0]["text"].startswith("Entered in error: dose 1 (Wrong chart); dose 2 (Wrong chart)")
    assert_valid(tmp_path, after=after)


def test_a_patient_entered_in_error_goes_inactive_and_updates_the_matching_record(
    client, nurse, allergist, patient, failed_challenge, tmp_path
):
    before = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))
    [sent] = resources(before, "Patient")
    assert "active" not in sent
    [entry] = [e for e in before["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert entry["request"]["method"] == "POST"
    assert "ifNoneExist" in entry["request"]

    client.force_login(allergist)
    response = client.post(reverse("patients:patient-error", args=[patient.pk]), {"reason": "Duplicate registration"})
    assert response.status_code == HTTPStatus.FOUND
    after = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))
    [void] = resources(after, "Patient")
    assert void["id"] == sent["id"]
    assert void["identifier"] == sent["identifier"]
    assert void["active"] is False  # Patient.active is the modifier that says the record is not valid
    assert "Entered in error: Duplicate registration" in void["text"]["div"]
    [entry] = [e for e in after["entry"] if e["resource"]["resourceType"] == "Patient"]
    mrn = sent["identifier"][0]
    assert entry["request"]["method"] == "PUT"  # updates the receiver's record found by the MRN
    assert entry["request"]["url"].startswith("Patient?identifier=")
    assert entry["request"]["url"].endswith(mrn["value"])
    # The challenge's own bundle carries the same Patient.
    challenge = download(client, nurse, reverse("challenges:challenge-fhir", args=[failed_challenge.pk]))
    assert [p["active"] for p in resources(challenge, "Patient")] == [False]
    assert_valid(tmp_path, patient=after, challenge=challenge)

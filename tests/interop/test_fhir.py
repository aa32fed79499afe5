"""FHIR R4 bundles through the real URLs: the clinical content read back (test_fhir_validation.py runs the R4
validator on them)."""

from __future__ import annotations

import json
from collections import Counter
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.exports.fhir.allergies import reaction_severity
from challenges.exports.fhir.bundle import challenge_bundle
from challenges.exports.fhir.codes import FIGURE_SYSTEM, LOINC, SNOMED, UCUM
from challenges.models import Challenge, Status
from challenges.run import selectors
from challenges.run.services import challenge_schedule
from tests.helpers import START
from tests.interop.conftest import move_to, run_passed


def download(client, user, url: str) -> dict:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    assert response["Cache-Control"] == "no-store"
    return json.loads(response.content)


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e.get("resource", {}).get("resourceType") == kind]


def resolve(bundle: dict, reference: dict) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e.get("fullUrl") == reference["reference"])


def figures(bundle: dict) -> dict[str, dict]:
    return {
        o["code"]["coding"][0]["code"]: o["valueQuantity"]
        for o in resources(bundle, "Observation")
        if o["code"]["coding"][0]["system"] == FIGURE_SYSTEM
    }


def loinc_values(bundle: dict, code: str) -> list:
    return [
        o["valueQuantity"]["value"]
        for o in resources(bundle, "Observation")
        if o["code"]["coding"][0] == {"system": LOINC, "code": code, "display": o["code"]["coding"][0]["display"]}
    ]


def test_failed_challenge_bundle_carries_the_dose_figures(client, nurse, failed_challenge):
    bundle = download(client, nurse, reverse("challenges:challenge-fhir", args=[failed_challenge.pk]))
    assert bundle["type"] == "transaction"
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    # 13 observations: 4 dose figures; baseline BP, heart rate, resp rate, SpO2, PEF; during BP, HR, SpO2, PEF.
    assert kinds == {
        "Organization": 1,
        "Practitioner": 2,  # the allergist and the nurse
        "Patient": 1,
        "Procedure": 1,
        "AllergyIntolerance": 1,
        "Observation": 13,
        "MedicationAdministration": 2,
    }
    values = figures(bundle)
    assert values["eliciting-dose"] == {"value": 300, "unit": "mg", "system": UCUM, "code": "mg"}
    # Steps 1-4 were mixes of peanut flour: the figures count what the mixes delivered (docs/clinical-sources.md
    # §12), 2.871 + 9.918 + 29.232 + 100.224 = 142.245 mg, then 300 mg weighed.
    assert values["cumulative-dose-at-reaction"]["value"] == 442.245
    assert values["highest-tolerated-dose"]["value"] == 100.224  # 4.8 mL of 1 g in 25 mL (20.88 mg/mL)
    assert values["cumulative-tolerated-dose"]["value"] == 142.245
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])
    assert len({e["fullUrl"] for e in bundle["entry"]}) == len(bundle["entry"])


def test_failed_challenge_is_a_confirmed_allergy_with_coded_reaction(client, nurse, failed_challenge):
    bundle = download(client, nurse, reverse("challenges:challenge-fhir", args=[failed_challenge.pk]))
    (allergy,) = resources(bundle, "AllergyIntolerance")
    assert allergy["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert allergy["clinicalStatus"]["coding"][0]["code"] == "active"
    # the substance coded (SNOMED CT 762952008 Peanut), the food eaten kept as text (interop review defect 6)
    assert allergy["code"] == {
        "coding": [{"system": SNOMED, "code": "762952008", "display": "Peanut"}],
        "text": "Peanut flour (defatted)",
    }
    assert allergy["type"] == "allergy"
    assert allergy["criticality"] == "high"  # adrenaline was given
    assert allergy["onsetDateTime"] == "2026-11-26T11:12:00+00:00"
    (reaction,) = allergy["reaction"]
    codes = {m["coding"][0]["code"] for m in reaction["manifestation"]}
    assert codes == {"126485001", "56018004"}  # urticaria, wheezing
    assert all(m["coding"][0]["system"] == SNOMED for m in reaction["manifestation"])
    assert reaction["severity"] == "moderate"  # WAO 2b
    assert reaction["onset"] == "2026-11-26T11:12:00+00:00"  # the first hives, 12 min after dose 5
    assert reaction["exposureRoute"]["coding"][0]["code"] == "26643006"
    assert "6 hives on neck and chest" in reaction["description"]
    assert resolve(bundle, allergy["patient"])["resourceType"] == "Patient"


def test_procedure_patient_vitals_and_treatments(client, nurse, failed_challenge, patient):
    bundle = download(client, nurse, reverse("challenges:challenge-fhir", args=[failed_challenge.pk]))
    (procedure,) = resources(bundle, "Procedure")
    assert procedure["status"] == "stopped"
    assert procedure["performedPeriod"] == {"start": "2026-11-26T09:00:00+00:00", "end": "2026-11-26T11:00:00+00:00"}
    assert procedure["outcome"]["text"] == "Failed (not tolerated): Objective urticaria and wheeze at step 5"
    assert procedure["identifier"] == [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{procedure['id']}"}]
    assert procedure["code"]["coding"] == [{"system": SNOMED, "code": "252521006", "display": "Oral provocation test"}]
    (person,) = resources(bundle, "Patient")
    assert person["identifier"][0]["system"] == patient.clinic.mrn_system
    assert person["identifier"][0]["value"] == "A-0001"
    assert person["name"][0]["family"] == "Ångström-Nguyễn"
    assert person["name"][0]["given"] == ["Zoë"]
    assert person["birthDate"] == patient.date_of_birth.isoformat()
    assert person["gender"] == "female"
    assert loinc_values(bundle, "8867-4") == [72, 112]  # heart rate: baseline, during the reaction
    assert loinc_values(bundle, "2708-6") == [98, 94]  # SpO2, as the R4 oxygensat profile codes it
    assert loinc_values(bundle, "19935-6") == [520, 360]  # PEF
    pressures = [o for o in resources(bundle, "Observation") if o["code"]["coding"][0]["code"] == "85354-9"]
    assert [[c["valueQuantity"]["value"] for c in o["component"]] for o in pressures] == [[124, 78], [108, 70]]
    medications = {m["medicationCodeableConcept"]["text"]: m for m in resources(bundle, "MedicationAdministration")}
    adrenaline = medications["Adrenaline 1 mg/mL"]
    assert adrenaline["effectiveDateTime"] == "2026-11-26T11:18:00+00:00"
    assert adrenaline["dosage"]["text"] == "0.5 mg"
    # R4 invariant mad-1: a structured dose (UCUM), not the text alone (interop review defect 2)
    assert adrenaline["dosage"]["dose"] == {
        "value": 0.5,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert all("dose" in m["dosage"] for m in medications.values())
    assert adrenaline["dosage"]["route"]["coding"][0]["code"] == "78421000"  # intramuscular
    assert resolve(bundle, adrenaline["partOf"][0]) is procedure


def test_passed_challenge_refutes_the_allergy(client, nurse, passed_challenge):
    bundle = download(client, nurse, reverse("challenges:challenge-fhir", args=[passed_challenge.pk]))
    (allergy,) = resources(bundle, "AllergyIntolerance")
    assert allergy["verificationStatus"]["coding"][0]["code"] == "refuted"
    assert allergy["clinicalStatus"]["coding"][0]["code"] == "inactive"  # never "resolved" with "refuted"
    assert "criticality" not in allergy
    assert "reaction" not in allergy
    values = figures(bundle)
    assert "eliciting-dose" not in values
    assert values["highest-tolerated-dose"]["value"] == 3000
    assert values["cumulative-tolerated-dose"]["value"] == 4442.245  # with what the four mixes delivered
    assert resources(bundle, "Procedure")[0]["status"] == "completed"


def test_home_plan_premedication_exported_as_administrations(client, allergist, finished_home_plan):
    bundle = download(client, allergist, reverse("challenges:challenge-fhir", args=[finished_home_plan.pk]))
    given = resources(bundle, "MedicationAdministration")
    assert len(given) == 10  # one before each of the ten steps
    assert {m["medicationCodeableConcept"]["text"] for m in given} == {"Cromolyn sodium (oral)"}
    assert all(m["reasonCode"][0]["text"].startswith("Premedication") for m in given)
    assert all(m["dosage"]["route"]["coding"][0]["code"] == "26643006" for m in given)
    assert given[0]["effectiveDateTime"] == "2026-11-26T09:00:00+00:00"


def test_patient_bundle_holds_every_completed_challenge_once(
    client, nurse, allergist, patient, practall, failed_challenge, clock
):
    move_to(clock, START.replace(day=27))
    passed = run_passed(patient, practall, allergist, nurse, clock)
    pending = challenge_schedule(
        patient=patient, protocol=practall, scheduled_at=clock.now, allergist=allergist, nurse=nurse, by=nurse
    )
    assert pending.status == Status.PLANNED
    bundle = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))
    (person,) = resources(bundle, "Patient")
    procedures = resources(bundle, "Procedure")
    outcomes = sorted(p["outcome"]["text"].split(":")[0] for p in procedures)
    assert outcomes == sorted([failed_challenge.get_outcome_display(), passed.get_outcome_display()])
    # One entry for the food: failed, then passed a day later: an allergy outgrown (interop review defects 7, 17)
    (allergy,) = resources(bundle, "AllergyIntolerance")
    assert allergy["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert allergy["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert [n["text"].split(":")[1].strip() for n in allergy["note"]] == [
        "Failed (not tolerated).",
        "Passed (tolerated).",
    ]
    everyone = [resolve(bundle, r["subject"]) for r in procedures + resources(bundle, "Observation")]
    assert all(subject is person for subject in everyone)


def test_unfinished_challenge_has_no_export(client, nurse, challenge):
    client.force_login(nurse)
    assert client.get(reverse("challenges:challenge-fhir", args=[challenge.pk])).status_code == HTTPStatus.NOT_FOUND


def test_builder_refuses_a_challenge_without_a_confirmed_outcome(challenge):
    state = selectors.run_state(selectors.with_run_data(Challenge.objects.filter(pk=challenge.pk)).get())
    with pytest.raises(ValueError, match="no confirmed outcome"):
        challenge_bundle(state, now=START)


def test_outsiders_get_404(client, failed_challenge, patient, patient_user, other_clinic_nurse):
    urls = [
        reverse("challenges:challenge-fhir", args=[failed_challenge.pk]),
        reverse("challenges:patient-fhir", args=[patient.pk]),
    ]
    for user in (other_clinic_nurse, patient_user):  # FHIR exports are for clinic staff, even of one's own record
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == HTTPStatus.NOT_FOUND, (user, url)
            assert b"Ngu" not in response.content


def test_anonymous_is_sent_to_login(client, failed_challenge):
    url = reverse("challenges:challenge-fhir", args=[failed_challenge.pk])
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))


def test_post_not_allowed(client, nurse, failed_challenge):
    client.force_login(nurse)
    response = client.post(reverse("challenges:challenge-fhir", args=[failed_challenge.pk]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize(
    ("scale", "grade", "severity"),
    [
        ("wao_2010", "1a", "mild"),
        ("wao_2010", "2b", "moderate"),
        ("wao_2010", "3z", "severe"),
        ("wao_2010", "5", "severe"),
        ("wao_2010", "none", None),
        ("sampson_2003", "2", "mild"),
        ("sampson_2003", "3", "moderate"),
        ("sampson_2003", "4", "severe"),
        ("sampson_2003", "0", None),
        ("brown_2004", "Severe", "severe"),
        ("brown_2004", "none", None),
        ("", "2", None),
        ("wao_2010", "", None),
    ],
)
def test_reaction_severity_from_the_confirmed_grade(scale, grade, severity):
    assert reaction_severity(scale, grade) == severity


def test_a_second_export_updates_the_same_resources(client, nurse, failed_challenge, patient):
    url = reverse("challenges:challenge-fhir", args=[failed_challenge.pk])
    first, second = download(client, nurse, url), download(client, nurse, url)
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    assert first["identifier"] != second["identifier"]  # each download is a transaction of its own
    for entry in first["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        assert resource["text"]["status"] == "generated"
        assert resource["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
        assert resource["identifier"]  # a business identifier on every resource (interop review defect 9)
    (procedure,) = resources(first, "Procedure")
    requests = {e["resource"]["resourceType"]: e["request"] for e in first["entry"]}
    assert requests["Procedure"] == {"method": "PUT", "url": f"Procedure/{procedure['id']}"}
    # The patient is matched by MRN in the clinic's MRN system, never overwritten (interop review defect 10).
    mrn = f"identifier={patient.clinic.mrn_system}|A-0001"
    assert requests["Patient"] == {"method": "POST", "url": "Patient", "ifNoneExist": mrn}
    assert requests["Organization"]["method"] == "POST"
    (organization,) = resources(first, "Organization")
    assert organization["name"] == patient.clinic.name
    assert resolve(first, resources(first, "Patient")[0]["managingOrganization"]) is organization
    practitioners = {resolve(first, p["actor"])["name"][0]["text"] for p in procedure["performer"]}
    assert practitioners == {failed_challenge.allergist.display_name, failed_challenge.nurse.display_name}
    # The patient bundle carries the same resources under the same ids.
    person = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))
    assert {e["fullUrl"] for e in first["entry"]} <= {e["fullUrl"] for e in person["entry"]}


def test_ids_differ_between_clinics_for_the_same_primary_key(failed_challenge, other_clinic):
    state = selectors.run_state(selectors.with_run_data(Challenge.objects.filter(pk=failed_challenge.pk)).get())
    mine = {e["fullUrl"] for e in challenge_bundle(state, now=START)["entry"]}
    state.challenge.patient.clinic.fhir_namespace = other_clinic.fhir_namespace  # as if another clinic exported it
    theirs = {e["fullUrl"] for e in challenge_bundle(state, now=START)["entry"]}
    assert not mine & theirs


def test_a_passed_heated_form_does_not_rule_the_allergy_out(client, nurse, passed_challenge):
    """Passing hard-boiled egg says nothing of raw egg (docs/clinical-sources.md §1.7): the egg allergy stays active
    and unconfirmed, never refuted, and the entry says which form was tolerated."""
    food = passed_challenge.protocol.food
    food.allergen_group, food.processing = "egg", "boiled"  # the same challenge, as if its food were boiled egg
    food.save()
    bundle = download(client, nurse, reverse("challenges:challenge-fhir", args=[passed_challenge.pk]))
    (allergy,) = resources(bundle, "AllergyIntolerance")
    assert allergy["clinicalStatus"]["coding"][0]["code"] == "active"
    assert allergy["verificationStatus"]["coding"][0]["code"] == "unconfirmed"
    assert "Tolerated: hard-boiled egg" in allergy["note"][0]["text"]
    assert "recordedDate" not in allergy  # no result decided the status

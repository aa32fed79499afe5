"""Patient pages through real URLs, for every member of the cast."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Medication, Patient, Trigger
from tests.factories import MedicationFactory, PatientFactory, TriggerFactory

VALID_PATIENT = {
    "mrn": "NEW-1",
    "given_name": "Zoë",
    "family_name": "Ångström-Nguyễn",
    "date_of_birth": "1991-04-17",
    "sex": "female",
    "weight_kg": "61.5",
    "weight_measured_on": "2026-10-02",
    "conditions": ["mcas", "asthma"],
    "other_conditions": "",
    "autoinjector_dose": "0.3",
    "emergency_contact_name": "Linh",
    "emergency_contact_phone": "+44 7700 900123",
    "emergency_plan_notes": "",
    "notes": "",
}


# --- anonymous -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("patients:list", []),
        ("patients:create", []),
        ("patients:detail", ["pk"]),
        ("patients:edit", ["pk"]),
        ("patients:history", ["pk"]),
        ("patients:trigger-create", ["pk"]),
        ("patients:medication-create", ["pk"]),
        ("patients:patient-error", ["pk"]),
        ("home", []),
    ],
)
def test_anonymous_is_sent_to_login(client, patient, name, args):
    url = reverse(name, args=[patient.pk if a == "pk" else a for a in args])
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))


# --- list and search -------------------------------------------------------------------------------------


def test_list_shows_only_own_clinic_and_hides_entered_in_error(client, nurse, patient, other_clinic_patient):
    hidden = PatientFactory(clinic=patient.clinic, family_name="Hiddenerror", entered_in_error=True)
    client.force_login(nurse)
    response = client.get(reverse("patients:list"))
    assert response.status_code == HTTPStatus.OK
    assert "Ångström-Nguyễn" in response.content.decode()
    assert other_clinic_patient.family_name not in response.content.decode()
    assert hidden.family_name not in response.content.decode()


def test_search_by_name_and_mrn(client, nurse, patient, other_patient):
    client.force_login(nurse)
    by_name = client.get(reverse("patients:list"), {"q": "ångström"}).content.decode()
    assert patient.family_name in by_name
    assert other_patient.family_name not in by_name
    without_accents = client.get(reverse("patients:list"), {"q": "ANGSTROM nguyen"}).content.decode()
    assert patient.family_name in without_accents
    assert other_patient.family_name not in without_accents
    by_mrn = client.get(reverse("patients:list"), {"q": "b-0002"}).content.decode()
    assert other_patient.family_name in by_mrn
    assert patient.family_name not in by_mrn


def test_list_is_paginated(client, nurse, clinic):
    for n in range(30):
        PatientFactory(clinic=clinic, family_name=f"Paged{n:02d}")
    client.force_login(nurse)
    first = client.get(reverse("patients:list")).content.decode()
    second = client.get(reverse("patients:list"), {"page": 2}).content.decode()
    assert "Page 1 of 2" in first
    assert first.count("Paged") == 25
    assert second.count("Paged") == 5


def test_patient_role_cannot_list(client, patient_user):
    client.force_login(patient_user)
    assert client.get(reverse("patients:list")).status_code == HTTPStatus.NOT_FOUND


# --- detail ----------------------------------------------------------------------------------------------


def test_detail_shows_summary_triggers_and_medications(client, allergist, patient):
    TriggerFactory(patient=patient, substance="Dairy")
    MedicationFactory(patient=patient, name="Famotidine", dose="20 mg", med_class="h2_blocker")
    client.force_login(allergist)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    page = response.content.decode()
    assert "Zoë Ångström-Nguyễn" in page
    assert "Dairy" in page
    assert "Famotidine" in page
    assert "H2 blocker" in page
    assert "60 kg" in page  # formatted without trailing zeros
    assert response["Cache-Control"] == "no-store"


def test_other_clinic_staff_get_404(client, other_clinic_nurse, patient):
    client.force_login(other_clinic_nurse)
    for name in ("patients:detail", "patients:edit", "patients:history", "patients:trigger-create"):
        assert client.get(reverse(name, args=[patient.pk])).status_code == HTTPStatus.NOT_FOUND


def test_patient_sees_own_record_only(client, patient_user, patient, other_patient):
    client.force_login(patient_user)
    own = client.get(reverse("patients:detail", args=[patient.pk]))
    assert own.status_code == HTTPStatus.OK
    assert f'href="{reverse("patients:edit", args=[patient.pk])}"' not in own.content.decode()
    assert client.get(reverse("patients:detail", args=[other_patient.pk])).status_code == HTTPStatus.NOT_FOUND


def test_staff_see_the_edit_link_the_patient_does_not(client, nurse, patient):
    """The positive control for the test above: the same page links to the edit page for staff."""
    client.force_login(nurse)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert f'href="{reverse("patients:edit", args=[patient.pk])}"' in page


def test_patient_cannot_reach_staff_pages_of_own_record(client, patient_user, patient):
    client.force_login(patient_user)
    for name in ("patients:edit", "patients:history", "patients:trigger-create", "patients:patient-error"):
        assert client.get(reverse(name, args=[patient.pk])).status_code == HTTPStatus.NOT_FOUND
    assert client.post(reverse("patients:edit", args=[patient.pk]), VALID_PATIENT).status_code == HTTPStatus.NOT_FOUND
    patient.refresh_from_db()
    assert patient.mrn == "A-0001"


def test_home_sends_patient_to_own_record(client, patient_user, patient):
    client.force_login(patient_user)
    response = client.get(reverse("home"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])


# --- create and edit -------------------------------------------------------------------------------------


def test_nurse_creates_patient(client, nurse):
    client.force_login(nurse)
    response = client.post(reverse("patients:create"), VALID_PATIENT)
    patient = Patient.objects.get(mrn="NEW-1")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert patient.clinic == nurse.clinic
    assert patient.family_name == "Ångström-Nguyễn"
    assert patient.weight_kg == Decimal("61.5")
    assert patient.conditions == ["mcas", "asthma"]
    assert patient.history.count() == 1
    assert patient.history.first().history_user == nurse


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", (timezone.localdate() + timedelta(days=2)).isoformat(), "cannot be in the future"),
        ("date_of_birth", "2026-02-30", "Enter a valid date"),
        ("date_of_birth", "1850-01-01", "on or after 1 Jan 1900"),
        ("weight_kg", "0", "Must be between 0.5 kg and 350 kg"),
        ("weight_kg", "-3", "Must be between 0.5 kg and 350 kg"),
        ("weight_kg", "6150", "Must be between 0.5 kg and 350 kg"),
        ("weight_kg", "abc", "number"),
        ("weight_kg", "５", "0-9"),
        ("weight_kg", ".5", "0.5"),
        ("weight_kg", "NaN", ""),
        ("given_name", "", "This field is required"),
    ],
)
def test_invalid_patient_input_shows_the_form_again(client, nurse, field, value, message):
    client.force_login(nurse)
    response = client.post(reverse("patients:create"), {**VALID_PATIENT, field: value})
    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not Patient.objects.filter(mrn="NEW-1").exists()


def test_duplicate_mrn_in_same_clinic_is_refused(client, nurse, patient):
    client.force_login(nurse)
    response = client.post(reverse("patients:create"), {**VALID_PATIENT, "mrn": patient.mrn.lower()})
    assert response.status_code == HTTPStatus.OK
    assert "already exists in this clinic" in " ".join(response.context["form"].errors["mrn"])
    assert Patient.objects.filter(clinic=nurse.clinic).count() == 1


def test_same_mrn_in_another_clinic_is_allowed(client, other_clinic_nurse, patient):
    client.force_login(other_clinic_nurse)
    response = client.post(reverse("patients:create"), {**VALID_PATIENT, "mrn": patient.mrn})
    assert response.status_code == HTTPStatus.FOUND
    assert Patient.objects.filter(mrn=patient.mrn).count() == 2


def test_weight_needs_its_date(client, nurse):
    client.force_login(nurse)
    response = client.post(reverse("patients:create"), {**VALID_PATIENT, "weight_measured_on": ""})
    assert "Say when the weight was measured" in " ".join(response.context["form"].errors["weight_measured_on"])


def test_edit_keeps_old_value_in_history(client, allergist, patient):
    client.force_login(allergist)
    data = {**VALID_PATIENT, "mrn": patient.mrn, "weight_kg": "58.25", "seen_version": patient.version}
    response = client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    patient.refresh_from_db()
    assert patient.weight_kg == Decimal("58.25")
    latest, previous = patient.history.order_by("-history_date", "-history_id")[:2]
    assert latest.history_user == allergist
    assert previous.weight_kg == Decimal("60.00")
    history_page = client.get(reverse("patients:history", args=[patient.pk])).content.decode()
    assert "weight_kg" in history_page
    assert "58.25" in history_page


def test_edit_wrong_method(client, nurse, patient):
    client.force_login(nurse)
    assert client.put(reverse("patients:edit", args=[patient.pk])).status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- triggers and medications ----------------------------------------------------------------------------


def test_add_and_edit_trigger(client, nurse, patient):
    client.force_login(nurse)
    data = {
        "substance": "Corn",
        "reaction_type": "mcas",
        "worst_reaction_on": "2025-03-01",
        "worst_reaction_severity": "moderate",
        "last_reaction_on": "",
        "last_reaction_severity": "",
        "notes": "",
    }
    assert client.post(reverse("patients:trigger-create", args=[patient.pk]), data).status_code == HTTPStatus.FOUND
    trigger = Trigger.objects.get(patient=patient)
    assert trigger.substance == "Corn"
    assert trigger.history.first().history_user == nurse
    data["substance"] = "Corn (maize)"
    client.post(reverse("patients:trigger-edit", args=[trigger.pk]), data)
    trigger.refresh_from_db()
    assert trigger.substance == "Corn (maize)"
    assert trigger.history.count() == 2


def test_trigger_future_date_refused(client, nurse, patient):
    client.force_login(nurse)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    data = {"substance": "Corn", "reaction_type": "mcas", "worst_reaction_on": future}
    response = client.post(reverse("patients:trigger-create", args=[patient.pk]), data)
    assert response.status_code == HTTPStatus.OK
    assert "cannot be in the future" in " ".join(response.context["form"].errors["worst_reaction_on"])
    assert not Trigger.objects.exists()


def test_add_medication_and_other_clinic_cannot_edit_it(client, nurse, other_clinic_nurse, patient):
    client.force_login(nurse)
    data = {"name": "Cromolyn", "dose": "200 mg", "schedule": "4× daily", "med_class": "mast_cell_stabiliser"}
    client.post(reverse("patients:medication-create", args=[patient.pk]), data)
    medication = Medication.objects.get(patient=patient)
    assert medication.med_class == "mast_cell_stabiliser"
    client.force_login(other_clinic_nurse)
    response = client.post(reverse("patients:medication-edit", args=[medication.pk]), {**data, "dose": "1 mg"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    medication.refresh_from_db()
    assert medication.dose == "200 mg"


# --- entered in error ------------------------------------------------------------------------------------


def test_mark_medication_entered_in_error_keeps_it(client, nurse, patient):
    medication = MedicationFactory(patient=patient, name="Wrongazole")
    client.force_login(nurse)
    url = reverse("patients:medication-error", args=[medication.pk])
    assert client.post(url, {"reason": "  "}).status_code == HTTPStatus.OK  # reason required
    medication.refresh_from_db()
    assert not medication.entered_in_error
    response = client.post(url, {"reason": "Wrong patient"})
    assert response.status_code == HTTPStatus.FOUND
    medication.refresh_from_db()
    assert medication.entered_in_error
    assert medication.entered_in_error_reason == "Wrong patient"
    assert medication.entered_in_error_by == nurse
    assert Medication.objects.filter(pk=medication.pk).exists()
    assert medication.history.order_by("-history_date").first().history_change_reason == "Wrong patient"
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'class="entered-in-error"' in page


def test_mark_patient_entered_in_error_hides_from_list(client, allergist, patient):
    client.force_login(allergist)
    client.post(reverse("patients:patient-error", args=[patient.pk]), {"reason": "Duplicate registration"})
    patient.refresh_from_db()
    assert patient.entered_in_error
    assert patient.family_name not in client.get(reverse("patients:list")).content.decode()
    # Still reachable and editable no more.
    data = {**VALID_PATIENT, "mrn": patient.mrn, "seen_version": patient.version}
    response = client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert "entered in error" in response.content.decode()


def test_the_clinics_notes_are_shown_to_staff_not_to_the_patient(client, patient_user, patient, nurse):
    """Security review I2: the clinician's notes field was shown on the patient's own record."""
    patient.notes = "Anxious parent; consider a longer first visit"
    patient.save()
    client.force_login(patient_user)
    own = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Anxious parent" not in own
    assert 'data-testid="clinic-notes"' not in own
    client.force_login(nurse)
    assert "Anxious parent" in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()


def test_an_edit_without_the_version_it_was_opened_on_is_refused(client, nurse, patient):
    """Security review L4: optimistic locking is not optional; an edit that omits the version saves nothing."""
    client.force_login(nurse)
    versions = patient.history.count()
    data = {**VALID_PATIENT, "mrn": patient.mrn, "weight_kg": "70"}
    response = client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == HTTPStatus.OK
    assert "missing the version it was opened on" in " ".join(response.context["form"].errors["seen_version"])
    assert patient.history.count() == versions
    patient.refresh_from_db()
    assert patient.weight_kg != Decimal("70")

"""Patients, triggers and medications in the admin: scoped to the clinic, edited only through the app's own forms and
its save service (checks, history, optimistic lock), never added, reverted or changed once entered in error here.
Opening one of their pages is logged as a read of the patient's chart, as in the app."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from clinics.admin.base import ClinicalRecordAdmin, ReadOnlyAdmin
from patients.forms import MedicationForm, PatientForm, TriggerForm
from patients.models import DiagnosticResult, Medication, Patient, Trigger


@admin.register(Patient)
class PatientAdmin(ClinicalRecordAdmin):
    form = PatientForm
    patient_path = "self"
    list_display = ["family_name", "given_name", "mrn", "clinic", "entered_in_error"]
    list_filter = ["clinic", "entered_in_error"]
    search_fields = ["family_name", "given_name", "mrn"]

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {"clinic": obj.clinic if obj is not None else None}


@admin.register(Trigger)
class TriggerAdmin(ClinicalRecordAdmin):
    form = TriggerForm
    clinic_path = "patient__clinic"
    patient_path = "patient"
    list_display = ["substance", "patient", "reaction_type", "entered_in_error"]


@admin.register(Medication)
class MedicationAdmin(ClinicalRecordAdmin):
    form = MedicationForm
    clinic_path = "patient__clinic"
    patient_path = "patient"
    list_display = ["name", "dose", "med_class", "patient", "entered_in_error"]


@admin.register(DiagnosticResult)
class DiagnosticResultAdmin(ReadOnlyAdmin):
    """Allergy test results are added and marked entered in error on the patient's page (its form and service)."""

    clinic_path = "patient__clinic"
    patient_path = "patient"
    list_display = ["patient", "kind", "allergen", "component", "value", "taken_on", "entered_in_error"]

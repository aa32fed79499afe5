from django.contrib import admin

from clinics.admin import ScopedAdmin
from patients.models import Medication, Patient, Trigger


@admin.register(Patient)
class PatientAdmin(ScopedAdmin):
    list_display = ["family_name", "given_name", "mrn", "clinic", "entered_in_error"]
    list_filter = ["clinic", "entered_in_error"]
    search_fields = ["family_name", "given_name", "mrn"]


@admin.register(Trigger)
class TriggerAdmin(ScopedAdmin):
    clinic_path = "patient__clinic"
    list_display = ["substance", "patient", "reaction_type", "entered_in_error"]


@admin.register(Medication)
class MedicationAdmin(ScopedAdmin):
    clinic_path = "patient__clinic"
    list_display = ["name", "dose", "med_class", "patient", "entered_in_error"]

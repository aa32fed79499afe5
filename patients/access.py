"""The one place that decides which patients a user may see."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from clinics.access import require_clinic_staff
from clinics.models import ClinicalQuerySet, User
from patients.models import DiagnosticResult, Medication, Patient, Trigger


def patients_for(user: User) -> ClinicalQuerySet[Patient]:
    """Staff see their clinic's patients; a patient sees only their own record; others see none."""
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    if user.is_clinic_staff and user.clinic_id:
        return Patient.objects.filter(clinic_id=user.clinic_id)
    if user.is_patient:
        return Patient.objects.filter(user=user)
    if user.is_superuser:
        return Patient.objects.all()
    return Patient.objects.none()


def get_patient_for(user: User, pk: int) -> Patient:
    """A patient the user may see, or 404."""
    return get_object_or_404(patients_for(user).select_related("clinic", "user"), pk=pk)


def get_patient_for_staff(user: User, pk: int) -> Patient:
    """A patient of the user's clinic, for staff pages (patients get 404)."""
    require_clinic_staff(user)
    return get_patient_for(user, pk)


def get_trigger_for_staff(user: User, pk: int) -> Trigger:
    require_clinic_staff(user)
    return get_object_or_404(Trigger.objects.select_related("patient"), pk=pk, patient__in=patients_for(user))


def get_medication_for_staff(user: User, pk: int) -> Medication:
    require_clinic_staff(user)
    return get_object_or_404(Medication.objects.select_related("patient"), pk=pk, patient__in=patients_for(user))


def get_diagnostic_for_staff(user: User, pk: int) -> DiagnosticResult:
    require_clinic_staff(user)
    return get_object_or_404(DiagnosticResult.objects.select_related("patient"), pk=pk, patient__in=patients_for(user))


def own_patient_record(user: User) -> Patient:
    """The record linked to a patient login, or 404."""
    if not user.is_patient:
        raise Http404
    return get_object_or_404(Patient.objects.select_related("clinic"), user=user, entered_in_error=False)

"""Patient pages. Thin: load through patients.access, bind a form, call a service, redirect."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import ModelForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinical.trigger_reactions import trigger_reactions
from clinics import page_cache
from clinics.access import require_clinic_staff, staff_clinic
from clinics.forms import EnteredInErrorForm
from clinics.http import AuthenticatedHttpRequest
from clinics.models import ClinicalRecord, ClinicalRecordError, User
from clinics.services import AlreadySubmitted, clinical_record_mark_entered_in_error, clinical_record_save, once
from clinics.signals import ChartAccess, announce_chart_opened
from patients import access
from patients.forms import DiagnosticResultForm, MedicationForm, PatientForm, PatientSearchForm, TriggerForm
from patients.models import DiagnosticResult, Medication, Patient, Trigger
from patients.search import search_patients

PAGE_SIZE = 25
# What a row of the list shows (patients.templatetags.patient_list), read as plain values: a patient's other columns
# (notes, emergency plan, contact) are not read for the 25 rows of a page, and no model instance is built for a row
# (bench/README.md, "patient search"). A row that shows more must add its column here (a row without it fails).
LIST_COLUMNS = ("pk", "family_name", "given_name", "mrn", "date_of_birth", "conditions", "other_conditions")


def patient_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The clinic's patients, or those the search finds, 25 a page: a page number out of range gives the last page,
    one that is not a number the first (Paginator.get_page)."""
    require_clinic_staff(request.user)
    form = PatientSearchForm(request.GET)
    query = form.data.get("q", "").strip() if form.is_valid() else ""
    patients = search_patients(access.patients_for(request.user).current(), query)
    rows = patients.values_list(*LIST_COLUMNS, named=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/patient_list.html", {"form": form, "page": page, "query": query})


def patient_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The patient record, rendered once per record version (clinics.page_cache): the patient's own page version
    and those of their challenges (a challenge's status, outcome or signature shows here)."""
    patient = access.get_patient_for(request.user, pk)
    announce_chart_opened(request, patient=patient, action=ChartAccess.VIEW)
    shown = patient.challenges.for_reader(request.user)
    versions = [(0, patient.page_version), *shown.order_by().values_list("pk", "page_version")]

    def fresh() -> page_cache.Rendered:
        challenges = list(shown.select_related("protocol", "protocol__food"))
        triggers = list(patient.triggers.all())
        for trigger in triggers:
            # R12: the signed failed challenges of the trigger's food, beside it (clinical.trigger_reactions)
            trigger.challenge_reactions = trigger_reactions(trigger, challenges)  # type: ignore[attr-defined]
        context = {
            "patient": patient,
            "triggers": triggers,
            "medications": patient.medications.all(),
            "diagnostics": patient.diagnostics.for_reader(request.user),
            "can_edit": request.user.is_clinic_staff,
            "challenges": challenges,
        }
        html = render_to_string("patients/_record_body.html", context, request)
        return page_cache.Rendered(title=patient.full_name, html=html)

    key = page_cache.page_key("patient", patient.pk, page_cache.versions_digest(versions), request)
    title, body = page_cache.serve(request, key, fresh)
    return render(request, "patients/patient_detail.html", {"page_title": title, "page_body": body})


def patient_history(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    patient = access.get_patient_for_staff(request.user, pk)
    announce_chart_opened(request, patient=patient, action=ChartAccess.HISTORY)
    # Newest first. Each record is compared with the latest one dated before it, as `record.prev_record` would
    # pick, but from this list: prev_record runs a query per row.
    records = list(patient.history.select_related("history_user").order_by("-history_date", "-history_id"))
    changes = []
    for index, record in enumerate(records):
        previous = next((r for r in records[index + 1 :] if r.history_date < record.history_date), None)
        delta = record.diff_against(previous).changes if previous else []
        changes.append({"record": record, "changes": delta})
    return render(request, "patients/patient_history.html", {"patient": patient, "changes": changes})


def _save_form(request: AuthenticatedHttpRequest, form: ModelForm) -> ClinicalRecord | None:
    """Save a valid form through the service; on a model-level error or an edit conflict put it on the form."""
    if not form.is_valid():
        return None
    record = form.save(commit=False)
    seen = form.cleaned_data.get("seen_version")
    key = form.cleaned_data.get("submission_key") if record.pk is None else None  # creating: once per form
    try:
        return once(
            key, request.user, lambda: clinical_record_save(record=record, by=request.user, expected_version=seen)
        )
    except AlreadySubmitted as exc:
        if isinstance(exc.result, ClinicalRecord):
            messages.info(request, exc.message)
            return exc.result
        form.add_error(None, exc.message)
    except ValidationError as exc:
        form.add_error(None, exc)
    except ClinicalRecordError as exc:
        form.add_error(None, exc.message)
    return None


@require_http_methods(["GET", "POST"])
def patient_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_clinic_staff(request.user)
    form = PatientForm(request.POST or None, clinic=staff_clinic(request.user))
    if request.method == "POST" and (patient := _save_form(request, form)):
        messages.success(request, _("Patient created."))
        return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/form_page.html", {"form": form, "title": _("New patient")})


@require_http_methods(["GET", "POST"])
def patient_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    patient = access.get_patient_for_staff(request.user, pk)
    form = PatientForm(request.POST or None, instance=patient, clinic=patient.clinic)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Patient updated."))
        return redirect("patients:detail", pk=patient.pk)
    title = _("Edit %(name)s") % {"name": patient.full_name}
    return render(request, "patients/form_page.html", {"form": form, "title": title, "patient": patient})


@require_http_methods(["GET", "POST"])
def trigger_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    patient = access.get_patient_for_staff(request.user, pk)
    form = TriggerForm(request.POST or None, instance=_new_child(patient, "triggers"))
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Trigger added."))
        return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/form_page.html", {"form": form, "title": _("Add a trigger"), "patient": patient})


@require_http_methods(["GET", "POST"])
def trigger_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trigger = access.get_trigger_for_staff(request.user, pk)
    form = TriggerForm(request.POST or None, instance=trigger)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Trigger updated."))
        return redirect("patients:detail", pk=trigger.patient_id)
    context = {"form": form, "title": _("Edit trigger"), "patient": trigger.patient}
    return render(request, "patients/form_page.html", context)


@require_http_methods(["GET", "POST"])
def medication_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    patient = access.get_patient_for_staff(request.user, pk)
    form = MedicationForm(request.POST or None, instance=_new_child(patient, "medications"))
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Medication added."))
        return redirect("patients:detail", pk=patient.pk)
    context = {"form": form, "title": _("Add a medication"), "patient": patient}
    return render(request, "patients/form_page.html", context)


@require_http_methods(["GET", "POST"])
def medication_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    medication = access.get_medication_for_staff(request.user, pk)
    form = MedicationForm(request.POST or None, instance=medication)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Medication updated."))
        return redirect("patients:detail", pk=medication.patient_id)
    context = {"form": form, "title": _("Edit medication"), "patient": medication.patient}
    return render(request, "patients/form_page.html", context)


@require_http_methods(["GET", "POST"])
def diagnostic_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    patient = access.get_patient_for_staff(request.user, pk)
    form = DiagnosticResultForm(request.POST or None, instance=_new_child(patient, "diagnostics"))
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Test result added."))
        return redirect("patients:detail", pk=patient.pk)
    context = {"form": form, "title": _("Add a test result"), "patient": patient}
    return render(request, "patients/form_page.html", context)


def _new_child(patient: Patient, related_name: str) -> ClinicalRecord:
    return getattr(patient, related_name).model(patient=patient)


_ERROR_TARGETS: dict[str, Callable[[User, int], Patient | Trigger | Medication | DiagnosticResult]] = {
    "patient": access.get_patient_for_staff,
    "trigger": access.get_trigger_for_staff,
    "medication": access.get_medication_for_staff,
    "diagnostic": access.get_diagnostic_for_staff,
}


@require_http_methods(["GET", "POST"])
def mark_entered_in_error(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    record = _ERROR_TARGETS[kind](request.user, pk)
    patient = record if isinstance(record, Patient) else record.patient
    form = EnteredInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            clinical_record_mark_entered_in_error(record=record, by=request.user, reason=form.cleaned_data["reason"])
        except ClinicalRecordError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Marked as entered in error. It stays in the record's history."))
            if record is patient:
                return redirect("patients:list")
            return redirect("patients:detail", pk=patient.pk)
    context = {"form": form, "record": record, "patient": patient}
    return render(request, "patients/entered_in_error.html", context)

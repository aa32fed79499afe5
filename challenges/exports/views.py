"""Downloads: FHIR bundles (staff), a home plan as a calendar (the patient or staff), CSV tables (staff).

Thin: access helper, load, build with challenges.exports, answer an attachment that no cache keeps.
"""

from __future__ import annotations

import json

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_safe

from audit.models import Action
from audit.services import log_access
from challenges import access
from challenges.exports import csv_export, fhir, ics
from challenges.models import Challenge, Dose, Observation, Setting
from challenges.run import selectors
from clinics.access import require_clinic_staff
from clinics.http import AuthenticatedHttpRequest
from clinics.models import User
from patients.access import get_patient_for_staff


def _download(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _exportable(challenges: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """Challenges with a confirmed outcome whose dosing is over (fhir.is_exportable, as a query)."""
    return challenges.filter(entered_in_error=False, status__in=fhir.EXPORTABLE_STATUSES).exclude(outcome="")


def _fhir_json(bundle: dict) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8")


@require_safe
def challenge_fhir(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_clinic_staff(request.user)
    challenge = get_object_or_404(selectors.with_run_data(_exportable(access.challenges_for(request.user))), pk=pk)
    log_access(request, patient=challenge.patient, action=Action.EXPORT_DOWNLOAD, obj=challenge)
    bundle = fhir.challenge_bundle(selectors.run_state(challenge), now=timezone.now())
    return _download(_fhir_json(bundle), content_type="application/fhir+json", filename=f"challenge-{pk}.fhir.json")


@require_safe
def patient_fhir(request: AuthenticatedHttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for_staff(request.user, patient_pk)
    log_access(request, patient=patient, action=Action.EXPORT_DOWNLOAD)
    challenges = _exportable(access.challenges_for(request.user).filter(patient=patient))
    states = [selectors.run_state(c) for c in selectors.with_run_data(challenges).order_by("scheduled_at", "pk")]
    bundle = fhir.patient_bundle(patient, states, now=timezone.now())
    filename = f"patient-{patient.pk}.fhir.json"
    return _download(_fhir_json(bundle), content_type="application/fhir+json", filename=filename)


@require_safe
def plan_ics(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plans = selectors.with_run_data(access.challenges_for(request.user).filter(setting=Setting.HOME))
    challenge = get_object_or_404(plans, pk=pk)
    log_access(request, patient=challenge.patient, action=Action.EXPORT_DOWNLOAD, obj=challenge)
    content = ics.render_ics(
        challenge, ics.plan_events(challenge), now=timezone.now(), sequence=ics.plan_revision(challenge)
    )
    return _download(content, content_type="text/calendar; charset=utf-8", filename=f"home-plan-{pk}.ics")


def _csv_challenges(user: User) -> QuerySet[Challenge]:
    """The clinic's challenges with every dose and finding, oldest first, in a fixed number of queries."""
    require_clinic_staff(user)
    doses = Dose.objects.select_related("given_by", "prepared_by", "checked_by").order_by("sequence")
    findings = Observation.objects.select_related("recorded_by").order_by("observed_at", "pk")
    return (
        access.challenges_for(user)
        .select_related("clinic", "patient", "protocol__food")
        .prefetch_related(
            Prefetch("doses", queryset=doses),
            Prefetch("observations", queryset=findings),
            "food_lots",
            "protocol__steps__food",
        )
        .order_by("scheduled_at", "pk")
    )


def _csv_name(what: str) -> str:
    return f"stepwise-{what}-{timezone.localdate().isoformat()}.csv"


@require_safe
def doses_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    content = csv_export.doses_csv(_csv_challenges(request.user))
    log_access(request, patient=None, action=Action.EXPORT_DOWNLOAD)
    return _download(content, content_type="text/csv; charset=utf-8", filename=_csv_name("doses"))


@require_safe
def observations_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    content = csv_export.observations_csv(_csv_challenges(request.user))
    log_access(request, patient=None, action=Action.EXPORT_DOWNLOAD)
    return _download(content, content_type="text/csv; charset=utf-8", filename=_csv_name("observations"))

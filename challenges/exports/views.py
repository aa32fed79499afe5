"""Downloads: FHIR bundles (staff), a home plan as a calendar (the patient or staff), CSV tables (staff).

Thin: access helper, load, build with challenges.exports, answer an attachment that no cache keeps. The CSV
tables stream from the clinic exports page, for a range of dates.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta, tzinfo

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from audit.models import Action
from audit.services import log_access
from challenges import access
from challenges.exports import csv_export, ics
from challenges.exports.fhir.bundle import EXPORTABLE_STATUSES, challenge_bundle, patient_bundle
from challenges.exports.forms import CalendarLinkForm, ExportRangeForm
from challenges.home import selectors as home_selectors
from challenges.home import services as home_services
from challenges.models import Challenge, Dose, Observation, Setting
from challenges.run import selectors
from clinical.errors import DomainError
from clinics.access import require_clinic_staff
from clinics.http import AuthenticatedHttpRequest
from clinics.models import User
from patients.access import get_patient_for, get_patient_for_staff
from patients.models import Patient

CSV_CHUNK = 200  # challenges read per round of queries while the CSV streams


def _download(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _exportable(challenges: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """Challenges with a confirmed outcome whose dosing is over (fhir.bundle.is_exportable, as a query)."""
    return challenges.filter(entered_in_error=False, status__in=EXPORTABLE_STATUSES).exclude(outcome="")


def _withdrawn(challenges: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """Challenges entered in error that could have been exported (fhir.bundle.is_withdrawn, as a query)."""
    return challenges.filter(entered_in_error=True, status__in=EXPORTABLE_STATUSES).exclude(outcome="")


def _fhir_json(bundle: dict) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8")


def _fhir_states(
    user: User, *, pick: Callable[[QuerySet[Challenge]], QuerySet[Challenge]] = _exportable, **filters: object
) -> list[selectors.RunState]:
    """The exportable (or, with `pick`, withdrawn) challenges matching `filters`, loaded for the FHIR builder,
    oldest first."""
    challenges = pick(access.challenges_for(user).filter(**filters))
    return [selectors.run_state(c) for c in selectors.with_run_data(challenges).order_by("scheduled_at", "pk")]


@require_safe
def challenge_fhir(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A completed challenge; one entered in error downloads as its withdrawal (its resources entered in error)."""
    require_clinic_staff(request.user)
    found = access.challenges_for(request.user).filter(status__in=EXPORTABLE_STATUSES).exclude(outcome="")
    challenge = get_object_or_404(selectors.with_run_data(found), pk=pk)
    log_access(request, patient=challenge.patient, action=Action.EXPORT_DOWNLOAD, obj=challenge)
    # The allergy entry states the latest confirmed result of this food, so the patient's other challenges of it
    # are read too (a challenge export must not put back a status a later challenge changed).
    history = _fhir_states(
        request.user, patient=challenge.patient, protocol__food__allergen_group=challenge.protocol.food.allergen_group
    )
    tests = challenge.patient.diagnostics.order_by("taken_on", "pk")
    bundle = challenge_bundle(selectors.run_state(challenge), history=history, diagnostics=tests, now=timezone.now())
    return _download(_fhir_json(bundle), content_type="application/fhir+json", filename=f"challenge-{pk}.fhir.json")


@require_safe
def patient_fhir(request: AuthenticatedHttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for_staff(request.user, patient_pk)
    log_access(request, patient=patient, action=Action.EXPORT_DOWNLOAD)
    states = _fhir_states(request.user, patient=patient)
    withdrawn = _fhir_states(request.user, pick=_withdrawn, patient=patient)
    triggers = patient.triggers.order_by("substance", "pk")  # those entered in error are withdrawn
    medications = patient.medications.order_by("name", "pk")  # stopped or in error: sent with that status
    tests = patient.diagnostics.order_by("taken_on", "pk")  # in error: sent with that status
    bundle = patient_bundle(
        patient,
        states,
        withdrawn=withdrawn,
        triggers=triggers,
        medications=medications,
        diagnostics=tests,
        now=timezone.now(),
    )
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


def _csv_challenges(user: User, form: ExportRangeForm) -> Iterator[Challenge]:
    """The clinic's challenges scheduled within the form's dates (in the clinic's zone), with every dose and
    finding, oldest first, read CSV_CHUNK challenges at a time (each chunk in a fixed number of queries)."""
    doses = Dose.objects.select_related("given_by", "prepared_by", "checked_by").order_by("sequence")
    findings = Observation.objects.select_related("recorded_by").order_by("observed_at", "pk")
    challenges = access.challenges_for(user)
    zone = user.clinic.tzinfo if user.clinic else timezone.get_current_timezone()
    if form.cleaned_data.get("start"):
        challenges = challenges.filter(scheduled_at__gte=_midnight(form.cleaned_data["start"], zone))
    if form.cleaned_data.get("end"):
        challenges = challenges.filter(scheduled_at__lt=_midnight(form.cleaned_data["end"] + timedelta(days=1), zone))
    return (
        challenges.select_related("clinic", "patient", "protocol__food")
        .prefetch_related(
            Prefetch("doses", queryset=doses),
            Prefetch("observations", queryset=findings),
            "food_lots",
            "protocol__steps__food",
        )
        .order_by("scheduled_at", "pk")
        .iterator(chunk_size=CSV_CHUNK)
    )


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def _csv_name(what: str, form: ExportRangeForm) -> str:
    """ "stepwise-doses-2026-11-29.csv" (the day it was made), or with the range: "...-2026-01-01-to-2026-06-30"."""
    start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    if not start and not end:
        return f"stepwise-{what}-{timezone.localdate().isoformat()}.csv"
    dates = f"{start.isoformat() if start else 'start'}-to-{(end or timezone.localdate()).isoformat()}"
    return f"stepwise-{what}-{dates}.csv"


def _stream(
    request: AuthenticatedHttpRequest, what: str, rows: Callable[[Iterable[Challenge]], Iterator[bytes]]
) -> HttpResponseBase:
    """The CSV streamed row by row, or the exports page with the form's errors."""
    require_clinic_staff(request.user)
    form = ExportRangeForm(request.GET)
    if not form.is_valid():
        return render(request, "challenges/exports.html", {"form": form}, status=400)
    log_access(request, patient=None, action=Action.EXPORT_DOWNLOAD)
    response = StreamingHttpResponse(rows(_csv_challenges(request.user, form)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_csv_name(what, form)}"'
    return response


@require_safe
def exports_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The clinic's exports: the dose and observation tables for a range of dates."""
    require_clinic_staff(request.user)
    return render(request, "challenges/exports.html", {"form": ExportRangeForm()})


@require_safe
def doses_csv(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _stream(request, "doses", csv_export.stream_doses)


@require_safe
def observations_csv(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _stream(request, "observations", csv_export.stream_observations)


# --- the patient's private calendar link ---------------------------------------------------------------------


def _link_page(
    request: AuthenticatedHttpRequest, patient: Patient, *, token: str = "", status: int = 200
) -> HttpResponse:
    link = request.build_absolute_uri(reverse("challenges:calendar-feed", args=[token])) if token else ""
    page = {"patient": patient, "feed": home_selectors.live_calendar_feed(patient), "link": link}
    return render(request, "challenges/calendar_link.html", page, status=status)


@require_http_methods(["GET", "POST"])
def calendar_link(request: AuthenticatedHttpRequest, patient_pk: int) -> HttpResponse:
    """The patient's private calendar link: whether one is live; a new one (shown once) or stop it. For the patient
    and the clinic's staff."""
    patient = get_patient_for(request.user, patient_pk)
    if request.method == "GET":
        return _link_page(request, patient)
    form = CalendarLinkForm(request.POST)
    if not form.is_valid():
        return _link_page(request, patient, status=400)
    try:
        if form.cleaned_data["action"] == "issue":
            token = home_services.calendar_feed_issue(patient=patient, by=request.user)
            return _link_page(request, patient, token=token)  # the secret is shown on this page only, never again
        home_services.calendar_feed_revoke(patient=patient, by=request.user)
    except DomainError as refused:
        raise PermissionDenied(refused.message) from refused
    return redirect("challenges:calendar-link", patient_pk=patient.pk)


@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The calendar a phone subscribes to: no session, the secret in the link is the key (404 once revoked)."""
    patient = home_selectors.calendar_feed_patient(token)
    if patient is None:
        raise Http404
    log_access(request, patient=patient, action=Action.EXPORT_DOWNLOAD)
    plans = list(selectors.with_run_data(home_selectors.feed_plans(patient)))
    content = ics.render_feed(plans, now=timezone.now(), time_zone=patient.clinic.time_zone)
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"  # a patient's plan: no shared cache keeps it (no session sets it here)
    return response

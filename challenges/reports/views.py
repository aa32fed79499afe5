"""PDF downloads. Thin: access helper, snapshot, render, an attachment that no cache keeps."""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit.models import Action
from audit.services import log_access
from challenges import access
from challenges.reports import build_sheets, build_summary, challenge_report_pdf
from challenges.reports.render_sheets import render_home_plan, render_preparation_sheet
from challenges.reports.render_summary import render_patient_summary
from challenges.reports.signed import SignedCopyAltered
from clinics.access import require_clinic_staff
from clinics.http import AuthenticatedHttpRequest
from patients.access import get_patient_for

logger = logging.getLogger(__name__)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = content_disposition_header(as_attachment=True, filename=filename)
    if disposition is None:  # Django returns None only for an inline response without a filename
        raise ValueError("No Content-Disposition header for an attachment")
    response["Content-Disposition"] = disposition
    return response


@login_required
@require_GET
def challenge_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The allergist's report; a signed challenge serves the PDF stored when it was signed, byte for byte."""
    require_clinic_staff(request.user)
    challenge = access.get_challenge_for(request.user, pk)
    log_access(request, patient=challenge.patient, action=Action.PDF_DOWNLOAD, obj=challenge)
    try:
        pdf = challenge_report_pdf(challenge)
    except SignedCopyAltered:
        logger.error("Signed report of challenge %s does not match its recorded SHA-256; not served", challenge.pk)
        message = _(
            "The stored signed report does not match the copy recorded when it was signed, so it is not shown. "
            "Tell your administrator: the audit check (verify_audit) names the record."
        )
        return HttpResponse(message, status=HTTPStatus.CONFLICT, content_type="text/plain; charset=utf-8")
    return _pdf(pdf, f"challenge-report-{challenge.pk}.pdf")


@login_required
@require_GET
def preparation_sheet(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_clinic_staff(request.user)
    challenge = access.get_challenge_for(request.user, pk)
    log_access(request, patient=challenge.patient, action=Action.PDF_DOWNLOAD, obj=challenge)
    sheet = render_preparation_sheet(build_sheets.preparation_sheet(challenge))
    return _pdf(sheet, f"dose-preparation-{challenge.pk}.pdf")


@login_required
@require_GET
def blinded_key(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The placebo key and placebo preparation sheet: only a preparer of blinded doses who is not an observer of
    this challenge (access.prints_blinded_key); before unblinding is when it matters (afterwards everyone sees the
    key on the report anyway)."""
    require_clinic_staff(request.user)
    challenge = access.get_challenge_for(request.user, pk)
    if not challenge.blind_order:
        raise Http404
    if not access.prints_blinded_key(request.user, challenge):
        raise PermissionDenied
    log_access(request, patient=challenge.patient, action=Action.PDF_DOWNLOAD, obj=challenge)
    sheet = render_preparation_sheet(build_sheets.blinded_key_sheet(challenge))
    return _pdf(sheet, f"blinded-key-{challenge.pk}.pdf")


@login_required
@require_GET
def home_plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Staff of the clinic, or the patient whose plan it is; only a home challenge has one."""
    challenge = access.get_challenge_for(request.user, pk)
    if not challenge.is_home:
        raise Http404
    log_access(request, patient=challenge.patient, action=Action.PDF_DOWNLOAD, obj=challenge)
    return _pdf(render_home_plan(build_sheets.home_plan(challenge)), f"home-plan-{challenge.pk}.pdf")


@login_required
@require_GET
def patient_summary(request: AuthenticatedHttpRequest, patient_pk: int) -> HttpResponse:
    """Staff of the patient's clinic, or the patient themself."""
    patient = get_patient_for(request.user, patient_pk)
    log_access(request, patient=patient, action=Action.PDF_DOWNLOAD)
    summary = render_patient_summary(build_summary.patient_summary(patient))
    return _pdf(summary, f"patient-summary-{slugify(patient.mrn) or patient.pk}.pdf")

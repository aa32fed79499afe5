"""Corrections, posted from the bedside page: cancel, entered in error (the challenge or one record), addendum."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from challenges.run import services as runs
from challenges.run.forms.reasons import AddendumForm, ReasonForm
from challenges.run.models import Dose, Observation, Treatment, VitalSigns, WashoutDecision
from challenges.run.views.page import (
    act,
    on_detail_page,
    target,
)
from clinics.forms import EnteredInErrorForm
from clinics.http import AuthenticatedHttpRequest


@require_POST
def cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = ReasonForm(request.POST)
    write = lambda data: runs.challenge_cancel(challenge=challenge, by=request.user, reason=data["reason"])  # noqa: E731
    return act(request, form, write, success=_("Challenge cancelled."), **on_detail_page(request, pk, reason_form=form))


@require_POST
def mark_in_error(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = ReasonForm(request.POST)
    write = lambda data: runs.challenge_mark_entered_in_error(  # noqa: E731
        challenge=challenge, by=request.user, reason=data["reason"]
    )
    success = _("Challenge marked as entered in error; it stays in the record.")
    return act(request, form, write, success=success, **on_detail_page(request, pk, reason_form=form))


@require_POST
def addendum(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = AddendumForm(request.POST)
    write = lambda data: runs.addendum_add(challenge=challenge, by=request.user, text=data["reason"])  # noqa: E731
    return act(request, form, write, success=_("Addendum added."), **on_detail_page(request, pk, reason_form=form))


_RECORDS: dict[str, type[Dose | Observation | VitalSigns | Treatment | WashoutDecision]] = {
    "dose": Dose,
    "observation": Observation,
    "vitals": VitalSigns,
    "treatment": Treatment,
    "washout": WashoutDecision,
}


@require_POST
def record_error(request: AuthenticatedHttpRequest, pk: int, kind: str, record_pk: int) -> HttpResponse:
    challenge = target(request, pk)
    record = get_object_or_404(_RECORDS[kind].objects.filter(challenge=challenge), pk=record_pk)
    form = EnteredInErrorForm(request.POST)
    write = lambda data: runs.record_mark_entered_in_error(record=record, by=request.user, reason=data["reason"])  # noqa: E731
    success = _("Marked as entered in error; it stays in the record.")
    return act(request, form, write, success=success, **on_detail_page(request, pk, reason_form=form))

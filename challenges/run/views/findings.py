"""During the challenge, posted from the bedside page: findings, vital signs, treatments, adrenaline and
the decisions on alerts."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from challenges.run import services as runs
from challenges.run.forms.findings import (
    AdrenalineForm,
    DecisionForm,
    ObservationForm,
    TreatmentForm,
    VitalsForm,
)
from challenges.run.views.page import (
    act,
    on_detail_page,
    target,
)
from clinics.http import AuthenticatedHttpRequest


@require_POST
def record_observation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = ObservationForm(request.POST, checklist=challenge.protocol.checklist_items)
    write = lambda data: runs.observation_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(
        request, form, write, success=_("Finding recorded."), **on_detail_page(request, pk, observation_form=form)
    )


@require_POST
def record_vitals(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = VitalsForm(request.POST)
    write = lambda data: runs.vitals_record(challenge=challenge, by=request.user, values=dict(data))  # noqa: E731
    return act(
        request, form, write, success=_("Vital signs recorded."), **on_detail_page(request, pk, vitals_form=form)
    )


@require_POST
def record_treatment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = TreatmentForm(request.POST)
    write = lambda data: runs.treatment_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(
        request, form, write, success=_("Treatment recorded."), **on_detail_page(request, pk, treatment_form=form)
    )


@require_POST
def record_adrenaline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = AdrenalineForm(request.POST)
    write = lambda data: runs.adrenaline_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(
        request, form, write, success=_("Adrenaline recorded."), **on_detail_page(request, pk, adrenaline_form=form)
    )


@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int, alert_pk: int) -> HttpResponse:
    challenge = target(request, pk)
    alert = get_object_or_404(challenge.alerts.all(), pk=alert_pk)
    form = DecisionForm(request.POST)
    write = lambda data: runs.alert_decide(alert=alert, by=request.user, **data)  # noqa: E731
    return act(request, form, write, success=_("Decision recorded."), **on_detail_page(request, pk, decision_form=form))

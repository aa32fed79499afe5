"""The end of a challenge, posted from the bedside page: stop, symptoms resolved, neutrophils, the end of the
observation, discharge, outcome, signing, and the blinded verdict and unblinding."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from challenges.reports import build_signed_report
from challenges.run import services as runs
from challenges.run.forms.ending import (
    BlindedVerdictForm,
    DischargeForm,
    NeutrophilsForm,
    OutcomeForm,
    SignForm,
    SymptomsResolvedForm,
)
from challenges.run.forms.reasons import ObservationEndForm, StopForm
from challenges.run.models import Challenge
from challenges.run.views.page import (
    act,
    on_detail_page,
    target,
)
from clinics.http import AuthenticatedHttpRequest


@require_POST
def stop(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = StopForm(request.POST)
    write = lambda data: runs.challenge_stop(  # noqa: E731
        challenge=challenge, by=request.user, reason=data["reason"], kind=data["kind"]
    )
    success = _("Challenge stopped; the observation period has started.")
    return act(request, form, write, success=success, **on_detail_page(request, pk, reason_form=form))


@require_POST
def finish_observation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = ObservationEndForm(request.POST)
    write = lambda data: runs.observation_finish(challenge=challenge, by=request.user, override_reason=data["reason"])  # noqa: E731
    return act(
        request, form, write, success=_("Observation period ended."), **on_detail_page(request, pk, reason_form=form)
    )


@require_POST
def confirm_outcome(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = OutcomeForm(request.POST)
    write = lambda data: runs.outcome_confirm(challenge=challenge, by=request.user, data=runs.OutcomeInput(**data))  # noqa: E731
    return act(request, form, write, success=_("Outcome confirmed."), **on_detail_page(request, pk, outcome_form=form))


@require_POST
def sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = SignForm(request.POST)

    def write(data: dict[str, Any]) -> Challenge:
        return runs.challenge_sign(
            challenge=challenge,
            by=request.user,
            render=build_signed_report,
            observation_override_reason=data["observation_override_reason"],
        )

    success = _("Signed. The record is now locked.")
    return act(request, form, write, success=success, **on_detail_page(request, pk, sign_form=form))


@require_POST
def symptoms_resolved(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = SymptomsResolvedForm(request.POST)
    write = lambda data: runs.symptoms_resolved_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    success = _("Symptoms resolved: the observation period has started.")
    return act(request, form, write, success=success, **on_detail_page(request, pk, resolution_form=form))


@require_POST
def neutrophils(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = NeutrophilsForm(request.POST)
    write = lambda data: runs.neutrophils_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(
        request, form, write, success=_("Neutrophil counts recorded."), **on_detail_page(request, pk, labs_form=form)
    )


@require_POST
def discharge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = DischargeForm(request.POST)

    def write(data: dict[str, Any]) -> object:
        return runs.discharge_record(
            challenge=challenge,
            by=request.user,
            discharged_at=data["discharged_at"],
            condition=data["condition"],
            vitals=form.vitals(),
            notes=data["notes"],
        )

    success = _("Discharge recorded.")
    return act(request, form, write, success=success, **on_detail_page(request, pk, discharge_form=form))


@require_POST
def blinded_verdict(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = BlindedVerdictForm(request.POST)

    def write(data: dict[str, Any]) -> Challenge:
        after = data["after_dose"]
        return runs.blinded_verdict_record(
            challenge=challenge, by=request.user, reaction=after is not None, after_dose=after
        )

    return act(request, form, write, success=_("Blinded verdict recorded."), **on_detail_page(request, pk))


@require_POST
def unblind(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    write = lambda _data: runs.challenge_unblind(challenge=challenge, by=request.user)  # noqa: E731
    return act(request, None, write, success=_("Unblinded."), **on_detail_page(request, pk))

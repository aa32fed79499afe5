"""The bedside page of a challenge: loading it, drawing it, and `act`, the one way a posted write runs."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from audit.models import Action
from audit.services import log_access
from challenges import access
from challenges.run import selectors
from challenges.run import services as runs
from challenges.run.forms.dosing import (
    GIVEN_AS_FOOD,
    GIVEN_AS_MIX,
    DoseForm,
    FoodLotForm,
)
from challenges.run.forms.ending import (
    DischargeForm,
    NeutrophilsForm,
    OutcomeForm,
    SignForm,
    SymptomsResolvedForm,
)
from challenges.run.forms.findings import (
    AdrenalineForm,
    DecisionForm,
    ObservationForm,
    TreatmentForm,
    VitalsForm,
)
from challenges.run.models import Challenge, StopKind
from clinical import outcome as outcome_rules
from clinical.display import amount_text
from clinical.errors import DomainError
from clinics import page_cache
from clinics.access import require_clinic_staff
from clinics.auth import mark_passive
from clinics.http import AuthenticatedHttpRequest
from patients.models import Patient

REFUSED = 400  # bad input, or a rule refused the write: the page again with the message; nothing was stored


def act(
    request: AuthenticatedHttpRequest,
    form: forms.Form | None,
    write: Callable[[dict[str, Any]], Any],
    *,
    success: str | Callable[[Any], None],
    done: str,
    refused: Callable[[str], HttpResponse],
) -> HttpResponse:
    """Validate the bound form, run the write with its cleaned data, then redirect to `done` (Post/Redirect/Get).

    Bad input, or a rule the write refuses (any DomainError), answers `refused(message)`: the page the post came
    from, again, with status 400 and the message. `success` is the flash message, or a callable given the write's
    result that adds its own.
    """
    if form is not None and not form.is_valid():
        return refused(form_errors_text(form))
    try:
        result = write(form.cleaned_data if form is not None else {})
    except DomainError as exc:
        return refused(exc.message)
    except ValidationError as exc:  # a model's full_clean(): bad input that got past the form
        return refused(" ".join(exc.messages))
    if callable(success):
        success(result)
    else:
        messages.success(request, success)
    return redirect(done)


def form_errors_text(form: forms.Form) -> str:
    """A form's errors in words, each named by its field's label (never the field's key)."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        text = " ".join(str(error) for error in errors)
        parts.append(f"{label}: {text}" if label else text)
    return " ".join(parts)


def challenge_for_page(request: AuthenticatedHttpRequest, pk: int) -> Challenge:
    require_clinic_staff(request.user)
    return get_object_or_404(selectors.with_run_data(access.challenges_for(request.user)), pk=pk)


def target(request: AuthenticatedHttpRequest, pk: int) -> Challenge:
    """The challenge an action writes to: access-checked, without the page's data (the service loads its own)."""
    require_clinic_staff(request.user)
    return get_object_or_404(access.challenges_for(request.user).select_related("protocol__food", "patient"), pk=pk)


def detail_page(
    request: AuthenticatedHttpRequest, challenge: Challenge, status: int = 200, **context: Any
) -> HttpResponse:
    """The bedside page (load the challenge with with_run_data); `context` passes bound forms and an error."""
    rendered = _render_page(request, challenge, **context)
    return _page_response(request, rendered.title, mark_safe(rendered.html), status=status)  # noqa: S308 (rendered)


def _page_response(request: AuthenticatedHttpRequest, title: str, body: str, status: int = 200) -> HttpResponse:
    """The page around its main content: the base template, with this request's messages."""
    return render(request, "challenges/challenge_detail.html", {"page_title": title, "page_body": body}, status=status)


def _render_page(request: AuthenticatedHttpRequest, challenge: Challenge, **context: Any) -> page_cache.Rendered:
    """The bedside page's main content, and the instants at which it would read differently by the clock alone."""
    state = selectors.run_state(challenge)
    page = {
        "state": state,
        "challenge": challenge,
        "can_decide": request.user.is_allergist,
        "dose_form": context.get("dose_form") or _dose_form(request, challenge, state),
        "food_lot_form": context.get("food_lot_form") or FoodLotForm(per=state.label.per),
        "observation_form": context.get("observation_form")
        or ObservationForm(checklist=challenge.protocol.checklist_items),
        "vitals_form": context.get("vitals_form") or VitalsForm(),
        "treatment_form": context.get("treatment_form") or TreatmentForm(),
        "decision_form": context.get("decision_form") or DecisionForm(),
        "adrenaline_form": context.get("adrenaline_form") or AdrenalineForm(),
        "stop_kinds": StopKind.choices,
        "outcome_form": context.get("outcome_form") or _outcome_form(challenge, state),
        "reason_form": context.get("reason_form"),  # bound, when a reason was refused
        "sign_form": context.get("sign_form") or SignForm(),
        "resolution_form": context.get("resolution_form") or _resolution_form(challenge),
        "discharge_form": context.get("discharge_form") or DischargeForm(),
        "labs_form": context.get("labs_form") or NeutrophilsForm(),
        # Which doses are placebo: only a preparer before unblinding; everyone else sees "blinded" figures.
        "show_placebo": access.sees_placebo_key(request.user, challenge),
        "prints_blinded_key": access.prints_blinded_key(request.user, challenge),
        "can_mark_in_error": request.user.is_allergist
        and not challenge.entered_in_error
        and challenge.status not in runs.UNDER_WAY,
        "blind": not access.sees_placebo_key(request.user, challenge),
        "error": context.get("error"),
        # while the challenge is under way, the open page keeps the session alive (keepalive)
        "keepalive_seconds": settings.STEPWISE_KEEPALIVE_SECONDS if selectors.bedside_open(challenge) else None,
    }
    if "csrf_token" in context:  # a render for the cache: the token is a hole (page_cache)
        page["csrf_token"] = context["csrf_token"]
    before_start = timezone.now() < challenge.scheduled_at
    return page_cache.Rendered(
        title=f"{challenge.patient.full_name} · {challenge.protocol.food.name}",
        html=render_to_string("challenges/run/_page_body.html", page, request=request),
        # the observation period ends ("over", the discharge form); the booked start comes (the washout review)
        changes_at=(
            state.observation.period.ends_at if state.observation else None,
            state.observation_ends_at,
            challenge.scheduled_at,
        ),
        max_age=page_cache.BEFORE_START_MAX_AGE if before_start else page_cache.MAX_AGE,
    )


def _dose_form(request: AuthenticatedHttpRequest, challenge: Challenge, state: selectors.RunState) -> DoseForm:
    """The dose form for the next step: the volume of the mix for a diluted dose, else the amount of food."""
    preparation = state.next_line.preparation if state.next_line else None
    mix = preparation is not None and preparation.method == "dilution"
    return DoseForm(
        unit=challenge.protocol.food.amount_unit,
        allow_override=request.user.is_allergist,
        staff=selectors.dose_staff(challenge.clinic_id),
        given_as=GIVEN_AS_MIX if mix else GIVEN_AS_FOOD,
        planned_volume=amount_text(preparation.give_ml, "mL") if mix and preparation else "",
        initial={"prepared_by": request.user.pk},
    )


def _outcome_form(challenge: Challenge, state: selectors.RunState) -> OutcomeForm:
    """The outcome form, starting from what was recorded, else from the suggestion: advice follows the outcome, and a
    failed challenge with a systemic reaction starts from "prescribe adrenaline"."""
    suggested = challenge.outcome or state.suggested_outcome
    prescribe = challenge.new_adrenaline_prescription
    if prescribe is None:
        prescribe = outcome_rules.default_adrenaline_prescription(suggested, systemic_reaction=state.systemic_reaction)
    initial = {
        "outcome": challenge.outcome or state.suggested_outcome,
        "grade_scale": challenge.grade_scale or (state.grade.scale if state.grade else "wao_2010"),
        "grade": challenge.grade or (state.grade.grade if state.grade else ""),
        "advice": challenge.advice or outcome_rules.default_advice(suggested),
        "reason": challenge.outcome_reason,
        "new_adrenaline_prescription": "yes" if prescribe else "no",
        "discharge_notes": challenge.discharge_notes,
        # R6: the recorded items; the form advice starts from what the food's form says (baked milk or egg).
        "discharge_rest_of_day": challenge.discharge_rest_of_day,
        "discharge_keep_eating": challenge.discharge_keep_eating,
        "discharge_form_advice": challenge.discharge_form_advice or state.form_advice,
        "discharge_action_plan_given": challenge.discharge_action_plan_given,
        "discharge_autoinjector_trained": challenge.discharge_autoinjector_trained,
        "follow_up_on": challenge.follow_up_on,
    }
    return OutcomeForm(initial=initial)


def _resolution_form(challenge: Challenge) -> SymptomsResolvedForm:
    """The last recorded answers, so a resolution recorded again after a recurrence starts from them."""
    if challenge.symptoms_resolved_at is None:
        return SymptomsResolvedForm()
    response = challenge.adrenaline_good_response
    initial = {
        "good_response": "" if response is None else ("yes" if response else "no"),
        "severe_respiratory": challenge.severe_respiratory_compromise,
    }
    return SymptomsResolvedForm(initial=initial)


def on_detail_page(request: AuthenticatedHttpRequest, pk: int, **bound: forms.Form) -> dict[str, Any]:
    """`act`'s way back for a write posted from the bedside page: to it, or it again with the error and the form."""

    def refused(message: str) -> HttpResponse:
        return detail_page(request, challenge_for_page(request, pk), status=REFUSED, error=message, **bound)

    return {"done": reverse("challenges:detail", args=[pk]), "refused": refused}


def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The bedside page, rendered once per page version (clinics.page_cache): a request reads the version
    (the access check too), writes the chart-read audit row, and fills the cached page's holes."""
    require_clinic_staff(request.user)
    found = selectors.page_version(access.challenges_for(request.user), pk)
    if found is None:
        raise Http404
    log_access(
        request,
        patient=Patient(pk=found.patient_id, clinic_id=found.clinic_id),
        action=Action.CHART_VIEW,
        obj=Challenge(pk=pk),
    )

    def fresh() -> page_cache.Rendered:
        return _render_page(request, challenge_for_page(request, pk), csrf_token=page_cache.CSRF_HOLE)

    title, body = page_cache.serve(request, page_cache.page_key("challenge", pk, found.version, request), fresh)
    return _page_response(request, title, body)


@require_POST
def keepalive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Called by static/stepwise/session.js while the bedside page of a running challenge is open: a nurse waiting
    30 min for the next dose stays signed in (within the absolute limit, clinics.auth). 204 while the challenge is
    under way; 409, without extending the session, once it is not."""
    challenge = target(request, pk)
    if not selectors.bedside_open(challenge):
        mark_passive(request)
        return HttpResponse(status=HTTPStatus.CONFLICT)
    return HttpResponse(status=HTTPStatus.NO_CONTENT)

"""Home reintroduction pages: the patient's plan (phone-sized), the clinic's attention list and actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import Action
from audit.services import log_access
from challenges import access
from challenges.home import selectors as home_selectors
from challenges.home import services as home
from challenges.home.forms import (
    CorrectionForm,
    FollowUpForm,
    HomeDoseForm,
    PlanChangeForm,
    PlanStepFormSet,
    PlanStepRows,
    PremedTakenForm,
    ReleaseForm,
    SymptomForm,
    UsualSymptomsForm,
    WithdrawForm,
    plan_step_initial,
)
from challenges.library.facts import food_spec
from challenges.run import facts, selectors
from challenges.run import services as runs
from challenges.run.models import Challenge, Observation, Setting, Status, Treatment
from challenges.run.views.page import REFUSED, act, on_detail_page
from clinical import plain_words
from clinical.errors import DomainError
from clinical.plan import PlannedStep
from clinics.access import require_allergist, require_clinic_staff
from clinics.http import AuthenticatedHttpRequest
from clinics.services import AlreadySubmitted, once

ALREADY = _("Already recorded: your first press saved it, and nothing was added twice.")


class _Already:
    """What a keyed write returns when its form was sent before (a double tap, Back and send again)."""


Write = Callable[[dict[str, Any]], Any]


def _keyed(request: AuthenticatedHttpRequest, write: Write) -> Write:
    """`write` at most once per form (its one-time key, clinics.services.once); a repeat returns an _Already."""

    def run(data: dict[str, Any]) -> Any:
        try:
            return once(data.get("submission_key"), request.user, lambda: write(data))
        except AlreadySubmitted:
            return _Already()

    return run


def _saved(request: AuthenticatedHttpRequest, text: str) -> Callable[[Any], None]:
    """The confirmation shown at the top of the page after a keyed write, or "already recorded" for a repeat."""

    def say(result: Any) -> None:
        if isinstance(result, _Already):
            messages.info(request, ALREADY)
        else:
            messages.success(request, text)

    return say


def _plan(request: AuthenticatedHttpRequest, pk: int) -> Challenge:
    challenge = get_object_or_404(selectors.with_run_data(access.challenges_for(request.user)), pk=pk)
    if challenge.setting != Setting.HOME:
        raise Http404
    return challenge


def _plan_target(request: AuthenticatedHttpRequest, pk: int) -> Challenge:
    """The home plan a write goes to: access-checked, with the patient whose plan it is, without the page's data.

    The service locks the plan's row and reads the state its rules need once, under that lock (the page's
    `with_run_data` here would read it all a first time, unlocked: issue 20).
    """
    challenge = get_object_or_404(access.challenges_for(request.user).select_related("patient"), pk=pk)
    if challenge.setting != Setting.HOME:
        raise Http404
    return challenge


def _page(request: AuthenticatedHttpRequest, challenge: Challenge, status: int = 200, **context: Any) -> HttpResponse:
    checklist = challenge.protocol.checklist_items
    premeds = facts.planned_premedication(challenge)
    page = {
        "plan": home_selectors.home_plan_state(challenge),
        "challenge": challenge,
        "premeds": premeds,
        "premed_form": context.get("premed_form") or PremedTakenForm(planned=_premed_choices(premeds)),
        "dose_form": context.get("dose_form") or HomeDoseForm(),
        "symptom_form": context.get("symptom_form") or SymptomForm(checklist=checklist),
        "usual_form": context.get("usual_form")
        or UsualSymptomsForm(checklist=checklist, usual=dict(challenge.usual_symptoms or {})),
        "is_patient": request.user.is_patient,
        "error": context.get("error"),
    }
    return render(request, "challenges/home_plan.html", page, status=status)


def _premed_choices(premeds: list[facts.PlannedPremedication]) -> list[tuple[int, str]]:
    """The timed items the patient records taking, as (id, "Cromolyn sodium (oral) 100 mg")."""
    return [(p.item.pk, f"{p.item.drug} {p.dose.text}") for p in premeds if p.timed and not p.dose.clinician_decides]


def _on_plan(request: AuthenticatedHttpRequest, pk: int, **bound: forms.Form) -> dict[str, Any]:
    """`act`'s way back for a write posted from the plan page: to it, or it again with the error and the form."""

    def refused(message: str) -> HttpResponse:
        return _page(request, _plan(request, pk), status=REFUSED, error=message, **bound)

    return {"done": reverse("challenges:home-plan", args=[pk]), "refused": refused}


def home_plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _plan(request, pk)
    log_access(request, patient=challenge.patient, action=Action.CHART_VIEW, obj=challenge)
    return _page(request, challenge)


# --- the patient's side -------------------------------------------------------------------------------------


@require_POST
def premedication(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _plan(request, pk)
    form = PremedTakenForm(request.POST, planned=_premed_choices(facts.planned_premedication(challenge)))

    def write(data: dict[str, Any]) -> object:
        return home.patient_premedication(
            challenge=challenge, by=request.user, item_id=data["item"], given_at=data["given_at"]
        )

    saved = _saved(request, _("Saved: your premedication. Eat the step when the plan says, and record it here."))
    return act(request, form, _keyed(request, write), success=saved, **_on_plan(request, pk, premed_form=form))


@require_POST
def take_step(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _plan_target(request, pk)
    form = HomeDoseForm(request.POST)

    def write(data: dict[str, Any]) -> runs.DoseRecorded:
        return home.patient_dose(
            challenge=challenge,
            by=request.user,
            given_at=data["given_at"],
            food_amount=data["food_amount"],
            key=data["idempotency_key"],
        )

    def recorded(result: runs.DoseRecorded) -> None:
        if result.created:
            messages.success(
                request,
                _(
                    "Saved: you ate step %(n)s. Next: rest, have an adult with you, and record any symptom you "
                    "notice. Do not take the next step before the plan says."
                )
                % {"n": result.dose.step_number},
            )
            for flag in result.flags:
                messages.warning(request, _("Your clinic will see this: %(flag)s") % {"flag": flag})
        else:  # the same form again (back button, resubmit)
            messages.info(request, _("Already recorded: this step was saved once; nothing was added."))

    return act(request, form, write, success=recorded, **_on_plan(request, pk, dose_form=form))


@require_POST
def symptom(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _plan(request, pk)
    form = SymptomForm(request.POST, checklist=challenge.protocol.checklist_items)

    def write(data: dict[str, Any]) -> Observation:
        fields = {name: value for name, value in data.items() if name != "submission_key"}
        return home.patient_symptom(challenge=challenge, by=request.user, **fields)

    def recorded(result: Observation | _Already) -> None:
        if isinstance(result, _Already):
            messages.info(request, ALREADY)
            return
        what = f"{plain_words.symptom(result.item_code)}, {plain_words.severity(result.severity)}"
        messages.success(request, _("Saved: %(what)s. %(next)s") % {"what": what, "next": _after_symptom(pk)})

    return act(request, form, _keyed(request, write), success=recorded, **_on_plan(request, pk, symptom_form=form))


def _after_symptom(pk: int) -> str:
    """What happens next, after a symptom: the plan as it now stands (paused, held, or going on)."""
    challenge = Challenge.objects.get(pk=pk)
    if challenge.status == Status.PAUSED or facts.open_alert(challenge):
        return _("Your clinic will see this. Do not take the next step: your plan is paused until your clinic decides.")
    pause = facts.symptom_pause(challenge)
    if pause is not None:
        until = date_format(timezone.localtime(pause[1]), "l j F, H:i")
        return _("Your clinic will see this. Do not take the next step before %(until)s.") % {"until": until}
    return _("Your clinic will see this. Keep watching for symptoms and record any change.")


@require_POST
def usual_symptoms(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _plan(request, pk)
    form = UsualSymptomsForm(request.POST, checklist=challenge.protocol.checklist_items)
    write = lambda _data: home.usual_symptoms_set(challenge=challenge, by=request.user, usual=form.usual())  # noqa: E731
    saved = _saved(request, _("Saved: your usual symptoms. Only a symptom worse than usual pauses your plan."))
    return act(request, form, _keyed(request, write), success=saved, **_on_plan(request, pk, usual_form=form))


@require_http_methods(["GET", "POST"])
def correct_symptom(request: AuthenticatedHttpRequest, pk: int, observation_pk: int) -> HttpResponse:
    challenge = _plan(request, pk)
    original = get_object_or_404(Observation.objects.filter(challenge=challenge), pk=observation_pk)
    if original.entered_in_error and request.method == "GET":  # a correction sent again is answered by its key
        raise Http404
    initial = {
        "item_code": original.item_code,
        "severity": original.severity,
        "note": original.note,
        "observed_at": timezone.localtime(original.observed_at).strftime("%Y-%m-%dT%H:%M"),
    }
    form = CorrectionForm(request.POST or None, checklist=challenge.protocol.checklist_items, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "submission_key"}
        correct = lambda: home.patient_correct_symptom(original=original, by=request.user, **data)  # noqa: E731
        try:
            once(form.cleaned_data["submission_key"], request.user, correct)
        except AlreadySubmitted:
            messages.info(request, ALREADY)
            return redirect("challenges:home-plan", pk=challenge.pk)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Corrected. Your first entry is kept, crossed out, with your reason."))
            return redirect("challenges:home-plan", pk=challenge.pk)
    context = {"form": form, "challenge": challenge, "original": original, "withdraw_form": WithdrawForm()}
    return render(request, "challenges/home_correct.html", context)


@require_POST
def withdraw(request: AuthenticatedHttpRequest, pk: int, kind: str, record_pk: int) -> HttpResponse:
    """Withdraw one's own symptom or premedication entry (recorded twice, or by mistake); it stays, crossed out."""
    challenge = _plan(request, pk)
    record: Observation | Treatment
    if kind == "symptom":
        record = get_object_or_404(challenge.observations.filter(entered_in_error=False), pk=record_pk)
    elif kind == "medicine":
        record = get_object_or_404(challenge.treatments.filter(entered_in_error=False), pk=record_pk)
    else:
        raise Http404
    form = WithdrawForm(request.POST)
    write = lambda data: home.patient_withdraw_entry(record=record, by=request.user, reason=data["reason"])  # noqa: E731
    saved = _saved(request, _("Withdrawn. It stays in your records, crossed out, with your reason."))
    return act(request, form, _keyed(request, write), success=saved, **_on_plan(request, pk))


# --- the clinic's side --------------------------------------------------------------------------------------


def attention(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Home plans needing attention, and overdue follow-up check-ins, for the clinic."""
    require_clinic_staff(request.user)
    now = timezone.now()
    context = {
        "rows": home_selectors.plans_needing_attention(request.user, now),
        "overdue": home_selectors.overdue_follow_ups(request.user, now),
    }
    return render(request, "challenges/home_attention.html", context)


@require_POST
def release(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_allergist(request.user)
    challenge = _plan(request, pk)
    form = ReleaseForm(request.POST)
    write = lambda data: home.step_release(challenge=challenge, by=request.user, reason=data["reason"])  # noqa: E731
    return act(request, form, write, success=_("Next step released."), **on_detail_page(request, pk, reason_form=form))


@require_http_methods(["GET", "POST"])
def change_plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The plan's remaining steps as rows, prefilled from the plan; saving makes a new version for this patient."""
    require_allergist(request.user)
    challenge = _plan(request, pk)
    remaining = home_selectors.remaining_steps(challenge)
    form = PlanChangeForm(request.POST or None)
    rows = _plan_rows(request, challenge, remaining)
    if request.method == "POST" and "add_row" not in request.POST and all([form.is_valid(), rows.is_valid()]):
        try:
            home.plan_change(
                challenge=challenge, by=request.user, steps=rows.planned_steps(), reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Plan changed; the earlier version is kept."))
            return redirect("challenges:detail", pk=challenge.pk)
    steps = challenge.protocol.steps.all()
    context = {
        "form": form,
        "rows": rows,
        "challenge": challenge,
        "taken": len(steps) - len(remaining),
        "show_food": any(step.food_id is not None for step in steps),  # a ladder of several foods (X4)
    }
    return render(request, "challenges/home_change.html", context)


def _plan_rows(
    request: AuthenticatedHttpRequest, challenge: Challenge, remaining: list[PlannedStep]
) -> PlanStepFormSet:
    """The rows: the plan's remaining steps on opening the page, else as posted ("Add a row" posts one more)."""
    food = challenge.protocol.food
    kwargs = {"plan_food": food, "foods": access.foods_for(request.user)}
    if request.method != "POST":
        initial = [plan_step_initial(step, food_spec(food)) for step in remaining]
        return PlanStepRows(prefix="steps", initial=initial, form_kwargs=kwargs)
    data = request.POST.copy()
    if "add_row" in data:  # without JavaScript: the page again, with one more row, drawn with a new row's defaults
        rows = PlanStepRows(data, prefix="steps", form_kwargs=kwargs)
        index = rows.total_form_count()
        for name, field in rows.empty_form.fields.items():
            if field.initial is not None and name != "DELETE":
                data[f"steps-{index}-{name}"] = str(field.initial)
        data["steps-TOTAL_FORMS"] = str(index + 1)
    return PlanStepRows(data, prefix="steps", form_kwargs=kwargs)


@require_POST
def follow_up(request: AuthenticatedHttpRequest, pk: int, follow_up_pk: int) -> HttpResponse:
    """A follow-up check-in, from the patient's plan page or the clinic's challenge page (the page it came from)."""
    challenge = get_object_or_404(access.challenges_for(request.user), pk=pk)
    item = get_object_or_404(challenge.follow_ups.all(), pk=follow_up_pk)
    form = FollowUpForm(request.POST)

    def write(data: dict[str, Any]) -> object:
        fields = {name: value for name, value in data.items() if name != "submission_key"}
        return home.follow_up_record(follow_up=item, by=request.user, **fields)

    back = _on_plan if request.user.is_patient else on_detail_page
    saved = _saved(request, _("Saved: your check-in. Your clinic will see it."))
    return act(request, form, _keyed(request, write), success=saved, **back(request, pk, follow_up_form=form))

"""The bedside pages of a challenge run. Thin: access helper, form, service, redirect (or the page with errors)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import Action
from audit.services import log_access
from challenges import access
from challenges.run import selectors
from challenges.run.forms import (
    ChecksForm,
    DecisionForm,
    DoseForm,
    ObservationForm,
    OutcomeForm,
    ReasonForm,
    ScheduleForm,
    TreatmentForm,
    VitalsForm,
)
from challenges.models import Challenge, Dose, Observation, Status, Treatment, VitalSigns
from challenges.reports import build_signed_report
from challenges.run import services as runs
from challenges.run.services import ChallengeRuleError, OutcomeInput
from clinics.access import require_clinic_staff
from clinics.forms import EnteredInErrorForm
from patients.access import get_patient_for_staff


def _challenge(request: HttpRequest, pk: int) -> Challenge:
    require_clinic_staff(request.user)
    return get_object_or_404(selectors.with_run_data(access.challenges_for(request.user)), pk=pk)


def _target(request: HttpRequest, pk: int) -> Challenge:
    """The challenge an action writes to: access-checked, without the page's data (the service loads its own)."""
    require_clinic_staff(request.user)
    return get_object_or_404(access.challenges_for(request.user).select_related("protocol__food", "patient"), pk=pk)


def _detail(request: HttpRequest, challenge: Challenge, status: int = 200, **forms: Any) -> HttpResponse:
    state = selectors.run_state(challenge)
    unit = challenge.protocol.food.amount_unit
    context = {
        "state": state, "challenge": challenge, "can_decide": request.user.is_allergist,
        "dose_form": forms.get("dose_form") or DoseForm(unit=unit, allow_override=request.user.is_allergist,
                                                        ),
        "observation_form": forms.get("observation_form") or ObservationForm(checklist=challenge.protocol.checklist_items),
        "vitals_form": forms.get("vitals_form") or VitalsForm(),
        "treatment_form": forms.get("treatment_form") or TreatmentForm(),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "outcome_form": forms.get("outcome_form") or _outcome_form(challenge, state),
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "show_placebo": not challenge.blinded or challenge.unblinded_at is not None,
        "error": forms.get("error"),
    }  # fmt: skip
    return render(request, "challenges/challenge_detail.html", context, status=status)


def _outcome_form(challenge: Challenge, state: selectors.RunState) -> OutcomeForm:
    initial = {
        "outcome": challenge.outcome or state.suggested_outcome,
        "grade_scale": challenge.grade_scale or (state.grade.scale if state.grade else "wao_2010"),
        "grade": challenge.grade or (state.grade.grade if state.grade else ""),
        "advice": challenge.advice, "reason": challenge.outcome_reason,
        "new_adrenaline_prescription": "yes" if challenge.new_adrenaline_prescription else "no",
        "discharge_notes": challenge.discharge_notes,
    }  # fmt: skip
    return OutcomeForm(initial=initial)


def _act(request: HttpRequest, challenge: Challenge, action: Callable[[], Any], success: str, **forms: Any) -> HttpResponse:
    """Run a service; on a rule error show the page again with the message (and the bound form)."""
    try:
        action()
    except ChallengeRuleError as exc:
        messages.error(request, exc.message)
        return _detail(request, _challenge(request, challenge.pk), status=400, error=exc.message, **forms)
    except ValidationError as exc:
        message = "; ".join(exc.messages)
        messages.error(request, message)
        return _detail(request, _challenge(request, challenge.pk), status=400, error=message, **forms)
    messages.success(request, success)
    return redirect("challenges:detail", pk=challenge.pk)


# --- pages --------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def schedule(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for_staff(request.user, patient_pk)
    protocols = access.protocols_for(request.user).current().select_related("food")
    form = ScheduleForm(request.POST or None, protocols=protocols, clinic_id=request.user.clinic_id)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = runs.challenge_schedule(patient=patient, by=request.user, **form.cleaned_data)
        except ChallengeRuleError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Challenge scheduled."))
            return redirect("challenges:detail", pk=challenge.pk)
    return render(request, "challenges/challenge_schedule.html", {"form": form, "patient": patient})


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _challenge(request, pk)
    log_access(request, patient=challenge.patient, action=Action.CHART_VIEW, obj=challenge)
    return _detail(request, challenge)


def board(request: HttpRequest) -> HttpResponse:
    """Today's clinic challenges with their state, next-dose time and waiting stop alerts."""
    require_clinic_staff(request.user)
    today = timezone.localdate()
    start = timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()))
    running = [Status.CHECKED_IN, Status.DOSING, Status.OBSERVING]
    clinic = access.challenges_for(request.user).filter(setting="clinic", entered_in_error=False)
    # The union of two id queries, each on its own index (clinic+scheduled_at, clinic+status): an OR of the two
    # conditions makes SQLite and PostgreSQL read every challenge the clinic ever had (bench/README.md).
    today_ids = clinic.filter(scheduled_at__gte=start, scheduled_at__lt=start + timezone.timedelta(days=1))
    running_ids = clinic.filter(status__in=running)
    ids = today_ids.values("pk").order_by().union(running_ids.values("pk").order_by())
    challenges = selectors.with_board_data(Challenge.objects.filter(pk__in=ids))
    rows = [selectors.board_row(c) for c in challenges.order_by("scheduled_at")]
    return render(request, "challenges/board.html", {"rows": rows, "today": today})


# --- actions ------------------------------------------------------------------------------------------------


@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    return _act(request, challenge, lambda: runs.challenge_check_in(challenge=challenge, by=request.user), _("Checked in."))


@require_http_methods(["GET", "POST"])
def checks(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _challenge(request, pk)
    form = ChecksForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check = runs.checks_record(challenge=challenge, by=request.user, answers=form.answers(), baseline=form.baseline())
        except (ChallengeRuleError, ValidationError) as exc:
            form.add_error(None, getattr(exc, "message", None) or "; ".join(exc.messages))
        else:
            failed = check.failed_items()
            if failed:
                messages.warning(request, _("Not passed: %(items)s. The first dose is blocked unless an allergist overrides.")
                                 % {"items": ", ".join(failed)})
            else:
                messages.success(request, _("Pre-challenge checks passed."))
            return redirect("challenges:detail", pk=challenge.pk)
    context = {"form": form, "challenge": challenge, "conflicts": runs.washout_conflicts(challenge),
               "state": selectors.run_state(challenge)}  # fmt: skip
    return render(request, "challenges/challenge_checks.html", context)


@require_POST
def checks_override(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = ReasonForm(request.POST)
    reason = request.POST.get("reason", "")
    action = lambda: runs.checks_override(challenge=challenge, by=request.user, reason=reason)  # noqa: E731
    return _act(request, challenge, action, _("Override recorded."), reason_form=form)


@require_POST
def record_dose(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    unit = challenge.protocol.food.amount_unit
    form = DoseForm(request.POST, unit=unit, allow_override=request.user.is_allergist)
    if not form.is_valid():
        return _detail(request, _challenge(request, pk), status=400, dose_form=form)
    data = form.cleaned_data
    earlier = Dose.objects.filter(idempotency_key=data["idempotency_key"], challenge=challenge).first()
    if earlier is not None:  # the same form again (back button, resubmit): say so, add nothing
        messages.info(request, _("This dose was already recorded at %(time)s; nothing was added.")
                      % {"time": timezone.localtime(earlier.given_at).strftime("%H:%M")})
        return redirect("challenges:detail", pk=challenge.pk)
    action = lambda: runs.dose_record(  # noqa: E731
        challenge=challenge, by=request.user, food_amount=data["food_amount"], given_at=data["given_at"],
        idempotency_key=data["idempotency_key"], override_reason=data.get("override_reason", ""), notes=data["notes"],
    )  # fmt: skip
    return _act(request, challenge, action, _("Dose recorded."), dose_form=form)


@require_POST
def record_observation(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = ObservationForm(request.POST, checklist=challenge.protocol.checklist_items)
    if not form.is_valid():
        return _detail(request, _challenge(request, pk), status=400, observation_form=form)
    action = lambda: runs.observation_record(challenge=challenge, by=request.user, **form.cleaned_data)  # noqa: E731
    return _act(request, challenge, action, _("Finding recorded."), observation_form=form)


@require_POST
def record_vitals(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = VitalsForm(request.POST)
    if not form.is_valid():
        return _detail(request, _challenge(request, pk), status=400, vitals_form=form)
    action = lambda: runs.vitals_record(challenge=challenge, by=request.user, values=dict(form.cleaned_data))  # noqa: E731
    return _act(request, challenge, action, _("Vital signs recorded."), vitals_form=form)


@require_POST
def record_treatment(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = TreatmentForm(request.POST)
    if not form.is_valid():
        return _detail(request, _challenge(request, pk), status=400, treatment_form=form)
    action = lambda: runs.treatment_record(challenge=challenge, by=request.user, **form.cleaned_data)  # noqa: E731
    return _act(request, challenge, action, _("Treatment recorded."), treatment_form=form)


@require_POST
def decide(request: HttpRequest, pk: int, alert_pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    alert = get_object_or_404(challenge.alerts.all(), pk=alert_pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, _challenge(request, pk), status=400, decision_form=form)
    action = lambda: runs.alert_decide(alert=alert, by=request.user, **form.cleaned_data)  # noqa: E731
    return _act(request, challenge, action, _("Decision recorded."), decision_form=form)


def _reason_action(service: Callable[..., Any], success: str) -> Callable[[HttpRequest, int], HttpResponse]:
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        challenge = _target(request, pk)
        reason = request.POST.get("reason", "")
        return _act(request, challenge, lambda: service(challenge=challenge, by=request.user, reason=reason), success)

    return view


stop = _reason_action(runs.challenge_stop, _("Challenge stopped; the observation period has started."))
cancel = _reason_action(runs.challenge_cancel, _("Challenge cancelled."))


@require_POST
def addendum(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    text = request.POST.get("reason", "")
    return _act(request, challenge, lambda: runs.addendum_add(challenge=challenge, by=request.user, text=text), _("Addendum added."))


@require_POST
def finish_observation(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    reason = request.POST.get("reason", "")
    action = lambda: runs.observation_finish(challenge=challenge, by=request.user, override_reason=reason)  # noqa: E731
    return _act(request, challenge, action, _("Observation period ended."))


@require_POST
def confirm_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _detail(request, _challenge(request, pk), status=400, outcome_form=form)
    state = selectors.run_state(challenge)
    suggested = state.grade.grade if state.grade else ""
    action = lambda: runs.outcome_confirm(  # noqa: E731
        challenge=challenge, by=request.user, data=OutcomeInput(**form.cleaned_data), grade_suggested=suggested
    )
    return _act(request, challenge, action, _("Outcome confirmed."), outcome_form=form)


@require_POST
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    action = lambda: runs.challenge_sign(challenge=challenge, by=request.user, render=build_signed_report)  # noqa: E731
    return _act(request, challenge, action, _("Signed. The record is now locked."))


@require_POST
def unblind(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    return _act(request, challenge, lambda: runs.challenge_unblind(challenge=challenge, by=request.user), _("Unblinded."))


_RECORDS = {"dose": Dose, "observation": Observation, "vitals": VitalSigns, "treatment": Treatment}


@require_POST
def record_error(request: HttpRequest, pk: int, kind: str, record_pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    record = get_object_or_404(_RECORDS[kind].objects.filter(challenge=challenge), pk=record_pk)
    form = EnteredInErrorForm(request.POST)
    reason = request.POST.get("reason", "")
    action = lambda: runs.record_mark_entered_in_error(record=record, by=request.user, reason=reason)  # noqa: E731
    return _act(request, challenge, action, _("Marked as entered in error; it stays in the record."), reason_form=form)

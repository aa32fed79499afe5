"""Home reintroduction pages: the patient's plan (phone-sized), the clinic's attention list and actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import Action
from audit.services import log_access
from challenges import access
from challenges.run import selectors
from challenges.home.forms import (
    CorrectionForm,
    FollowUpForm,
    HomeDoseForm,
    PlanChangeForm,
    PremedTakenForm,
    ReleaseForm,
    SymptomForm,
)
from challenges.models import Challenge, FollowUp, Observation, Setting, Status, StopAlert
from challenges.home import services as home
from challenges.run.services import ChallengeRuleError
from clinics.access import require_allergist, require_clinic_staff


def _plan(request: HttpRequest, pk: int) -> Challenge:
    challenge = get_object_or_404(selectors.with_run_data(access.challenges_for(request.user)), pk=pk)
    if challenge.setting != Setting.HOME:
        raise Http404
    return challenge


def _page(request: HttpRequest, challenge: Challenge, status: int = 200, **forms: Any) -> HttpResponse:
    checklist = challenge.protocol.checklist_items
    context = {
        "plan": selectors.home_plan_state(challenge), "challenge": challenge,
        "premed_form": forms.get("premed_form") or PremedTakenForm(initial=_premed_initial(challenge)),
        "dose_form": forms.get("dose_form") or HomeDoseForm(),
        "symptom_form": forms.get("symptom_form") or SymptomForm(checklist=checklist),
        "is_patient": request.user.is_patient, "error": forms.get("error"),
    }  # fmt: skip
    return render(request, "challenges/home_plan.html", context, status=status)


def _premed_initial(challenge: Challenge) -> dict[str, str]:
    first = next((p for p in challenge.protocol.premedications.all() if p.before_each_step), None)
    return {"drug": first.drug, "dose": first.dose} if first else {}


def _act(request: HttpRequest, challenge: Challenge, action: Callable[[], Any], success: str, **forms: Any) -> HttpResponse:
    try:
        action()
    except (ChallengeRuleError, ValidationError) as exc:
        message = getattr(exc, "message", None) or "; ".join(exc.messages)
        return _page(request, _plan(request, challenge.pk), status=400, error=message, **forms)
    messages.success(request, success)
    return redirect("challenges:home-plan", pk=challenge.pk)


def home_plan(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _plan(request, pk)
    log_access(request, patient=challenge.patient, action=Action.CHART_VIEW, obj=challenge)
    return _page(request, challenge)


@require_POST
def premedication(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _plan(request, pk)
    form = PremedTakenForm(request.POST)
    if not form.is_valid():
        return _page(request, challenge, status=400, premed_form=form)
    action = lambda: home.patient_premedication(challenge=challenge, by=request.user, **form.cleaned_data)  # noqa: E731
    return _act(request, challenge, action, _("Premedication recorded."), premed_form=form)


@require_POST
def take_step(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _plan(request, pk)
    form = HomeDoseForm(request.POST)
    if not form.is_valid():
        return _page(request, challenge, status=400, dose_form=form)
    data = form.cleaned_data
    action = lambda: home.patient_dose(  # noqa: E731
        challenge=challenge, by=request.user, given_at=data["given_at"], food_amount=data["food_amount"],
        key=data["idempotency_key"],
    )  # fmt: skip
    return _act(request, challenge, action, _("Step recorded. Watch for symptoms and record any you notice."), dose_form=form)


@require_POST
def symptom(request: HttpRequest, pk: int) -> HttpResponse:
    challenge = _plan(request, pk)
    form = SymptomForm(request.POST, checklist=challenge.protocol.checklist_items)
    if not form.is_valid():
        return _page(request, challenge, status=400, symptom_form=form)
    action = lambda: home.patient_symptom(challenge=challenge, by=request.user, **form.cleaned_data)  # noqa: E731
    return _act(request, challenge, action, _("Symptom recorded."), symptom_form=form)


@require_http_methods(["GET", "POST"])
def correct_symptom(request: HttpRequest, pk: int, observation_pk: int) -> HttpResponse:
    challenge = _plan(request, pk)
    original = get_object_or_404(Observation.objects.filter(challenge=challenge, entered_in_error=False), pk=observation_pk)
    initial = {"item_code": original.item_code, "severity": original.severity, "note": original.note,
               "observed_at": timezone.localtime(original.observed_at).strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    form = CorrectionForm(request.POST or None, checklist=challenge.protocol.checklist_items, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            home.patient_correct_symptom(original=original, by=request.user, **form.cleaned_data)
        except ChallengeRuleError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Corrected. Your first entry is kept, crossed out, with your reason."))
            return redirect("challenges:home-plan", pk=challenge.pk)
    return render(request, "challenges/home_correct.html", {"form": form, "challenge": challenge, "original": original})


# --- the clinic's side --------------------------------------------------------------------------------------


def attention(request: HttpRequest) -> HttpResponse:
    """Home plans needing attention, and overdue follow-up check-ins, for the clinic."""
    require_clinic_staff(request.user)
    now = timezone.now()
    # A stopped plan has no step left to release (home.step_release refuses it), so it can need attention only for
    # an undecided alert or a symptom in the last 72 h (selectors.attention_row): the years of stopped plans a clinic
    # keeps are not loaded to find that out. A union of id queries, each on an index (bench/README.md).
    plans = access.challenges_for(request.user).filter(setting=Setting.HOME, entered_in_error=False)
    recent_symptoms = Observation.objects.filter(
        entered_in_error=False, severity__gt=0, observed_at__gte=now - timezone.timedelta(hours=72)
    ).values("challenge_id")
    open_alerts = StopAlert.objects.filter(decision="").values("challenge_id")
    under_way = plans.filter(status__in=[s for s in Status.values if s not in (Status.CANCELLED, Status.COMPLETED, Status.STOPPED)])
    stopped = plans.filter(status=Status.STOPPED).filter(Q(pk__in=recent_symptoms) | Q(pk__in=open_alerts))
    # The ids first (one query): as a subquery, PostgreSQL expects a thousand rows and joins every challenge.
    ids = list(under_way.values_list("pk", flat=True).order_by().union(stopped.values_list("pk", flat=True).order_by()))
    plans = selectors.with_run_data(Challenge.objects.filter(pk__in=ids))
    rows = [row for row in (selectors.attention_row(c, now) for c in plans) if row.reasons]
    overdue = (
        FollowUp.objects.filter(challenge__in=access.challenges_for(request.user), done_at__isnull=True, due_at__lt=now)
        .select_related("challenge__patient", "challenge__protocol__food").order_by("due_at")
    )  # fmt: skip
    return render(request, "challenges/home_attention.html", {"rows": rows, "overdue": overdue})


@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    require_allergist(request.user)
    challenge = _plan(request, pk)
    form = ReleaseForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    return _staff_act(request, challenge, lambda: home.step_release(challenge=challenge, by=request.user, reason=reason), _("Next step released."))


@require_http_methods(["GET", "POST"])
def change_plan(request: HttpRequest, pk: int) -> HttpResponse:
    require_allergist(request.user)
    challenge = _plan(request, pk)
    form = PlanChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            home.plan_change(challenge=challenge, by=request.user, **form.cleaned_data)
        except ChallengeRuleError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Plan changed; the earlier version is kept."))
            return redirect("challenges:detail", pk=challenge.pk)
    return render(request, "challenges/home_change.html", {"form": form, "challenge": challenge, "plan": selectors.home_plan_state(challenge)})


@require_POST
def follow_up(request: HttpRequest, pk: int, follow_up_pk: int) -> HttpResponse:
    challenge = get_object_or_404(access.challenges_for(request.user), pk=pk)
    item = get_object_or_404(challenge.follow_ups.all(), pk=follow_up_pk)
    form = FollowUpForm(request.POST)
    target = "challenges:home-plan" if request.user.is_patient else "challenges:detail"
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect(target, pk=challenge.pk)
    try:
        home.follow_up_record(follow_up=item, by=request.user, **form.cleaned_data)
    except ChallengeRuleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Check-in recorded."))
    return redirect(target, pk=challenge.pk)


def _staff_act(request: HttpRequest, challenge: Challenge, action: Callable[[], Any], success: str) -> HttpResponse:
    try:
        action()
    except ChallengeRuleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("challenges:detail", pk=challenge.pk)

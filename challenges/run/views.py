"""The bedside pages of a challenge run. Thin: access helper, form, service, redirect (or the page with errors)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import Action
from audit.services import log_access
from challenges import access
from challenges.library.models import Protocol
from challenges.reports import build_signed_report
from challenges.run import facts, selectors
from challenges.run import services as runs
from challenges.run.forms import (
    GIVEN_AS_FOOD,
    GIVEN_AS_MIX,
    AddendumForm,
    AdrenalineForm,
    BlindedVerdictForm,
    ChecksForm,
    DecisionForm,
    DischargeForm,
    DoseForm,
    FoodLotForm,
    MedicationDecisionForm,
    NeutrophilsForm,
    ObservationEndForm,
    ObservationForm,
    OutcomeForm,
    ReasonForm,
    ScheduleForm,
    SignForm,
    StopForm,
    SymptomsResolvedForm,
    TreatmentForm,
    VitalsForm,
    WashoutOverrideForm,
    WashoutStopForm,
)
from challenges.run.models import Challenge, Dose, Observation, StopKind, Treatment, VitalSigns, WashoutDecision
from clinical import countdown
from clinical import outcome as outcome_rules
from clinical.dates import format_clock
from clinical.display import amount_text
from clinical.errors import DomainError
from clinics import page_cache
from clinics.access import require_clinic_staff
from clinics.auth import mark_passive
from clinics.forms import EnteredInErrorForm
from clinics.http import AuthenticatedHttpRequest
from clinics.services import AlreadySubmitted, once
from patients.access import get_patient_for_staff
from patients.models import Patient

REFUSED = 400  # bad input, or a rule refused the write: the page again with the message; nothing was stored


# --- one write from a page ----------------------------------------------------------------------------------


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


# --- loading and showing a challenge ------------------------------------------------------------------------


def _challenge(request: AuthenticatedHttpRequest, pk: int) -> Challenge:
    require_clinic_staff(request.user)
    return get_object_or_404(selectors.with_run_data(access.challenges_for(request.user)), pk=pk)


def _target(request: AuthenticatedHttpRequest, pk: int) -> Challenge:
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
        return detail_page(request, _challenge(request, pk), status=REFUSED, error=message, **bound)

    return {"done": reverse("challenges:detail", args=[pk]), "refused": refused}


# --- pages --------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def schedule(request: AuthenticatedHttpRequest, patient_pk: int) -> HttpResponse:
    """Book a challenge. The medication check runs first, on the posted protocol and date, and nothing is saved
    until the user has seen the check for exactly that protocol, date and medication list ("Check medicines"
    shows it without saving; "Use this date" moves the booking to the earliest date and checks again)."""
    patient = get_patient_for_staff(request.user, patient_pk)
    clinic_id = require_clinic_staff(request.user)  # passed already, in get_patient_for_staff
    data = request.POST.copy() if request.method == "POST" else None
    continues, protocols = _continued(
        request, data, access.protocols_for(request.user).current().select_related("food")
    )
    booking_form = partial(
        ScheduleForm, protocols=protocols, clinic_id=clinic_id, continues=continues, signed_in=request.user
    )

    preview = data is not None and ("check" in data or "use_date" in data)
    seen_before: selectors.BookingCheck | None = None
    if data is not None and data.get("book_earliest"):
        # "Move the booking to the earliest date": one click that checks again on that date and books it when the
        # check shown for the old date is still the one on file and nothing new comes up.
        old = booking_form(data)
        if old.is_valid():
            seen_before = selectors.booking_check(
                patient, old.cleaned_data["protocol"], old.cleaned_data["scheduled_at"]
            )
        data["scheduled_at"] = str(data["book_earliest"])
    elif data is not None and data.get("use_date"):
        data["scheduled_at"] = str(data["use_date"])
    form = booking_form(data)
    check = None
    if data is not None and form.is_valid():
        check = selectors.booking_check(patient, form.cleaned_data["protocol"], form.cleaned_data["scheduled_at"])
        seen = not check.conflicts or form.cleaned_data["reviewed"] == check.fingerprint
        if seen_before is not None:
            seen = selectors.moved_booking_seen(seen_before, check, form.cleaned_data["reviewed"])
        if not preview and seen:
            book = lambda: runs.challenge_schedule(patient=patient, by=request.user, **form.booking_data())  # noqa: E731
            try:
                challenge = once(form.cleaned_data["submission_key"], request.user, book)
            except AlreadySubmitted as exc:
                if exc.result is None:
                    form.add_error(None, exc.message)
                else:
                    messages.info(request, exc.message)
                    return redirect("challenges:detail", pk=exc.result.pk)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Challenge scheduled."))
                if stale := facts.stale_dose_weight(challenge):
                    messages.warning(request, stale)
                return redirect("challenges:detail", pk=challenge.pk)
        else:
            data["reviewed"] = check.fingerprint
            form = booking_form(data)
    context = {"form": form, "patient": patient, "check": check, "continues": continues}
    return render(request, "challenges/challenge_schedule.html", context)


def _continued(
    request: AuthenticatedHttpRequest, data: Any, protocols: QuerySet[Protocol]
) -> tuple[Challenge | None, QuerySet[Protocol]]:
    """The challenge a booking continues (X5): `?continues=` on the page, the hidden field once posted; and the
    protocols it offers: those of the earlier challenge's allergen."""
    raw = (data or {}).get("continues") or request.GET.get("continues") or ""
    if not str(raw).isdigit():
        return None, protocols
    earlier = access.get_challenge_for_staff(request.user, int(raw))
    return earlier, protocols.filter(food__allergen_group=earlier.protocol.food.allergen_group)


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
        return _render_page(request, _challenge(request, pk), csrf_token=page_cache.CSRF_HOLE)

    title, body = page_cache.serve(request, page_cache.page_key("challenge", pk, found.version, request), fresh)
    return _page_response(request, title, body)


def _board_rows(request: AuthenticatedHttpRequest) -> str:
    """The board's counts and rows, rendered once per board version (the page versions of its challenges) and
    served from the page cache (clinics.page_cache), countdowns filled per request."""
    require_clinic_staff(request.user)
    today = timezone.localdate()
    version = page_cache.versions_digest(selectors.board_versions(request.user, today))

    def fresh() -> page_cache.Rendered:
        rows, counts = selectors.board(request.user, today)
        html = render_to_string("challenges/includes/_board_fragment.html", {"rows": rows, "counts": counts}, request)
        return page_cache.Rendered(
            title="",
            html=html,
            # a dose becoming overdue (the count), an observation ending, a booked start coming (the washout)
            changes_at=[
                moment
                for row in rows
                for moment in (
                    row.due_at + countdown.DUE_NOW_FOR if row.due_at else None,
                    row.observation.period.ends_at if row.observation else None,
                    row.challenge.scheduled_at,
                )
            ],
            max_age=page_cache.BEFORE_START_MAX_AGE
            if any(timezone.now() < row.challenge.scheduled_at for row in rows)
            else page_cache.MAX_AGE,
        )

    _title, html = page_cache.serve(request, page_cache.page_key("board", today.toordinal(), version, request), fresh)
    return html


def board(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Today's clinic challenges with their state, next-dose time and waiting alerts; it refreshes itself."""
    context = {
        "board_rows": _board_rows(request),
        "today": timezone.localdate(),
        "poll_seconds": settings.STEPWISE_BOARD_POLL_SECONDS,
    }
    return render(request, "challenges/board.html", context)


def board_fragment(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The board's counts and rows alone, fetched by static/stepwise/board.js every poll. A screen left on the
    board is not activity: the refresh does not keep the session alive (clinics.auth.mark_passive)."""
    mark_passive(request)
    return HttpResponse(_board_rows(request))


@require_POST
def keepalive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Called by static/stepwise/session.js while the bedside page of a running challenge is open: a nurse waiting
    30 min for the next dose stays signed in (within the absolute limit, clinics.auth). 204 while the challenge is
    under way; 409, without extending the session, once it is not."""
    challenge = _target(request, pk)
    if not selectors.bedside_open(challenge):
        mark_passive(request)
        return HttpResponse(status=HTTPStatus.CONFLICT)
    return HttpResponse(status=HTTPStatus.NO_CONTENT)


@require_http_methods(["GET", "POST"])
def checks(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _challenge(request, pk)
    planned = bool(challenge.protocol.premedications.all())
    form = ChecksForm(request.POST or None, premedication_planned=planned, fpies=challenge.protocol.kind == "fpies")
    if request.method == "POST" and form.is_valid():
        try:
            check = runs.checks_record(
                challenge=challenge, by=request.user, answers=form.answers(), baseline=form.baseline()
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            failed = check.failed_items()
            if failed:
                messages.warning(
                    request,
                    _("Not passed: %(items)s. The first dose is blocked unless an allergist overrides.")
                    % {"items": ", ".join(failed)},
                )
            else:
                messages.success(request, _("Pre-challenge checks passed."))
            return redirect("challenges:detail", pk=challenge.pk)
    state = selectors.run_state(challenge)
    context = {
        "form": form,
        "challenge": challenge,
        "conflicts": state.conflicts,
        "state": state,
        "premeds": facts.planned_premedication(challenge),
    }
    return render(request, "challenges/challenge_checks.html", context)


# --- actions, posted from the bedside page ------------------------------------------------------------------


@require_POST
def check_in(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    write = lambda _data: runs.challenge_check_in(challenge=challenge, by=request.user)  # noqa: E731
    return act(request, None, write, success=_("Checked in."), **on_detail_page(request, pk))


@require_POST
def checks_override(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = ReasonForm(request.POST)
    write = lambda data: runs.checks_override(challenge=challenge, by=request.user, reason=data["reason"])  # noqa: E731
    return act(request, form, write, success=_("Override recorded."), **on_detail_page(request, pk, reason_form=form))


def _current_medications(challenge: Challenge) -> Any:
    return challenge.patient.medications.filter(entered_in_error=False)


@require_POST
def washout_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The nurse confirms the day of the last dose of a drug that must be washed out."""
    challenge = _target(request, pk)
    form = WashoutStopForm(request.POST, medications=_current_medications(challenge))
    write = lambda data: runs.washout_confirm_stop(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(request, form, write, success=_("Stop date confirmed."), **on_detail_page(request, pk))


@require_POST
def washout_override(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The allergist lets the challenge go ahead on a drug that was not washed out, with a reason."""
    challenge = _target(request, pk)
    form = WashoutOverrideForm(request.POST, medications=_current_medications(challenge))
    write = lambda data: runs.washout_override(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(request, form, write, success=_("Wash-out override recorded."), **on_detail_page(request, pk))


@require_POST
def medication_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The allergist's risk review or steroid decision for one medication."""
    challenge = _target(request, pk)
    form = MedicationDecisionForm(request.POST, medications=_current_medications(challenge))
    write = lambda data: runs.medication_decide(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(request, form, write, success=_("Medication decision recorded."), **on_detail_page(request, pk))


@require_POST
def record_dose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A dose given. The service reads the challenge once, locked and access-checked (runs.Reachable); the form
    reads the clinic's staff only if the post names someone, and the food's unit only if an amount is typed or the
    form is drawn again."""
    clinic_id = require_clinic_staff(request.user)
    reachable = access.challenges_for(request.user)
    form = DoseForm(
        request.POST,
        unit=lambda: _target(request, pk).protocol.food.amount_unit,
        allow_override=request.user.is_allergist,
        staff=lambda: selectors.dose_staff(clinic_id),
    )

    def write(data: dict[str, Any]) -> runs.DoseRecorded:
        try:
            return runs.dose_record(
                challenge=runs.Reachable(pk, reachable),
                by=request.user,
                food_amount=data["food_amount"],
                mix_volume_ml=data["mix_volume_ml"],
                prepared_by=data["prepared_by"],
                checked_by=data["checked_by"],
                given_at=data["given_at"],
                idempotency_key=data["idempotency_key"],
                override_reason=data.get("override_reason", ""),
                notes=data["notes"],
            )
        except Challenge.DoesNotExist:  # not one of the user's challenges
            raise Http404 from None

    def recorded(result: runs.DoseRecorded) -> None:
        if result.created:
            messages.success(request, _("Dose recorded."))
        else:  # the same form again (back button, resubmit): say so; nothing was added
            messages.info(
                request,
                _("This dose was already recorded at %(time)s; nothing was added.")
                % {"time": format_clock(timezone.localtime(result.dose.given_at))},
            )

    return act(request, form, write, success=recorded, **on_detail_page(request, pk, dose_form=form))


@require_POST
def record_food_lot(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The pack of food used, before the first dose: brand, lot, expiry and the label's protein."""
    challenge = _target(request, pk)
    form = FoodLotForm(request.POST)
    write = lambda data: runs.food_lot_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(
        request, form, write, success=_("Food used recorded."), **on_detail_page(request, pk, food_lot_form=form)
    )


@require_POST
def record_observation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = ObservationForm(request.POST, checklist=challenge.protocol.checklist_items)
    write = lambda data: runs.observation_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(
        request, form, write, success=_("Finding recorded."), **on_detail_page(request, pk, observation_form=form)
    )


@require_POST
def record_vitals(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = VitalsForm(request.POST)
    write = lambda data: runs.vitals_record(challenge=challenge, by=request.user, values=dict(data))  # noqa: E731
    return act(
        request, form, write, success=_("Vital signs recorded."), **on_detail_page(request, pk, vitals_form=form)
    )


@require_POST
def record_treatment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = TreatmentForm(request.POST)
    write = lambda data: runs.treatment_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(
        request, form, write, success=_("Treatment recorded."), **on_detail_page(request, pk, treatment_form=form)
    )


@require_POST
def record_adrenaline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = AdrenalineForm(request.POST)
    write = lambda data: runs.adrenaline_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(
        request, form, write, success=_("Adrenaline recorded."), **on_detail_page(request, pk, adrenaline_form=form)
    )


@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int, alert_pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    alert = get_object_or_404(challenge.alerts.all(), pk=alert_pk)
    form = DecisionForm(request.POST)
    write = lambda data: runs.alert_decide(alert=alert, by=request.user, **data)  # noqa: E731
    return act(request, form, write, success=_("Decision recorded."), **on_detail_page(request, pk, decision_form=form))


@require_POST
def stop(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = StopForm(request.POST)
    write = lambda data: runs.challenge_stop(  # noqa: E731
        challenge=challenge, by=request.user, reason=data["reason"], kind=data["kind"]
    )
    success = _("Challenge stopped; the observation period has started.")
    return act(request, form, write, success=success, **on_detail_page(request, pk, reason_form=form))


@require_POST
def cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = ReasonForm(request.POST)
    write = lambda data: runs.challenge_cancel(challenge=challenge, by=request.user, reason=data["reason"])  # noqa: E731
    return act(request, form, write, success=_("Challenge cancelled."), **on_detail_page(request, pk, reason_form=form))


@require_POST
def mark_in_error(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = ReasonForm(request.POST)
    write = lambda data: runs.challenge_mark_entered_in_error(  # noqa: E731
        challenge=challenge, by=request.user, reason=data["reason"]
    )
    success = _("Challenge marked as entered in error; it stays in the record.")
    return act(request, form, write, success=success, **on_detail_page(request, pk, reason_form=form))


@require_POST
def addendum(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = AddendumForm(request.POST)
    write = lambda data: runs.addendum_add(challenge=challenge, by=request.user, text=data["reason"])  # noqa: E731
    return act(request, form, write, success=_("Addendum added."), **on_detail_page(request, pk, reason_form=form))


@require_POST
def finish_observation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = ObservationEndForm(request.POST)
    write = lambda data: runs.observation_finish(challenge=challenge, by=request.user, override_reason=data["reason"])  # noqa: E731
    return act(
        request, form, write, success=_("Observation period ended."), **on_detail_page(request, pk, reason_form=form)
    )


@require_POST
def confirm_outcome(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = OutcomeForm(request.POST)
    write = lambda data: runs.outcome_confirm(challenge=challenge, by=request.user, data=runs.OutcomeInput(**data))  # noqa: E731
    return act(request, form, write, success=_("Outcome confirmed."), **on_detail_page(request, pk, outcome_form=form))


@require_POST
def sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
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
    challenge = _target(request, pk)
    form = SymptomsResolvedForm(request.POST)
    write = lambda data: runs.symptoms_resolved_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    success = _("Symptoms resolved: the observation period has started.")
    return act(request, form, write, success=success, **on_detail_page(request, pk, resolution_form=form))


@require_POST
def neutrophils(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    form = NeutrophilsForm(request.POST)
    write = lambda data: runs.neutrophils_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(
        request, form, write, success=_("Neutrophil counts recorded."), **on_detail_page(request, pk, labs_form=form)
    )


@require_POST
def discharge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
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
    challenge = _target(request, pk)
    form = BlindedVerdictForm(request.POST)

    def write(data: dict[str, Any]) -> Challenge:
        after = data["after_dose"]
        return runs.blinded_verdict_record(
            challenge=challenge, by=request.user, reaction=after is not None, after_dose=after
        )

    return act(request, form, write, success=_("Blinded verdict recorded."), **on_detail_page(request, pk))


@require_POST
def unblind(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    write = lambda _data: runs.challenge_unblind(challenge=challenge, by=request.user)  # noqa: E731
    return act(request, None, write, success=_("Unblinded."), **on_detail_page(request, pk))


_RECORDS: dict[str, type[Dose | Observation | VitalSigns | Treatment | WashoutDecision]] = {
    "dose": Dose,
    "observation": Observation,
    "vitals": VitalSigns,
    "treatment": Treatment,
    "washout": WashoutDecision,
}


@require_POST
def record_error(request: AuthenticatedHttpRequest, pk: int, kind: str, record_pk: int) -> HttpResponse:
    challenge = _target(request, pk)
    record = get_object_or_404(_RECORDS[kind].objects.filter(challenge=challenge), pk=record_pk)
    form = EnteredInErrorForm(request.POST)
    write = lambda data: runs.record_mark_entered_in_error(record=record, by=request.user, reason=data["reason"])  # noqa: E731
    success = _("Marked as entered in error; it stays in the record.")
    return act(request, form, write, success=success, **on_detail_page(request, pk, reason_form=form))

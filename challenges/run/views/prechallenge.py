"""Before the first dose: check-in, the pre-challenge checks and the medication (wash-out) decisions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from challenges.run import facts, selectors
from challenges.run import services as runs
from challenges.run.forms.prechallenge import (
    ChecksForm,
    MedicationDecisionForm,
    WashoutOverrideForm,
    WashoutStopForm,
)
from challenges.run.forms.reasons import ReasonForm
from challenges.run.models import Challenge
from challenges.run.views.page import (
    act,
    challenge_for_page,
    on_detail_page,
    target,
)
from clinical.errors import DomainError
from clinics.http import AuthenticatedHttpRequest


@require_http_methods(["GET", "POST"])
def checks(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = challenge_for_page(request, pk)
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


@require_POST
def check_in(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    write = lambda _data: runs.challenge_check_in(challenge=challenge, by=request.user)  # noqa: E731
    return act(request, None, write, success=_("Checked in."), **on_detail_page(request, pk))


@require_POST
def checks_override(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = target(request, pk)
    form = ReasonForm(request.POST)
    write = lambda data: runs.checks_override(challenge=challenge, by=request.user, reason=data["reason"])  # noqa: E731
    return act(request, form, write, success=_("Override recorded."), **on_detail_page(request, pk, reason_form=form))


def _current_medications(challenge: Challenge) -> Any:
    return challenge.patient.medications.filter(entered_in_error=False)


@require_POST
def washout_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The nurse confirms the day of the last dose of a drug that must be washed out."""
    challenge = target(request, pk)
    form = WashoutStopForm(request.POST, medications=_current_medications(challenge))
    write = lambda data: runs.washout_confirm_stop(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(request, form, write, success=_("Stop date confirmed."), **on_detail_page(request, pk))


@require_POST
def washout_override(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The allergist lets the challenge go ahead on a drug that was not washed out, with a reason."""
    challenge = target(request, pk)
    form = WashoutOverrideForm(request.POST, medications=_current_medications(challenge))
    write = lambda data: runs.washout_override(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(request, form, write, success=_("Wash-out override recorded."), **on_detail_page(request, pk))


@require_POST
def medication_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The allergist's risk review or steroid decision for one medication."""
    challenge = target(request, pk)
    form = MedicationDecisionForm(request.POST, medications=_current_medications(challenge))
    write = lambda data: runs.medication_decide(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(request, form, write, success=_("Medication decision recorded."), **on_detail_page(request, pk))

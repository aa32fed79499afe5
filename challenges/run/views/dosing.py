"""Dosing, posted from the bedside page: a dose given, and the pack of food used."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from challenges import access
from challenges.run import selectors
from challenges.run import services as runs
from challenges.run.forms.dosing import (
    DoseForm,
    FoodLotForm,
)
from challenges.run.models import Challenge
from challenges.run.views.page import (
    act,
    on_detail_page,
    target,
)
from clinical.dates import format_clock
from clinics.access import require_clinic_staff
from clinics.http import AuthenticatedHttpRequest


@require_POST
def record_dose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A dose given. The service reads the challenge once, locked and access-checked (runs.Reachable); the form
    reads the clinic's staff only if the post names someone, and the food's unit only if an amount is typed or the
    form is drawn again."""
    clinic_id = require_clinic_staff(request.user)
    reachable = access.reach(request.user)
    form = DoseForm(
        request.POST,
        unit=lambda: target(request, pk).protocol.food.amount_unit,
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
    challenge = target(request, pk)
    form = FoodLotForm(request.POST)
    write = lambda data: runs.food_lot_record(challenge=challenge, by=request.user, **data)  # noqa: E731
    return act(
        request, form, write, success=_("Food used recorded."), **on_detail_page(request, pk, food_lot_form=form)
    )

"""Booking a challenge, after the medication check for exactly that protocol, date and medication list."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from challenges import access
from challenges.library.models import Protocol
from challenges.run import facts, selectors
from challenges.run import services as runs
from challenges.run.forms.booking import ScheduleForm
from challenges.run.models import Challenge
from clinical.errors import DomainError
from clinics.access import require_clinic_staff
from clinics.http import AuthenticatedHttpRequest
from clinics.services import AlreadySubmitted, once
from patients.access import get_patient_for_staff


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

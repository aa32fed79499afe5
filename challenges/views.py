"""The landing page: where each kind of user starts."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from challenges.home.selectors import plan_in_progress
from challenges.run.selectors import board
from clinics.http import AuthenticatedHttpRequest
from patients.access import own_patient_record


def landing(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff land on the start page, with what waits on today's board of their clinic; a patient lands on their
    home plan in progress, or else their record."""
    if request.user.is_patient:
        patient = own_patient_record(request.user)
        plan = plan_in_progress(patient)
        if plan is not None:
            return redirect("challenges:home-plan", pk=plan.pk)
        return redirect("patients:detail", pk=patient.pk)
    counts = board(request.user, timezone.localdate())[1] if request.user.is_clinic_staff else None
    return render(request, "clinics/home.html", {"counts": counts})

"""The landing page: where each kind of user starts."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render

from challenges.home.selectors import plan_in_progress
from clinics.http import AuthenticatedHttpRequest
from patients.access import own_patient_record


def landing(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff land on the start page; a patient lands on their home plan in progress, or else their record."""
    if request.user.is_patient:
        patient = own_patient_record(request.user)
        plan = plan_in_progress(patient)
        if plan is not None:
            return redirect("challenges:home-plan", pk=plan.pk)
        return redirect("patients:detail", pk=patient.pk)
    return render(request, "clinics/home.html", {})

"""The landing page and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from patients.access import own_patient_record


def home(request: HttpRequest) -> HttpResponse:
    """Staff land on today's board; a patient lands on their running home plan, or else their record."""
    if request.user.is_patient:
        patient = own_patient_record(request.user)
        plan = patient.challenges.filter(setting="home", entered_in_error=False).exclude(
            status__in=["cancelled", "completed", "stopped"]
        ).order_by("-scheduled_at").first()
        if plan is not None:
            return redirect("challenges:home-plan", pk=plan.pk)
        return redirect("patients:detail", pk=patient.pk)
    return render(request, "clinics/home.html", {})


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

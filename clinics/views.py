"""The landing page and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from patients.access import own_patient_record


def home(request: HttpRequest) -> HttpResponse:
    """Staff land on their clinic's overview; a patient lands on their own record."""
    if request.user.is_patient:
        return redirect("patients:detail", pk=own_patient_record(request.user).pk)
    return render(request, "clinics/home.html", {})


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

"""The access log: an allergist sees who opened or changed what in their clinic. Others get 404."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.forms import EventFilterForm
from audit.models import AuditEvent
from clinics.access import require_allergist
from clinics.http import AuthenticatedHttpRequest

PAGE_SIZE = 50


@require_GET
def event_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    clinic_id = require_allergist(request.user)
    form = EventFilterForm(request.GET or None, clinic_id=clinic_id)
    events = AuditEvent.objects.for_clinic(clinic_id).select_related("user", "patient")
    if form.is_bound and form.is_valid():
        events = form.filter(events)
    page = Paginator(events.order_by("-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/event_list.html", {"form": form, "page": page})

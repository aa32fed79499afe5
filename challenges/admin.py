"""Admin for the protocol library and the challenge records: both read-only here.

Every write goes through the app, where its rules live: foods are added and protocols written, versioned and cloned
by challenges.library (step checks, a new version once a challenge uses one, the standard library never changed in
place); challenges and everything recorded during them by challenges.run and challenges.home. The admin only shows
them, scoped to the user's clinic (standard library rows are shown to every clinic), with view-only history; a
challenge record's page is logged as a read of the patient's chart.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from challenges.home.models import CalendarFeed
from challenges.models import (
    Challenge,
    ChallengeEvent,
    Discharge,
    Dose,
    FollowUp,
    Food,
    FoodLot,
    Observation,
    PreChallengeCheck,
    PremedicationItem,
    Protocol,
    ProtocolStep,
    StepRelease,
    StopAlert,
    Treatment,
    VitalSigns,
    WashoutDecision,
)
from clinics.admin.base import ReadOnlyAdmin, admin_user, is_superuser


class LibraryAdmin(ReadOnlyAdmin):
    """Standard (clinic-less) rows are visible to every clinic's staff; a clinic's own rows only to that clinic."""

    def scope(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if is_superuser(request):
            return queryset
        clinic_id = admin_user(request).clinic_id
        own: dict[str, Any] = {self.clinic_path: clinic_id} if clinic_id else {"pk__in": []}
        return queryset.filter(Q(**{f"{self.clinic_path}__isnull": True}) | Q(**own))


class ReadOnlyRecordAdmin(ReadOnlyAdmin):
    clinic_path = "challenge__clinic"
    patient_path = "challenge.patient"


@admin.register(Food)
class FoodAdmin(LibraryAdmin):
    list_display = ["name", "form", "allergen_group", "protein_g_per_100", "clinic"]
    search_fields = ["name", "form"]


@admin.register(Protocol)
class ProtocolAdmin(LibraryAdmin):
    list_display = ["name", "version", "kind", "food", "clinic", "is_current"]
    list_filter = ["kind", "is_current"]
    search_fields = ["name"]


@admin.register(ProtocolStep)
class ProtocolStepAdmin(LibraryAdmin):
    clinic_path = "protocol__clinic"
    list_display = ["protocol", "number", "protein_mg", "food_amount", "interval_minutes"]


@admin.register(PremedicationItem)
class PremedicationItemAdmin(LibraryAdmin):
    clinic_path = "protocol__clinic"
    list_display = ["protocol", "drug", "dose", "minutes_before"]


@admin.register(Challenge)
class ChallengeAdmin(ReadOnlyRecordAdmin):
    clinic_path = "clinic"
    patient_path = "patient"
    list_display = ["patient", "protocol", "scheduled_at", "status", "outcome", "signed_at"]
    list_filter = ["status", "outcome", "setting"]


for model in (
    Dose,
    Observation,
    VitalSigns,
    Treatment,
    PreChallengeCheck,
    StopAlert,
    ChallengeEvent,
    StepRelease,
    FollowUp,
    WashoutDecision,
    Discharge,
    FoodLot,
):
    admin.site.register(model, ReadOnlyRecordAdmin)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """Patients' calendar links: who issued and revoked each, never the secret (only its digest is stored)."""

    clinic_path = "patient__clinic"
    patient_path = "patient"
    list_display = ["patient", "created_by", "created_at", "revoked_by", "revoked_at"]
    exclude = ["token_sha256"]

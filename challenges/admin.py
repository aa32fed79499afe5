"""Admin for the protocol library (editable, scoped to the clinic) and the challenge records (read-only: every
write to a running challenge goes through the services of challenges.run and challenges.home, where its rules live)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from challenges.models import (
    Challenge,
    ChallengeEvent,
    Dose,
    FollowUp,
    Food,
    Observation,
    PreChallengeCheck,
    PremedicationItem,
    Protocol,
    ProtocolStep,
    StepRelease,
    StopAlert,
    Treatment,
    VitalSigns,
)
from clinics.admin import ScopedAdmin


class LibraryAdmin(ScopedAdmin):
    """Standard (clinic-less) rows are visible to every clinic's staff; a clinic's own rows only to that clinic."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super(ScopedAdmin, self).get_queryset(request)
        if request.user.is_superuser:
            return queryset
        own = {self.clinic_path: request.user.clinic_id} if request.user.clinic_id else {"pk__in": []}
        return queryset.filter(Q(**{f"{self.clinic_path}__isnull": True}) | Q(**own))


class ReadOnlyRecordAdmin(ScopedAdmin):
    clinic_path = "challenge__clinic"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Food)
class FoodAdmin(LibraryAdmin):
    list_display = ["name", "form", "allergen_group", "protein_g_per_100", "clinic"]
    search_fields = ["name", "form"]


@admin.register(Protocol)
class ProtocolAdmin(LibraryAdmin):
    list_display = ["name", "version", "kind", "food", "clinic", "is_current"]
    list_filter = ["kind", "is_current"]


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
    list_display = ["patient", "protocol", "scheduled_at", "status", "outcome", "signed_at"]
    list_filter = ["status", "outcome", "setting"]


for model in (Dose, Observation, VitalSigns, Treatment, PreChallengeCheck, StopAlert, ChallengeEvent, StepRelease, FollowUp):
    admin.site.register(model, ReadOnlyRecordAdmin)

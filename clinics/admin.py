"""Admin for clinics and users; ScopedAdmin keeps non-superusers inside their own clinic."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from clinics.models import Clinic, User


class ScopedAdmin(SimpleHistoryAdmin):
    """History-keeping admin that shows a non-superuser only rows of their clinic and never deletes."""

    clinic_path = "clinic"  # ORM path from the model to its clinic

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if not request.user.clinic_id:
            return queryset.none()
        return queryset.filter(**{self.clinic_path: request.user.clinic_id})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Clinic)
class ClinicAdmin(ScopedAdmin):
    clinic_path = "pk"
    list_display = ["name", "time_zone", "phone"]


@admin.register(User)
class StepwiseUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "clinic", "is_active"]
    list_filter = ["role", "clinic", "is_active"]
    fieldsets = [*UserAdmin.fieldsets, ("Stepwise", {"fields": ["role", "clinic"]})]  # type: ignore[misc]
    add_fieldsets = [*UserAdmin.add_fieldsets, ("Stepwise", {"fields": ["role", "clinic"]})]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(clinic_id=request.user.clinic_id) if request.user.clinic_id else queryset.none()

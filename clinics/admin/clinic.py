"""The clinic's own rows: its settings (`ClinicAdmin`) and the one-time form keys (`SubmissionKeyAdmin`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clinics.admin.base import ClinicScopedMixin, is_superuser, superuser_only
from clinics.admin.rights import change_delta
from clinics.models import Clinic, SubmissionKey
from clinics.signals import announce_admin_change

CLINIC_SETTINGS = [
    "name",
    "time_zone",
    "address",
    "phone",
    "email",
    "report_page_size",
    "home_steps_need_release",
    "mrn_system",
]


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedMixin, admin.ModelAdmin):
    """A clinic's settings (the app has no page for them). Only a superuser adds a clinic; none is deleted; every
    change of a setting goes to the audit trail (Clinic keeps no history rows of its own)."""

    clinic_path = "pk"
    list_display = ["name", "time_zone", "phone"]
    search_fields = ["name"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request) and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Clinic, form: Any, change: bool) -> None:
        before = Clinic.objects.filter(pk=obj.pk).values(*CLINIC_SETTINGS).first() if change else None
        super().save_model(request, obj, form, change)
        after = {name: getattr(obj, name) for name in CLINIC_SETTINGS}
        change_ = change_delta(before, after) if before is not None else {"created": after}
        announce_admin_change(request, what="settings", target=obj, clinic_id=obj.pk, change=change_)


@admin.register(SubmissionKey)
class SubmissionKeyAdmin(superuser_only(admin.ModelAdmin)):  # type: ignore[misc]
    """One-time form keys (clinics.services.once): for a superuser to read; never added, changed or deleted."""

    list_display = ["key", "user", "created_at", "result_type", "result_id"]
    list_select_related = ["user", "result_type"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

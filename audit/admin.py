"""The audit trail in the admin (read-only; a non-superuser sees only their own clinic's events)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.models import AuditEvent, AuditEventQuerySet
from clinics.admin.base import ClinicScopedMixin, admin_user, is_superuser


@admin.register(AuditEvent)
class AuditEventAdmin(ClinicScopedMixin, admin.ModelAdmin):
    list_display = ["seq", "at", "action", "username", "patient", "object_type", "object_id", "ip"]
    list_filter = ["action"]
    search_fields = ["username", "object_id"]
    list_select_related = ["patient"]
    ordering = ["-seq"]
    fields = readonly_fields = (
        "seq",
        "at",
        "action",
        "user",
        "username",
        "clinic",
        "patient",
        "object_type",
        "object_id",
        "ip",
        "user_agent",
        "details",
        "previous_hash",
        "hash",
    )

    def scope(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if is_superuser(request):
            return queryset
        return cast(AuditEventQuerySet, queryset).for_clinic(admin_user(request).clinic_id)  # from AuditEvent.objects

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

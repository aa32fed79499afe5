"""The audit trail in the admin (read-only; a non-superuser sees only their own clinic's events), and the record of
access-rights and clinic-settings changes made in the admin (clinics.admin announces them; they are chained here)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.services import Entry, audit_append, client_ip
from clinics.admin import ClinicScopedMixin, admin_changed, is_superuser

# Changed in the admin: who may do what ("access.change": role, clinic, staff/superuser flags, permissions, groups,
# password set, two-factor device removed) or a clinic's settings ("settings.change"). Not yet among
# audit.models.Action's choices (adding them there needs a migration), so the admin list shows the code itself.
ADMIN_CHANGE_ACTIONS = {"access": "access.change", "settings": "settings.change"}


@receiver(admin_changed, dispatch_uid="audit.admin_changed")
def log_admin_change(
    sender: Any, request: HttpRequest, what: str, target: models.Model, clinic_id: int | None, change: dict,
    **kwargs: Any,
) -> AuditEvent:
    """One hash-chained row per change, in the admin's transaction: a change is kept with its record or not at all."""
    return audit_append(
        Entry(
            action=ADMIN_CHANGE_ACTIONS[what],
            user=request.user if request.user.is_authenticated else None,
            clinic_id=clinic_id,
            object_type=target._meta.label_lower,
            object_id=str(target.pk),
            details={"change": change, "path": request.path},
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    )


@admin.register(AuditEvent)
class AuditEventAdmin(ClinicScopedMixin, admin.ModelAdmin):
    list_display = ["seq", "at", "action", "username", "patient", "object_type", "object_id", "ip"]
    list_filter = ["action"]
    search_fields = ["username", "object_id"]
    list_select_related = ["patient"]
    ordering = ["-seq"]
    fields = readonly_fields = [
        "seq", "at", "action", "user", "username", "clinic", "patient", "object_type", "object_id", "ip", "user_agent",
        "details", "previous_hash", "hash",
    ]  # fmt: skip

    def scope(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if is_superuser(request):
            return queryset
        return queryset.for_clinic(request.user.clinic_id)  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

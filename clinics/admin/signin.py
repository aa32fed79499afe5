"""Sign-in records: axes (lockouts), django-otp's two-factor devices and backup codes, each scoped to the accounts
of the clinic."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinics.admin.base import ClinicScopedMixin, is_superuser, superuser_only
from clinics.admin.rights import announce_access_change
from clinics.models import User


class _ByClinicUserMixin(ClinicScopedMixin):
    """Rows about a user: a non-superuser sees those of the accounts they see in the user admin."""

    def visible_users(self, request: HttpRequest) -> QuerySet:
        return self.admin_site._registry[User].get_queryset(request)


class _AxesAdminMixin(_ByClinicUserMixin):
    """Axes rows are keyed by the username typed (any spelling): a non-superuser sees those naming an account of
    their clinic, read-only (lifting a lock is a superuser's job); rows for other or unknown names are not shown."""

    def scope(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if is_superuser(request):
            return queryset
        names = self.visible_users(request).annotate(folded=Lower("username")).values("folded")
        return queryset.annotate(folded_username=Lower("username")).filter(folded_username__in=names)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request) and super().has_delete_permission(request, obj)  # type: ignore[misc]

    def get_actions(self, request: HttpRequest) -> dict:
        return super().get_actions(request) if is_superuser(request) else {}  # type: ignore[misc]


for _model, _admin_class in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, type(f"Scoped{_admin_class.__name__}", (_AxesAdminMixin, _admin_class), {}))


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class ScopedTOTPDeviceAdmin(_ByClinicUserMixin, TOTPDeviceAdmin):
    """Two-factor devices of the clinic's accounts. A clinic's admin may remove one (a lost phone) for an account
    within their reach, which the audit trail records; only a superuser adds or edits a device or sees its key."""

    def scope(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if is_superuser(request):
            return queryset
        return queryset.filter(user__in=self.visible_users(request).values("pk"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_delete_permission(request, obj):
            return False
        if is_superuser(request) or obj is None:
            return True
        user_admin = self.admin_site._registry[User]
        return user_admin._within_reach(request, obj.user)  # type: ignore[attr-defined]

    def get_actions(self, request: HttpRequest) -> dict:
        return super().get_actions(request) if is_superuser(request) else {}

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        return shown if is_superuser(request) else [name for name in shown if name != "qrcode_link"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if is_superuser(request):
            return fieldsets
        hidden = {"key", "qrcode_link"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def config_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not is_superuser(request):
            raise PermissionDenied  # the key is the second factor itself
        return super().config_view(request, pk)

    def qrcode_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not is_superuser(request):
            raise PermissionDenied
        return super().qrcode_view(request, pk)

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        change = {"deleted": {"two_factor_device": obj.name, "user_id": obj.user_id}}
        announce_access_change(request, target=obj, clinic_id=obj.user.clinic_id, change=change)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset.select_related("user"):
            change = {"deleted": {"two_factor_device": obj.name, "user_id": obj.user_id}}
            announce_access_change(request, target=obj, clinic_id=obj.user.clinic_id, change=change)
        super().delete_queryset(request, queryset)


# Backup codes (django-otp's static device): the account's own; a superuser may read or remove them, nobody else.
if admin.site.is_registered(StaticDevice):
    admin.site.unregister(StaticDevice)
admin.site.register(StaticDevice, superuser_only(StaticDeviceAdmin))

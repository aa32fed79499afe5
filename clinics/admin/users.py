"""Users and groups (`StepwiseUserAdmin`, `StepwiseGroupAdmin`): who may give which role and permission to whom,
and every change of access announced to the audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from clinics.admin.base import ClinicScopedMixin, admin_user, is_superuser, superuser_only
from clinics.admin.rights import (
    access_snapshot,
    announce_access_change,
    change_delta,
    grantable_permissions,
    granted_permissions,
    permission_names,
)
from clinics.models import Role, User

STAFF_ROLES = (Role.ALLERGIST, Role.NURSE)
# What a role may do in the app, in order: a clinic's admin gives, and manages accounts of, no role above their own
# (a nurse who could make an allergist's account, or reset one's password, could sign as an allergist).
ROLE_RANK = {"": 0, Role.PATIENT: 1, Role.NURSE: 2, Role.ALLERGIST: 3}


@admin.register(User)
class StepwiseUserAdmin(ClinicScopedMixin, UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "clinic", "is_active", "is_staff"]
    list_filter = ["role", "clinic", "is_active", "is_staff"]
    fieldsets = [  # type: ignore[misc]
        *UserAdmin.fieldsets,
        (_("Stepwise"), {"fields": ["role", "clinic", "registration_number", "can_prepare_blinded"]}),
    ]
    add_fieldsets = [*UserAdmin.add_fieldsets, (_("Stepwise"), {"fields": ["role", "clinic"]})]

    def scope(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """A clinic's admin sees their clinic's accounts, never a superuser's."""
        if is_superuser(request):
            return queryset
        return super().scope(request, queryset).filter(is_superuser=False)

    # What a non-superuser is shown and may set.
    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if is_superuser(request):
            return super().get_fieldsets(request, obj)
        if obj is None:
            return [
                (None, {"classes": ["wide"], "fields": ["username", "usable_password", "password1", "password2"]}),
                (_("Stepwise"), {"fields": ["role"]}),
            ]
        return [
            (None, {"fields": ["username", "password"]}),
            (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
            (_("Permissions"), {"fields": ["is_active", "is_staff", "user_permissions"]}),
            (_("Stepwise"), {"fields": ["role", "clinic", "registration_number", "can_prepare_blinded"]}),
            (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if is_superuser(request):
            return readonly
        readonly += ["clinic", "last_login", "date_joined"]
        if obj is not None and obj.pk == request.user.pk:
            readonly += ["is_active", "is_staff", "role", "user_permissions"]  # nobody changes their own access
        return readonly

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user_permissions":
            kwargs["queryset"] = grantable_permissions(request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if is_superuser(request):
            return form_class

        editor = admin_user(request)
        clinic_id, rank = editor.clinic_id, ROLE_RANK.get(editor.role, 0)

        class ClinicAdminUserForm(form_class):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, **form_kwargs)
                if self.instance.pk is None:
                    self.instance.clinic_id = clinic_id  # a clinic's admin adds accounts to their own clinic only
                if "role" in self.fields:
                    choices = self.fields["role"].choices
                    self.fields["role"].choices = [(v, label) for v, label in choices if ROLE_RANK.get(v, 99) <= rank]

            def clean(self) -> dict[str, Any]:
                data = super().clean()
                is_staff = data.get("is_staff", getattr(self.instance, "is_staff", False))
                role = data.get("role", getattr(self.instance, "role", ""))
                if is_staff and role not in STAFF_ROLES:
                    raise forms.ValidationError(_("Only allergists and nurses can be given staff (admin) access."))
                return data

        ClinicAdminUserForm.__name__ = form_class.__name__
        return ClinicAdminUserForm

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or is_superuser(request) or self._within_reach(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request) and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not is_superuser(request):
            actions.pop("delete_selected", None)
        return actions

    @staticmethod
    def _within_reach(request: HttpRequest, obj: User) -> bool:
        """A clinic's admin changes (and sets the password of) only a non-superuser of their clinic, in a role no
        higher than their own, whose every permission they hold too: otherwise a password reset would be a way into
        wider rights."""
        editor = admin_user(request)
        if obj.is_superuser or not editor.clinic_id or obj.clinic_id != editor.clinic_id:
            return False
        if ROLE_RANK.get(obj.role, 99) > ROLE_RANK.get(editor.role, 0):
            return False
        return granted_permissions(obj) <= editor.get_all_permissions()

    # Writes: the clinic never changes by a non-superuser's hand; every access change goes to the audit trail.
    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        before = User.objects.get(pk=obj.pk) if change else None
        if not is_superuser(request):
            obj.is_superuser = before.is_superuser if before else False
            obj.clinic_id = before.clinic_id if before else admin_user(request).clinic_id
        form.access_before = (access_snapshot(before), before.password) if before else ({}, "")
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before, old_password = getattr(form, "access_before", ({}, ""))
        change_ = change_delta(before, access_snapshot(obj)) if change else {"created": access_snapshot(obj)}
        if change and obj.password != old_password:
            change_["password"] = ["(set by an admin)"]
        announce_access_change(request, target=obj, clinic_id=obj.clinic_id, change=change_)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        with transaction.atomic():
            user = self.get_object(request, unquote(id))
            old_password = user.password if user is not None else None
            response = super().user_change_password(request, id, form_url)
            if user is not None and request.method == "POST":
                user.refresh_from_db(fields=["password"])
                if user.password != old_password:
                    change = {"password": ["(set by an admin)"]}
                    announce_access_change(request, target=user, clinic_id=user.clinic_id, change=change)
        return response

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        announce_access_change(request, target=obj, clinic_id=obj.clinic_id, change={"deleted": access_snapshot(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            change = {"deleted": access_snapshot(obj)}
            announce_access_change(request, target=obj, clinic_id=obj.clinic_id, change=change)
        super().delete_queryset(request, queryset)


def _group_snapshot(group: Group) -> dict[str, Any]:
    if not group.pk:
        return {}
    return {"name": group.name, "permissions": sorted(permission_names(group.permissions.all()))}


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class StepwiseGroupAdmin(superuser_only(GroupAdmin)):  # type: ignore[misc]
    """Groups span clinics, so only superusers see them; what a group grants is in the audit trail."""

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        form.access_before = _group_snapshot(Group.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        after = _group_snapshot(form.instance)
        change_ = change_delta(getattr(form, "access_before", {}), after) if change else {"created": after}
        announce_access_change(request, target=form.instance, clinic_id=None, change=change_)

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        announce_access_change(request, target=obj, clinic_id=None, change={"deleted": _group_snapshot(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            announce_access_change(request, target=obj, clinic_id=None, change={"deleted": _group_snapshot(obj)})
        super().delete_queryset(request, queryset)

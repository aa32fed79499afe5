"""The admin, kept inside the rules of the app ("the admin can never write what the app forbids").

- Scope: a non-superuser sees only their own clinic's rows on every page, list, filter, dropdown and autocomplete
  (`ClinicScopedMixin`). What cannot be tied to a clinic (groups) is shown to superusers only.
- History is for reading: simple-history's "revert" is off for every model, its pages are scoped like the rest, and
  they answer GET only (`ScopedAdmin`).
- Clinical writes go through the app: challenge records and the protocol library are read-only here
  (challenges/admin.py); patients, triggers and medications are edited only through the app's own forms and
  `clinical_record_save` (`ClinicalRecordAdmin`, patients/admin.py).
- Access rights (`StepwiseUserAdmin`): only a superuser makes superusers, moves users between clinics or manages
  groups. A clinic's admin manages only their clinic's non-superusers in a role no higher than their own and whose
  permissions they hold themselves, grants only such roles and permissions, never changes their own access, and
  gives staff (admin) rights to allergists and nurses only.
- Trail: every change of who may do what, and of a clinic's settings, is announced (`admin_changed`) to the audit
  trail, which records it in its hash chain (audit/admin.py); with nobody listening, the change is not saved.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from clinics.models import Clinic, Role, SubmissionKey, User
from clinics.services import clinical_record_save
from clinics.signals import ChartAccess, announce_admin_change, announce_chart_opened


def announce_access_change(request: HttpRequest, *, target: models.Model, clinic_id: int | None, change: dict) -> None:
    announce_admin_change(request, what="access", target=target, clinic_id=clinic_id, change=change)


def is_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


def admin_user(request: HttpRequest) -> User:
    """The user of an admin page: AdminSite.admin_view lets only signed-in, active staff reach a ModelAdmin."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def visible_rows(request: HttpRequest, site: admin.AdminSite, model: type[models.Model]) -> QuerySet:
    """The rows of `model` this user may see in the admin: for dropdowns, filters and autocompletes.

    Only an admin that scopes by clinic can vouch for its rows; any other related model offers a non-superuser no
    choice at all.
    """
    model_admin = site._registry.get(model)
    if is_superuser(request):
        return model_admin.get_queryset(request) if model_admin else model._default_manager.all()
    if isinstance(model_admin, ClinicScopedMixin) and model_admin.has_module_permission(request):
        return model_admin.get_queryset(request)
    return model._default_manager.none()


class ClinicScopedMixin:
    """Non-superusers see only rows of their own clinic (`clinic_path` leads from the model to its clinic id)."""

    clinic_path = "clinic"
    # Set by ModelAdmin, which every class using this mixin also inherits.
    model: type[models.Model]
    admin_site: admin.AdminSite

    def scope(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if is_superuser(request):
            return queryset
        clinic_id = admin_user(request).clinic_id
        if not clinic_id:
            return queryset.none()
        return queryset.filter(**{self.clinic_path: clinic_id})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope(request, super().get_queryset(request))  # type: ignore[misc]

    def get_list_filter(self, request: HttpRequest) -> list:
        """A filter on a relation offers only the values in the (scoped) list, never every clinic's rows."""
        return [_related_only(self.model, entry) for entry in super().get_list_filter(request)]  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not is_superuser(request):
            related = db_field.remote_field.model
            kwargs["queryset"] = visible_rows(request, self.admin_site, related)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not is_superuser(request) and "queryset" not in kwargs:
            related = db_field.remote_field.model
            kwargs["queryset"] = visible_rows(request, self.admin_site, related)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


def _related_only(model: type[models.Model], entry: Any) -> Any:
    if not isinstance(entry, str):
        return entry
    try:
        field = get_fields_from_path(model, entry)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return entry
    return (entry, admin.RelatedOnlyFieldListFilter) if field.is_relation else entry


class ScopedAdmin(ClinicScopedMixin, SimpleHistoryAdmin):
    """Scoped, never deletes, and its history is for reading only: no revert, and the history pages answer only
    for rows this user may see (a row of another clinic is a 404, never its latest history row).

    A page showing one row of a patient's chart (`patient_path`: "self", or the attributes leading to the patient)
    is logged as the app logs its chart pages (chart opened / chart history opened), and fails closed the same way.
    """

    patient_path: str | None = None

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        self._announce_chart_read(request, object_id, response, ChartAccess.VIEW)
        return response

    def _announce_chart_read(self, request: HttpRequest, object_id: str, response: HttpResponse, action: Any) -> None:
        if self.patient_path is None or response.status_code != HTTPStatus.OK:
            return
        patient = self.get_object(request, unquote(object_id))
        if self.patient_path != "self":
            for name in self.patient_path.split("."):
                patient = getattr(patient, name, None)
        if patient is not None:
            announce_chart_opened(request, patient=patient, action=action)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # History: view only, scoped.
    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        self._visible_or_404(request, object_id)
        response = super().history_view(request, object_id, extra_context)
        self._announce_chart_read(request, object_id, response, ChartAccess.HISTORY)
        return response

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied  # "revert": history is never written back through the admin
        self._visible_or_404(request, object_id)
        request._stepwise_history_page = True  # type: ignore[attr-defined]  # every field shown read-only
        response = super().history_form_view(request, object_id, version_id, extra_context)
        self._announce_chart_read(request, object_id, response, ChartAccess.HISTORY)
        return response

    def _visible_or_404(self, request: HttpRequest, object_id: str) -> Any:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = super().get_readonly_fields(request, obj)
        if getattr(request, "_stepwise_history_page", False):
            editable = [
                f.name
                for f in self.model._meta.get_fields()
                if getattr(f, "editable", False) and (f.concrete or f.many_to_many) and not f.auto_created
            ]
            return [*readonly, *(name for name in editable if name not in readonly)]
        return readonly


class ReadOnlyAdmin(ScopedAdmin):
    """Rows the admin shows but never writes (their writes go through the app's services)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClinicalRecordAdmin(ScopedAdmin):
    """A clinical record the app lets staff edit: edited here only through the app's own form (`form`) and
    `clinical_record_save` (its checks, the history user and the optimistic lock), never once entered in error.
    Records are added, and marked entered in error, in the app only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and getattr(obj, "entered_in_error", False):
            return False
        return super().has_change_permission(request, obj)

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        """Extra keyword arguments the app's form takes (e.g. the patient form's clinic)."""
        return {}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list:
        fields = list(super().get_fields(request, obj))
        editing = obj is not None and self.has_change_permission(request, obj)
        if not editing or getattr(request, "_stepwise_history_page", False):
            fields = [name for name in fields if name != "seen_version"]
        return fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        extra = self.form_kwargs(obj)

        class AppForm(form_class):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, **{**extra, **form_kwargs})
                if "seen_version" in self.fields and self.instance.pk:
                    self.fields["seen_version"].required = True  # no silent overwrite from the admin (L4)

            def clean(self) -> dict[str, Any]:
                data = super().clean()
                seen = data.get("seen_version")
                if seen is not None and self.instance.pk and seen != getattr(self.instance, "version", seen):
                    raise ValidationError(
                        _(
                            "Someone else changed this record after you opened it. Nothing was "
                            "saved: reload to see their change, then make yours again."
                        )
                    )
                return data

        AppForm.__name__ = form_class.__name__
        return AppForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        clinical_record_save(record=obj, by=admin_user(request), expected_version=form.cleaned_data.get("seen_version"))


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
        change_ = _delta(before, after) if before is not None else {"created": after}
        announce_admin_change(request, what="settings", target=obj, clinic_id=obj.pk, change=change_)


# --- Users, groups and permissions --------------------------------------------------------------------------------

STAFF_ROLES = (Role.ALLERGIST, Role.NURSE)
# What a role may do in the app, in order: a clinic's admin gives, and manages accounts of, no role above their own
# (a nurse who could make an allergist's account, or reset one's password, could sign as an allergist).
ROLE_RANK = {"": 0, Role.PATIENT: 1, Role.NURSE: 2, Role.ALLERGIST: 3}


def _permission_names(permissions: QuerySet) -> set[str]:
    return {f"{app}.{codename}" for app, codename in permissions.values_list("content_type__app_label", "codename")}


def granted_permissions(user: User) -> set[str]:
    """Every permission the account carries (its own and its groups'), whether or not it is active now."""
    return _permission_names(Permission.objects.filter(Q(user=user) | Q(group__user=user)).distinct())


def grantable_permissions(request: HttpRequest) -> QuerySet:
    """The permissions this admin may hand out: all for a superuser, otherwise only those they hold themselves."""
    everything = Permission.objects.select_related("content_type")
    if is_superuser(request):
        return everything
    held = Q(pk__in=[])
    for name in request.user.get_all_permissions():
        app_label, _dot, codename = name.partition(".")
        held |= Q(content_type__app_label=app_label, codename=codename)
    return everything.filter(held)


def access_snapshot(user: User) -> dict[str, Any]:
    """What decides what the account may do, as the audit trail records it (never the password hash)."""
    if not user.pk:
        return {}
    return {
        "username": user.username,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "role": user.role,
        "clinic_id": user.clinic_id,
        "can_prepare_blinded": user.can_prepare_blinded,  # sees the placebo key of blinded challenges
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(_permission_names(user.user_permissions.all())),
    }


def _delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


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
        change_ = _delta(before, access_snapshot(obj)) if change else {"created": access_snapshot(obj)}
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


def _superuser_only(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """An admin for rows that belong to no clinic: hidden from everyone but superusers."""

    class SuperuserOnly(admin_class):  # type: ignore[misc, valid-type]
        def has_module_permission(self, request: HttpRequest) -> bool:
            return is_superuser(request)

        def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return is_superuser(request)

        def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
            return is_superuser(request) and super().has_add_permission(request, *args)

        def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return is_superuser(request) and super().has_change_permission(request, obj)

        def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return is_superuser(request) and super().has_delete_permission(request, obj)

    SuperuserOnly.__name__ = SuperuserOnly.__qualname__ = f"SuperuserOnly{admin_class.__name__}"
    return SuperuserOnly


def _group_snapshot(group: Group) -> dict[str, Any]:
    if not group.pk:
        return {}
    return {"name": group.name, "permissions": sorted(_permission_names(group.permissions.all()))}


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class StepwiseGroupAdmin(_superuser_only(GroupAdmin)):  # type: ignore[misc]
    """Groups span clinics, so only superusers see them; what a group grants is in the audit trail."""

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        form.access_before = _group_snapshot(Group.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        after = _group_snapshot(form.instance)
        change_ = _delta(getattr(form, "access_before", {}), after) if change else {"created": after}
        announce_access_change(request, target=form.instance, clinic_id=None, change=change_)

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        announce_access_change(request, target=obj, clinic_id=None, change={"deleted": _group_snapshot(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            announce_access_change(request, target=obj, clinic_id=None, change={"deleted": _group_snapshot(obj)})
        super().delete_queryset(request, queryset)


# --- Sign-in records: axes (lockouts) and django-otp (two-factor devices) -----------------------------------------


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


# --- one-time form keys ----------------------------------------------------------------------------------------


@admin.register(SubmissionKey)
class SubmissionKeyAdmin(_superuser_only(admin.ModelAdmin)):  # type: ignore[misc]
    """One-time form keys (clinics.services.once): for a superuser to read; never added, changed or deleted."""

    list_display = ["key", "user", "created_at", "result_type", "result_id"]
    list_select_related = ["user", "result_type"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Backup codes (django-otp's static device): the account's own; a superuser may read or remove them, nobody else.
if admin.site.is_registered(StaticDevice):
    admin.site.unregister(StaticDevice)
admin.site.register(StaticDevice, _superuser_only(StaticDeviceAdmin))

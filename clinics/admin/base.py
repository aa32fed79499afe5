"""The admin classes every Stepwise admin builds on: scoped to the user's clinic (`ClinicScopedMixin`), history for
reading only (`ScopedAdmin`), rows never written here (`ReadOnlyAdmin`), clinical records edited only through the
app's own form and service (`ClinicalRecordAdmin`), and rows for superusers only (`superuser_only`)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from clinics.models import User
from clinics.services import clinical_record_save
from clinics.signals import ChartAccess, announce_chart_opened


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


def superuser_only(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
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

"""Helpers for driving the admin through its URLs and checking that nothing changed."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db.models import Model
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from audit.models import AuditEvent
from clinics.models import User


def admin_url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def keeps_history(model: type[Model]) -> bool:
    return isinstance(admin.site._registry[model], SimpleHistoryAdmin) and hasattr(model, "history")


def history_form_url(obj: Model, history_id: int) -> str:
    return admin_url(type(obj), "simple_history", obj.pk, history_id)


def latest_history_id(obj: Model) -> int:
    history = obj.history  # type: ignore[attr-defined]
    return history.order_by("-history_id").values_list("history_id", flat=True).first()


def db_state() -> dict[str, Any]:
    """Every row of every model the admin shows, their history rows, and who holds which permission or group."""
    state: dict[str, Any] = {}
    for model in admin.site._registry:
        rows = model._base_manager.order_by()
        if model is AuditEvent:
            rows = rows.exclude(action__startswith="chart.")  # reads of a chart are logged, as they should be
        state[model._meta.label] = sorted(rows.values_list(), key=repr)
        history = getattr(model, "history", None)
        if history is not None and hasattr(history, "model"):
            state[f"history:{model._meta.label}"] = history.model._base_manager.count()
    state["user_permissions"] = sorted(User.user_permissions.through.objects.values_list("user_id", "permission_id"))
    state["user_groups"] = sorted(User.groups.through.objects.values_list("user_id", "group_id"))
    state["group_permissions"] = sorted(Group.permissions.through.objects.values_list("group_id", "permission_id"))
    return state


def refused(response: HttpResponse) -> bool:
    """Not shown: 403, 404, or the admin's "does not exist" redirect to its index (never to the object)."""
    if response.status_code == HTTPStatus.FOUND:
        return response["Location"] == reverse("admin:index")
    return response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)


def tampered_form_data(obj: Model) -> dict[str, Any]:
    """The row's own values as a form would post them, with every text field overwritten: what an attacker sends."""
    data: dict[str, Any] = {"_save": "Save"}
    for name, value in model_to_dict(obj).items():
        field = obj._meta.get_field(name)
        if field.get_internal_type() in ("CharField", "TextField") and not field.choices:
            data[name] = "tampered"
        elif field.get_internal_type() == "DecimalField" and value is not None:
            data[name] = "999"
        elif value is None:
            data[name] = ""
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    return data


def choice_querysets(response: HttpResponse) -> list[Any]:
    """The querysets behind every dropdown / multi-select of the admin form on this page."""
    form = response.context["adminform"].form
    return [field.queryset for field in form.fields.values() if hasattr(field, "queryset")]


def held_permissions(user: User) -> set[int]:
    held = User.objects.get(pk=user.pk).get_all_permissions()
    return {
        p.pk
        for p in Permission.objects.select_related("content_type")
        if f"{p.content_type.app_label}.{p.codename}" in held
    }

"""Access rights as the admin handles them: the permissions an account carries and an admin may grant, the
snapshot of what an account may do, and the announcement of a change of either to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from clinics.admin.base import is_superuser
from clinics.models import User
from clinics.signals import announce_admin_change


def announce_access_change(request: HttpRequest, *, target: models.Model, clinic_id: int | None, change: dict) -> None:
    announce_admin_change(request, what="access", target=target, clinic_id=clinic_id, change=change)


def permission_names(permissions: QuerySet) -> set[str]:
    return {f"{app}.{codename}" for app, codename in permissions.values_list("content_type__app_label", "codename")}


def granted_permissions(user: User) -> set[str]:
    """Every permission the account carries (its own and its groups'), whether or not it is active now."""
    return permission_names(Permission.objects.filter(Q(user=user) | Q(group__user=user)).distinct())


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
        "permissions": sorted(permission_names(user.user_permissions.all())),
    }


def change_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }

"""Signal receivers that put sign-ins, chart reads, admin access changes and every simple-history row into the audit
chain (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest
from simple_history.signals import post_create_historical_record

from audit import services
from audit.models import Action, AuditEvent
from audit.services import Entry, audit_append, client_ip
from clinics.models import User
from clinics.signals import admin_changed, chart_opened


@receiver(post_create_historical_record, dispatch_uid="audit.record_change")
def chain_history_row(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    # Raising here rolls back the caller's transaction: a change is kept with its history and audit rows, or not at all.
    services.log_record_change(instance=instance, history_instance=history_instance)


@receiver(user_logged_in, dispatch_uid="audit.login")
def log_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    services.log_sign_in_event(request, action=Action.LOGIN, user=user)


@receiver(user_logged_out, dispatch_uid="audit.logout")
def log_logout(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:  # signing out without a session logs nothing
        services.log_sign_in_event(request, action=Action.LOGOUT, user=user)


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def log_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if getattr(request, "axes_locked_out", False):
        return  # refused by a lock already in force: its lockout row stands for it (security review L6)
    username = str(credentials.get("username") or "")
    services.log_sign_in_event(request, action=Action.LOGIN_FAILED, user=None, username=username)


def log_lockout(sender: Any, request: HttpRequest | None = None, username: str = "", **kwargs: Any) -> None:
    """django-axes locked an account or address out (connected in apps.py when axes is installed).

    Axes signals a lockout on every refused attempt; the log keeps the first for a username and address within
    the cool-off, so an attacker hammering a lock cannot flood the hash chain (security review L6).
    """
    services.log_lockout_once(request, username=str(username or ""))


@receiver(chart_opened, dispatch_uid="audit.chart_opened")
def log_chart_opened(sender: Any, request: HttpRequest, patient: Any, action: str, **kwargs: Any) -> None:
    services.log_access(request, patient=patient, action=action)


# Changed in the admin: who may do what (role, clinic, staff/superuser flags, permissions, groups, password set,
# two-factor device removed) or a clinic's settings.
ADMIN_CHANGE_ACTIONS = {"access": Action.ACCESS_CHANGE, "settings": Action.SETTINGS_CHANGE}


@receiver(admin_changed, dispatch_uid="audit.admin_changed")
def log_admin_change(
    sender: Any,
    request: HttpRequest,
    what: str,
    target: models.Model,
    clinic_id: int | None,
    change: dict,
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
            ip=client_ip(request) or "",  # unknown: "", as every other audit row has it
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    )

"""Signals the base apps send so that the apps above them (the audit trail) can act without being imported here."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.dispatch import Signal
from django.http import HttpRequest

# Sent after the access check, when the signed-in user opens a patient's chart: request, patient, action.
chart_opened = Signal()


class ChartAccess(StrEnum):
    """What was opened; the values are the audit trail's action codes."""

    VIEW = "chart.view"
    HISTORY = "chart.history"


def announce_chart_opened(request: HttpRequest, *, patient: Any, action: ChartAccess) -> None:
    """Tell the access log that this chart was opened. Fails closed: a chart is never shown unlogged."""
    if not chart_opened.send(sender=type(patient), request=request, patient=patient, action=action.value):
        raise ImproperlyConfigured("No access log is listening for chart_opened (is the audit app installed?)")


# Sent when the admin changes who may do what (what="access": a user, group or two-factor device) or a clinic's
# settings (what="settings"): request, what, target, clinic_id (whose log it belongs in, or None) and change
# ({"field": [before, after]}, or {"created"/"deleted": {...}}).
admin_changed = Signal()


def announce_admin_change(
    request: HttpRequest, *, what: str, target: models.Model, clinic_id: int | None, change: dict
) -> None:
    """Tell the audit trail; fails closed (the admin's transaction rolls back) if nobody records it."""
    if not change:
        return
    sent = admin_changed.send(
        sender=type(target), request=request, what=what, target=target, clinic_id=clinic_id, change=change
    )
    if not sent:
        raise ImproperlyConfigured("No audit trail is listening for admin_changed (is the audit app installed?)")

"""Reads for home plans."""

from __future__ import annotations

from challenges.run.models import Challenge, Setting, Status
from patients.models import Patient

ENDED = (Status.CANCELLED, Status.COMPLETED, Status.STOPPED)


def plan_in_progress(patient: Patient) -> Challenge | None:
    """The patient's latest home plan that has not ended (a paused plan is still in progress)."""
    return (
        patient.challenges.filter(setting=Setting.HOME, entered_in_error=False)
        .exclude(status__in=ENDED)
        .order_by("-scheduled_at")
        .first()
    )

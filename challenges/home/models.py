"""Home reintroduction: the allergist's release of a home step, and the patient's private calendar link.

Follow-up check-ins (FollowUp) are scheduled by the run for every challenge, so they live in challenges.run.models;
they are re-exported here for the callers that import them from the home slice.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from challenges.run.models import Challenge, FollowUp, FollowUpMethod
from clinics.models import ClinicalRecordError, NoDeleteQuerySet
from patients.models import Patient

USER = settings.AUTH_USER_MODEL


class StepRelease(models.Model):
    """An allergist lets the patient take a home step (when the clinic requires it), or releases a paused plan."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="releases")
    step_number = models.PositiveSmallIntegerField()
    released_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True, max_length=2000)

    objects = NoDeleteQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "released_at", "pk"]

    def __str__(self) -> str:
        return f"Step {self.step_number} released on challenge {self.challenge_id}"

    def delete(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise ClinicalRecordError("Step releases are never deleted.", code="no_delete")


def calendar_token_digest(token: str) -> str:
    """What is stored of a calendar link's secret: its SHA-256 (the link itself is shown once, when issued)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class CalendarFeed(models.Model):
    """A patient's private calendar subscription: the phone fetches the home plan by a secret link, with no
    sign-in. Only the SHA-256 of the secret is kept, so a copy of the database gives no working link; a revoked
    link stops working at once and stays on record (who issued and revoked it, when)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="calendar_feeds")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = NoDeleteQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["token_sha256"])

    class Meta:
        ordering = ["patient", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(revoked_at__isnull=True), name="one_live_calendar_feed"
            )
        ]

    def __str__(self) -> str:
        return f"Calendar link of patient {self.patient_id}{' (revoked)' if self.revoked_at else ''}"

    def delete(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise ClinicalRecordError("Calendar links are revoked, never deleted.", code="no_delete")


__all__ = ["CalendarFeed", "FollowUp", "FollowUpMethod", "StepRelease"]

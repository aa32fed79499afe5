"""Home reintroduction: the allergist's release of a home step.

Follow-up check-ins (FollowUp) are scheduled by the run for every challenge, so they live in challenges.run.models;
they are re-exported here for the callers that import them from the home slice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from challenges.run.models import Challenge, FollowUp, FollowUpMethod
from clinics.models import ClinicalRecordError, NoDeleteQuerySet

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


__all__ = ["FollowUp", "FollowUpMethod", "StepRelease"]

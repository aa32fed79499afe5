"""Home reintroduction and follow-up: step releases by the allergist, and check-ins after a challenge."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from challenges.run.models import Challenge, Source
from clinics.models import ClinicalRecord, NoDeleteQuerySet

USER = settings.AUTH_USER_MODEL


class StepRelease(models.Model):
    """An allergist lets the patient take a home step (when the clinic requires it), or releases a paused plan."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="releases")
    step_number = models.PositiveSmallIntegerField()
    released_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    objects = NoDeleteQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "released_at", "pk"]

    def delete(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        from clinics.models import ClinicalRecordError

        raise ClinicalRecordError("Step releases are never deleted.", code="no_delete")


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    PATIENT = "patient", _("Patient check-in")
    VISIT = "visit", _("Clinic visit")


class FollowUp(ClinicalRecord):
    """A check-in for delayed reactions at a protocol-defined time after the last dose (e.g. +2 h, +24 h, +72 h)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="follow_ups")
    due_at = models.DateTimeField(_("due"))
    hours_after = models.PositiveIntegerField()
    method = models.CharField(_("how"), max_length=10, choices=FollowUpMethod, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    symptoms = models.BooleanField(_("new symptoms"), null=True, blank=True)
    findings = models.TextField(_("what was found"), blank=True)
    source = models.CharField(max_length=10, choices=Source, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "hours_after"], name="challenges_followup_unique_time"),
        ]
        # Overdue check-ins (not done, due before now) on the attention page, without reading every one ever done.
        indexes = [models.Index(fields=["done_at", "due_at"], name="challenges_followup_due_idx")]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

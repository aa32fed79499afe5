"""After dosing: the follow-up check-ins for delayed reactions, and the discharge from the clinic's care."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from challenges.run.models.challenge import Challenge
from challenges.run.models.choices import DischargeCondition, FollowUpMethod, Source
from challenges.run.models.findings import VitalSigns
from clinics.models import ClinicalRecord

USER = settings.AUTH_USER_MODEL


class FollowUp(ClinicalRecord):
    """A check-in for delayed reactions at a protocol-defined time after the last dose (e.g. +2 h, +24 h, +72 h).

    Scheduled when dosing ends, in clinic or at home (services.ending.schedule_follow_ups).
    """

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="follow_ups")
    due_at = models.DateTimeField(_("due"))
    hours_after = models.PositiveIntegerField()
    method = models.CharField(_("how"), max_length=10, choices=FollowUpMethod, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    symptoms = models.BooleanField(_("new symptoms"), null=True, blank=True)
    findings = models.TextField(_("what was found"), blank=True, max_length=2000)
    source = models.CharField(max_length=10, choices=Source, blank=True)
    # A biphasic or late reaction (clinical review X6) and a post-reaction tryptase (X10).
    recurrence_at = models.DateTimeField(_("symptoms came back at"), null=True, blank=True)
    home_treatment = models.CharField(_("treatment taken at home"), max_length=200, blank=True)
    emergency_attendance = models.BooleanField(_("went to an emergency department"), null=True, blank=True)
    tryptase_ug_l = models.DecimalField(
        _("tryptase (µg/L)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("1000"))],
    )
    tryptase_taken_at = models.DateTimeField(_("tryptase taken at"), null=True, blank=True)

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


class Discharge(ClinicalRecord):
    """The patient leaves the clinic's care after the challenge: when, in what condition, with which vital signs
    (a VitalSigns row of kind "discharge"), and who discharged them (clinical review R5). Append-only: a wrong one
    is marked entered in error and recorded anew (services.observation.discharge_record)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="discharges")
    discharged_at = models.DateTimeField(_("discharged at"))
    condition = models.CharField(_("condition at discharge"), max_length=12, choices=DischargeCondition)
    vitals = models.ForeignKey(
        VitalSigns, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("vital signs")
    )
    discharged_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    notes = models.CharField(_("notes"), max_length=1000, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "discharged_at", "pk"]

    def __str__(self) -> str:
        return f"Discharge from challenge {self.challenge_id} at {self.discharged_at:%Y-%m-%d %H:%M}"

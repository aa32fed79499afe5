"""Before the first dose: the pre-challenge safety checks, and the decisions about medication conflicts (wash-out)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from challenges.run.models.challenge import Challenge
from challenges.run.models.choices import WashoutAction
from clinics.models import ClinicalRecord
from patients.models import Medication

USER = settings.AUTH_USER_MODEL


class PreChallengeCheck(ClinicalRecord):
    """The safety checks before the first dose (docs/clinical-sources.md §5.2)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="checks")
    no_illness = models.BooleanField(_("no current illness or fever"))
    asthma_eczema_controlled = models.BooleanField(_("asthma and eczema controlled"))
    no_recent_exercise = models.BooleanField(_("no strenuous exercise in the last 2 h"))
    washout_confirmed = models.BooleanField(_("wash-out confirmed"))
    # None: the protocol plans no premedication, so the question was not asked (and the report does not print it).
    premedication_taken = models.BooleanField(_("premedication taken as planned"), null=True, blank=True)
    consent_recorded = models.BooleanField(_("consent recorded"))
    emergency_ready = models.BooleanField(_("emergency medication ready"))
    # FPIES (docs/clinical-sources.md §1.5): IV access in place and fluids ready; required before an FPIES first dose.
    iv_access_ready = models.BooleanField(_("IV access in place and fluids ready (FPIES)"), null=True, blank=True)
    baseline_skin = models.CharField(_("baseline skin"), max_length=300, blank=True)
    baseline_mouth = models.CharField(_("baseline mouth/oropharynx"), max_length=300, blank=True)
    baseline_chest = models.CharField(_("baseline chest"), max_length=300, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    CHECK_FIELDS = (
        "no_illness",
        "asthma_eczema_controlled",
        "no_recent_exercise",
        "washout_confirmed",
        "premedication_taken",
        "consent_recorded",
        "emergency_ready",
    )

    class Meta:
        ordering = ["recorded_at"]

    @classmethod
    def check_label(cls, name: str) -> str:
        """The label of one of CHECK_FIELDS (its field's verbose name)."""
        field = cls._meta.get_field(name)
        if not isinstance(field, models.Field):
            raise TypeError(f"{name} is not a field of PreChallengeCheck")
        return str(field.verbose_name)

    def failed_items(self) -> list[str]:
        failed = [self.check_label(name) for name in self.asked_fields() if not getattr(self, name)]
        if self.challenge.protocol.kind == "fpies" and not self.iv_access_ready:
            failed.append(self.check_label("iv_access_ready"))
        return failed

    def asked_fields(self) -> list[str]:
        """CHECK_FIELDS without the questions not asked (premedication when none is planned)."""
        return [name for name in self.CHECK_FIELDS if getattr(self, name) is not None]


class WashoutDecision(ClinicalRecord):
    """A decision about one medication conflict of a challenge (docs/clinical-sources.md §5.1).

    The nurse confirms the day of the last dose, or the allergist overrides with a reason, or records a risk review
    (proceed with precautions, defer, switch) or a steroid decision (accept the limitation, defer). The conflicts
    themselves are computed from the current medication rows, never stored; a later decision about the same
    medication supersedes an earlier one, and a wrong one is marked entered in error, never deleted.
    """

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="washout_decisions")
    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="+")
    medication_text = models.CharField(_("medication"), max_length=320)  # as it read when decided
    conflict_kind = models.CharField(max_length=30)  # clinical.washout conflict kind it answered
    action = models.CharField(_("decision"), max_length=20, choices=WashoutAction)
    stopped_on = models.DateField(_("last dose taken on"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "decided_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="stop_confirmed") | Q(stopped_on__isnull=False),
                name="challenges_washout_stop_has_date",
            ),
            models.CheckConstraint(
                condition=Q(action="stop_confirmed") | ~Q(reason=""),
                name="challenges_washout_decision_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.medication_text} (challenge {self.challenge_id})"

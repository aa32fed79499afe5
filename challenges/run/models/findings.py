"""What was seen and done during the challenge: checklist findings, vital signs and medicines given, and the stop
alerts raised when the stop rules are met.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from challenges.library.models import PremedicationItem, Route
from challenges.run.models.challenge import Challenge
from challenges.run.models.choices import Decision, Source, TreatmentKind, VitalsKind
from clinical import stop_rules
from clinics.models import ClinicalRecord, ClinicalRecordError, NoDeleteQuerySet

USER = settings.AUTH_USER_MODEL


class Observation(ClinicalRecord):
    """A checklist finding: item, severity 0-3 (PRACTALL, docs/clinical-sources.md §3.1), when, and a note."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="observations")
    item_code = models.CharField(_("finding"), max_length=40)
    severity = models.PositiveSmallIntegerField(_("severity"), validators=[MaxValueValidator(3)])
    observed_at = models.DateTimeField(_("observed at"))
    note = models.CharField(_("note"), max_length=1000, blank=True)
    source = models.CharField(max_length=10, choices=Source, default=Source.CLINICIAN)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "observed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__lte=3), name="challenges_observation_severity_0_3"),
        ]
        # Symptoms of the last 72 h, for the home-plan attention page, out of millions of findings.
        indexes = [models.Index(fields=["observed_at"], name="challenges_observation_at_idx")]


class VitalSigns(ClinicalRecord):
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="vitals")
    kind = models.CharField(max_length=10, choices=VitalsKind, default=VitalsKind.DURING)
    taken_at = models.DateTimeField(_("taken at"))
    heart_rate = models.PositiveSmallIntegerField(
        _("heart rate (/min)"), null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(300)]
    )
    systolic = models.PositiveSmallIntegerField(
        _("systolic BP (mmHg)"), null=True, blank=True, validators=[MinValueValidator(30), MaxValueValidator(300)]
    )
    diastolic = models.PositiveSmallIntegerField(
        _("diastolic BP (mmHg)"), null=True, blank=True, validators=[MinValueValidator(10), MaxValueValidator(200)]
    )
    resp_rate = models.PositiveSmallIntegerField(
        _("respiratory rate (/min)"), null=True, blank=True, validators=[MinValueValidator(4), MaxValueValidator(120)]
    )
    spo2 = models.PositiveSmallIntegerField(
        _("SpO₂ (%)"), null=True, blank=True, validators=[MinValueValidator(50), MaxValueValidator(100)]
    )
    temperature_c = models.DecimalField(
        _("temperature (°C)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("30")), MaxValueValidator(Decimal("44"))],
    )
    pef = models.PositiveSmallIntegerField(
        _("PEF (L/min)"), null=True, blank=True, validators=[MinValueValidator(30), MaxValueValidator(900)]
    )
    fev1_ml = models.PositiveSmallIntegerField(
        _("FEV1 (mL)"), null=True, blank=True, validators=[MinValueValidator(100), MaxValueValidator(8000)]
    )
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "taken_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(systolic__isnull=True) | Q(diastolic__isnull=True) | Q(systolic__gt=models.F("diastolic")),
                name="challenges_vitals_systolic_above_diastolic",
                violation_error_message=_("Systolic pressure must be higher than diastolic."),
            ),
        ]


class Treatment(ClinicalRecord):
    """A medicine given: premedication actually taken, or treatment of a reaction."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="treatments")
    kind = models.CharField(_("kind"), max_length=15, choices=TreatmentKind)
    drug = models.CharField(_("drug"), max_length=120)
    dose = models.CharField(_("dose"), max_length=60)
    route = models.CharField(_("route"), max_length=10, choices=Route, default=Route.ORAL)
    given_at = models.DateTimeField(_("given at"))
    site = models.CharField(_("site"), max_length=60, blank=True)  # e.g. "anterolateral thigh" for IM adrenaline
    response = models.CharField(_("response"), max_length=200, blank=True)
    # The one-tap adrenaline form's key: a double tap records one dose, not two.
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # The protocol's premedication item this dose answers (a premedication taken as planned), when known.
    premedication_item = models.ForeignKey(
        PremedicationItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source, default=Source.CLINICIAN)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    notes = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "given_at", "pk"]


class StopAlert(models.Model):
    """Stop rules were met; the next dose is blocked until an allergist decides."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="alerts")
    raised_at = models.DateTimeField(default=timezone.now)
    hits = models.JSONField()  # [{"code", "message", "evidence": [...]}] from clinical.stopping
    decision = models.CharField(max_length=10, choices=Decision, blank=True)
    reason = models.TextField(blank=True, max_length=2000)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    wait_until = models.DateTimeField(null=True, blank=True)  # "wait longer": no next dose before this

    objects = NoDeleteQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "raised_at", "pk"]

    def __str__(self) -> str:
        return f"Stop alert {self.pk} on challenge {self.challenge_id} ({self.decision or 'undecided'})"

    def delete(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise ClinicalRecordError("Stop alerts are never deleted.", code="no_delete")

    @property
    def is_open(self) -> bool:
        return not self.decision

    @property
    def tier(self) -> str:
        """'stop' or 'hold' (clinical.stop_rules tiers): the most urgent of its hits (stored before tiers: 'stop')."""
        return stop_rules.worst_tier([hit.get("tier", stop_rules.STOP) for hit in self.hits]) or stop_rules.STOP

    @property
    def is_hold(self) -> bool:
        return self.tier == stop_rules.HOLD

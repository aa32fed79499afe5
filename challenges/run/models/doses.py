"""What was eaten: the doses actually given, and the pack of food they came from."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from challenges.run.models.challenge import Challenge
from challenges.run.models.choices import Source
from clinics.models import ClinicalRecord

USER = settings.AUTH_USER_MODEL


class Dose(ClinicalRecord):
    """A dose actually given. Cumulative totals are computed from these rows, never from the plan."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="doses")
    sequence = models.PositiveSmallIntegerField()  # order given (a repeated step gets its own sequence)
    step_number = models.PositiveSmallIntegerField()  # the planned step it gives
    planned_protein_mg = models.DecimalField(max_digits=12, decimal_places=3)
    planned_food_amount = models.DecimalField(max_digits=10, decimal_places=3)
    food_amount = models.DecimalField(_("amount eaten"), max_digits=10, decimal_places=3)
    protein_mg = models.DecimalField(max_digits=12, decimal_places=3)
    given_at = models.DateTimeField(_("given at"))
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source, default=Source.CLINICIAN)
    is_placebo = models.BooleanField(default=False)
    early_override_reason = models.TextField(blank=True, max_length=2000)
    notes = models.CharField(max_length=500, blank=True)
    idempotency_key = models.UUIDField(unique=True, default=uuid.uuid4)
    # Who prepared the dose and who checked it (two-person check, docs/clinical-sources.md §12): required for a
    # diluted dose in clinic, optional otherwise; the checker is never the preparer.
    prepared_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("prepared by")
    )
    checked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("checked by")
    )
    # A diluted dose: the volume of the mix given and the mix's protein concentration; protein_mg is then what that
    # volume delivered (volume × concentration), not the target, and food_amount the food it held.
    mix_volume_ml = models.DecimalField(
        _("volume of the mix given (mL)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    planned_mix_volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    mix_protein_mg_per_ml = models.DecimalField(max_digits=16, decimal_places=8, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "sequence"], name="challenges_dose_unique_sequence"),
            models.CheckConstraint(
                condition=Q(food_amount__gte=0) & Q(protein_mg__gte=0), name="challenges_dose_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True) | ~Q(checked_by=models.F("prepared_by")),
                name="challenges_dose_checker_not_preparer",
                violation_error_message=_("The checker must be someone other than the preparer."),
            ),
            models.CheckConstraint(
                condition=Q(mix_volume_ml__isnull=True, mix_protein_mg_per_ml__isnull=True)
                | Q(mix_volume_ml__gt=0, mix_protein_mg_per_ml__gt=0)
                | Q(mix_volume_ml__gt=0, mix_protein_mg_per_ml=0, is_placebo=True),  # a placebo mix holds no food
                name="challenges_dose_mix_volume_and_concentration",
            ),
        ]

    @property
    def is_diluted(self) -> bool:
        return self.mix_volume_ml is not None

    @property
    def is_partial(self) -> bool:
        """Less than planned was given: less of the mix (a diluted dose), or less of the food."""
        if self.mix_volume_ml is not None and self.planned_mix_volume_ml is not None:
            return self.mix_volume_ml < self.planned_mix_volume_ml
        return self.food_amount < self.planned_food_amount


class FoodLot(ClinicalRecord):
    """The pack of food used for a challenge: brand, lot or batch, expiry, and its label's protein per 100 g.

    Recorded before the first dose (services.food.food_lot_record); the latest one not entered in error counts.
    The library figure it was compared with is kept as it was, so the record reads the same if the library changes.
    """

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="food_lots")
    brand = models.CharField(_("brand or product"), max_length=120)
    lot = models.CharField(_("lot or batch"), max_length=60)
    expires_on = models.DateField(_("expiry date"))
    label_protein_g_per_100 = models.DecimalField(
        _("protein on the label (g per 100 g)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("100"))],
    )
    library_protein_g_per_100 = models.DecimalField(max_digits=6, decimal_places=3)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(label_protein_g_per_100__isnull=True)
                | Q(label_protein_g_per_100__gt=0, label_protein_g_per_100__lte=100),
                name="challenges_foodlot_label_protein_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand}, lot {self.lot} (challenge {self.challenge_id})"

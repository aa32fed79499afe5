"""Foods, protocols (the plan a clinician picks) and, in challenges.models_run, the challenges run from them."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinical import premedication
from clinical.dosing import DosingError, parse_household_measures
from clinical.kinds import KIND_CHOICES
from clinics.models import Clinic, HistoryKeepingQuerySet
from patients.models import MedicationClass


class AllergenGroup(models.TextChoices):
    MILK = "milk", _("Milk")
    EGG = "egg", _("Egg")
    PEANUT = "peanut", _("Peanut")
    TREE_NUT = "tree_nut", _("Tree nut")
    SESAME = "sesame", _("Sesame")
    WHEAT = "wheat", _("Wheat")
    SOY = "soy", _("Soy")
    FISH = "fish", _("Fish")
    SHELLFISH = "shellfish", _("Shellfish")
    OTHER = "other", _("Other / MCAS trigger")


class PhysicalForm(models.TextChoices):
    """How the food behaves when a dose too small to weigh is prepared (clinical.dosing.PHYSICAL_FORMS)."""

    LIQUID = "liquid", _("Liquid (amounts in mL; can be diluted)")
    POWDER = "powder", _("Free-flowing powder (can be diluted in water)")
    PASTE = "paste", _("Paste (e.g. peanut butter; never diluted)")
    SOLID = "solid", _("Solid (e.g. egg, cake; never diluted)")


class Processing(models.TextChoices):
    """How the food was treated: baked milk or egg is a different challenge from raw or lightly cooked (X9)."""

    NONE = "", _("Not stated")
    RAW = "raw", _("Raw")
    BAKED = "baked", _("Baked")
    BOILED = "boiled", _("Boiled")
    COOKED = "cooked", _("Cooked (other)")
    ROASTED = "roasted", _("Roasted")
    DRIED = "dried", _("Dried / powdered")
    FERMENTED = "fermented", _("Fermented / cultured")


class FoodQuerySet(HistoryKeepingQuerySet["Food"]):
    def for_clinic(self, clinic_id: int | None) -> Self:
        """The standard foods plus the clinic's own."""
        return self.filter(Q(clinic__isnull=True) | Q(clinic_id=clinic_id))


class Food(models.Model):
    """A food in the exact form given, with its protein content and where that figure comes from."""

    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="foods",
        help_text=_("Empty for the standard library; set for a clinic's own food or label override."),
    )
    name = models.CharField(_("food"), max_length=120)
    form = models.CharField(_("form"), max_length=160, help_text=_("e.g. peanut butter, smooth"))
    allergen_group = models.CharField(_("allergen group"), max_length=12, choices=AllergenGroup)
    protein_g_per_100 = models.DecimalField(
        _("protein (g per 100 g, or per 100 mL for liquids)"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("100"))],
    )
    physical_form = models.CharField(
        _("physical form"),
        max_length=10,
        choices=PhysicalForm,
        default=PhysicalForm.SOLID,
        help_text=_("Only a liquid or a free-flowing powder is ever diluted in water for a small dose."),
    )
    density_g_per_ml = models.DecimalField(
        _("density (g/mL)"),
        max_digits=5,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("5"))],
    )
    protein_source = models.CharField(_("source of the protein figure"), max_length=200)
    # {"tsp": "5", "biscuit": "12"}: grams (or mL for liquids) of this food in one level household measure; the keys
    # are clinical.dosing.HOUSEHOLD_MEASURES (checked by clean() and clinical.dosing.parse_household_measures).
    household_measures = models.JSONField(_("household measures"), default=dict, blank=True)
    allergen_protein_g_per_100 = models.DecimalField(
        _("allergen protein (g per 100 g)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "For a composite food (a muffin, a cake): the protein of the allergen group alone, e.g. milk protein. "
            "Doses are then counted in it, not in the whole food's protein."
        ),
    )
    processing = models.CharField(_("processing"), max_length=10, choices=Processing, blank=True)
    processing_temperature_c = models.PositiveSmallIntegerField(
        _("baking or cooking temperature (°C)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(300)],
    )
    processing_minutes = models.PositiveSmallIntegerField(
        _("baking or cooking time (minutes)"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    matrix = models.CharField(_("matrix"), max_length=60, blank=True, help_text=_("e.g. wheat (a muffin)"))
    recipe = models.TextField(_("recipe"), blank=True, max_length=4000)
    serving_size = models.DecimalField(
        _("typical serving (g or mL)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    # The allergen as a SNOMED CT substance concept, for the FHIR export (an EHR matches its own allergy list on it);
    # empty when no code was confirmed: the food then goes as text only (a wrong code is worse than none).
    snomed_code = models.CharField(
        _("SNOMED CT substance code"),
        max_length=18,
        blank=True,
        validators=[RegexValidator(r"^[1-9][0-9]{5,17}$", _("A SNOMED CT code is 6 to 18 digits."))],
        help_text=_("The allergen as a SNOMED CT substance, e.g. 762952008 for peanut; leave empty if unsure."),
    )
    snomed_display = models.CharField(_("SNOMED CT display"), max_length=120, blank=True)
    is_composite = models.BooleanField(
        _("made of several ingredients"),
        default=False,
        help_text=_("e.g. a cheesecake (milk, egg, wheat): a reaction cannot be pinned on one ingredient."),
    )

    objects = FoodQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "form"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "name", "form"],
                name="challenges_food_unique_per_clinic",
                violation_error_message=_("This clinic already has a food with this name and form."),
            ),
            models.CheckConstraint(
                condition=Q(protein_g_per_100__gt=0) & Q(protein_g_per_100__lte=100),
                name="challenges_food_protein_range",
                violation_error_message=_("Protein must be more than 0 and at most 100 g per 100 g."),
            ),
            models.CheckConstraint(
                condition=Q(physical_form__in=PhysicalForm.values),
                name="challenges_food_physical_form_valid",
                violation_error_message=_("Choose the food's physical form."),
            ),
            models.CheckConstraint(
                condition=Q(allergen_protein_g_per_100__isnull=True)
                | (Q(allergen_protein_g_per_100__gt=0) & Q(allergen_protein_g_per_100__lte=F("protein_g_per_100"))),
                name="challenges_food_allergen_protein_range",
                violation_error_message=_("The allergen's protein must be above 0 and at most the whole food's."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.form})"

    def clean(self) -> None:
        super().clean()
        try:
            parse_household_measures(self.household_measures)
        except DosingError as exc:
            raise ValidationError({"household_measures": exc.message}) from exc
        if self.allergen_protein_g_per_100 is not None and self.allergen_protein_g_per_100 > self.protein_g_per_100:
            raise ValidationError(
                {"allergen_protein_g_per_100": _("The allergen's protein cannot be more than the whole food's.")}
            )
        if self.physical_form == PhysicalForm.LIQUID and self.processing == Processing.BAKED:
            raise ValidationError({"processing": _("A liquid cannot be baked; choose its physical form again.")})

    @property
    def is_liquid(self) -> bool:
        """Amounts are in mL: derived from the physical form (kept for the code and rows that ask it)."""
        return self.physical_form == PhysicalForm.LIQUID

    @is_liquid.setter
    def is_liquid(self, value: bool) -> None:
        # Food(is_liquid=True) still works: a liquid, or, when set False, a solid unless another form was chosen.
        if value:
            self.physical_form = PhysicalForm.LIQUID
        elif self.physical_form == PhysicalForm.LIQUID:
            self.physical_form = PhysicalForm.SOLID

    @property
    def amount_unit(self) -> str:
        return "mL" if self.is_liquid else "g"

    @property
    def protein_name(self) -> str:
        """What the doses count: "milk protein" for a food that declares its allergen protein, else "protein"."""
        if self.allergen_protein_g_per_100 is None:
            return "protein"
        return f"{AllergenGroup(self.allergen_group).label.lower()} protein"

    @property
    def processing_text(self) -> str:
        """ "baked at 180 °C for 30 min in a wheat matrix"; empty when nothing is recorded."""
        parts = [str(Processing(self.processing).label).lower()] if self.processing else []
        if self.processing_temperature_c:
            parts.append(f"at {self.processing_temperature_c} °C")
        if self.processing_minutes:
            parts.append(f"for {self.processing_minutes} min")
        if self.matrix:
            parts.append(f"in a {self.matrix} matrix")
        return " ".join(parts)


class DoseBasis(models.TextChoices):
    PROTEIN = "protein", _("mg of food protein")
    FOOD = "food", _("amount of food (g, mL or servings)")


class ProtocolQuerySet(HistoryKeepingQuerySet["Protocol"]):
    def for_clinic(self, clinic_id: int | None) -> Self:
        """The standard library plus the clinic's own protocols."""
        return self.filter(Q(clinic__isnull=True) | Q(clinic_id=clinic_id))

    def current(self) -> Self:
        return self.filter(is_current=True)


class Protocol(models.Model):
    """A versioned challenge plan. Once a challenge uses a version, edits create a new version instead."""

    lineage = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    version = models.PositiveSmallIntegerField(default=1, editable=False)
    is_current = models.BooleanField(default=True, editable=False)
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="protocols",
        help_text=_("Empty for the standard library (read-only; clone it to change it)."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=KIND_CHOICES)
    food = models.ForeignKey(Food, on_delete=models.PROTECT, related_name="protocols")
    dose_basis = models.CharField(
        _("doses are planned in"), max_length=10, choices=DoseBasis, default=DoseBasis.PROTEIN
    )
    observation_minutes = models.PositiveIntegerField(_("observation after the last dose (minutes)"), default=120)
    watch_hours = models.PositiveIntegerField(_("watch window after each step (hours)"), default=0)
    min_top_dose_mg = models.DecimalField(
        _("minimum top dose to call it negative (mg protein)"),
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    checklist_items = models.JSONField(_("observation checklist"), default=list)
    stop_rules = models.JSONField(_("stop rules"), default=dict)
    washout_rules = models.JSONField(_("wash-out rules"), default=list, blank=True)
    follow_up_hours = models.JSONField(_("follow-up check-ins (hours after the last dose)"), default=list, blank=True)
    # Home plans (docs/clinical-sources.md §11.1): the first step is taken in clinic, under supervision, unless the
    # clinician turns it off; and whether the patient keeps eating the tolerated amount daily until the next step.
    first_step_in_clinic = models.BooleanField(_("first step taken in clinic (home plans)"), default=True)
    keep_eating_between_steps = models.BooleanField(
        _("keep eating the tolerated amount daily until the next step (home plans)"), default=False
    )
    # FPIES (docs/clinical-sources.md §1.5, §11.2): when set, the doses are generated for the patient's own weight
    # at booking, at this many g of protein per kg.
    fpies_protein_g_per_kg = models.DecimalField(
        _("FPIES: g of protein per kg, doses generated for the patient's weight at booking"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.06")), MaxValueValidator(Decimal("0.6"))],
    )
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    references = models.TextField(_("sources"), blank=True, max_length=4000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ProtocolQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["lineage", "version"], name="challenges_protocol_unique_version"),
            models.UniqueConstraint(
                fields=["lineage"], condition=Q(is_current=True), name="challenges_protocol_one_current_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def is_standard(self) -> bool:
        return self.clinic_id is None


class StepRole(models.TextChoices):
    """What a step is: a measured dose, a lip smear (no quantity, docs/clinical-sources.md §1.3), or the
    age-appropriate serving given after the FPIES portions (docs/clinical-sources.md §1.5)."""

    DOSE = "dose", _("dose")
    LIP_SMEAR = "lip_smear", _("lip smear (no quantity)")
    SERVING = "serving", _("age-appropriate serving")


class ProtocolStep(models.Model):
    """One dose of the plan; the wait after it is `interval_minutes` (minutes, hours or days)."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="steps")
    number = models.PositiveSmallIntegerField()
    role = models.CharField(_("step"), max_length=10, choices=StepRole, default=StepRole.DOSE)
    protein_mg = models.DecimalField(_("protein (mg)"), max_digits=12, decimal_places=3, null=True, blank=True)
    food_amount = models.DecimalField(_("food amount"), max_digits=10, decimal_places=3, null=True, blank=True)
    household_measure = models.CharField(_("household measure"), max_length=60, blank=True)
    interval_minutes = models.PositiveIntegerField(_("wait before the next step (minutes)"), default=30)
    # A ladder whose rungs are different foods (X4, docs/clinical-sources.md §13): the step's own food, its amount
    # and protein counted in that food. Empty: the protocol's food.
    food = models.ForeignKey(
        Food,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("food of this step"),
        help_text=_("Empty: the protocol's food."),
    )

    objects = HistoryKeepingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["protocol", "number"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "number"], name="challenges_protocolstep_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="challenges_protocolstep_number_positive"),
            models.CheckConstraint(
                condition=(Q(protein_mg__isnull=True) | Q(protein_mg__gt=0))
                & (Q(food_amount__isnull=True) | Q(food_amount__gt=0))
                & (
                    Q(role="lip_smear", protein_mg__isnull=True, food_amount__isnull=True)
                    | (~Q(role="lip_smear") & (Q(protein_mg__isnull=False) | Q(food_amount__isnull=False)))
                ),
                name="challenges_protocolstep_dose_positive",
                violation_error_message=_("Each step needs a dose above zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"Step {self.number}"


class Route(models.TextChoices):
    ORAL = "oral", _("oral")
    IM = "im", _("intramuscular")
    IV = "iv", _("intravenous")
    INHALED = "inhaled", _("inhaled")
    NASAL = "nasal", _("nasal")
    TOPICAL = "topical", _("topical")


class PremedDoseRule(models.TextChoices):
    """A dose by age from the drug's label (clinical.premedication.DOSE_RULES)."""

    FIXED = premedication.FIXED, _("the dose as written")
    CROMOLYN_ORAL = premedication.CROMOLYN_ORAL, _("oral cromolyn by age (100 mg aged 2-12, 200 mg from 13)")


class IfNotTaken(models.TextChoices):
    """What a step recorded without the premedication, or too soon after it, does."""

    REFUSE = premedication.REFUSE, _("refuse the step")
    FLAG = premedication.FLAG, _("record it and flag it")


class PremedicationItem(models.Model):
    """Medication the protocol gives on purpose (MCAS practice, docs/clinical-sources.md §5.3), with its timing."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="premedications")
    drug = models.CharField(_("drug"), max_length=120)
    med_class = models.CharField(_("class"), max_length=30, choices=MedicationClass, default=MedicationClass.OTHER)
    dose = models.CharField(_("dose"), max_length=60, help_text=_("e.g. 200 mg"))
    route = models.CharField(_("route"), max_length=10, choices=Route, default=Route.ORAL)
    minutes_before = models.PositiveIntegerField(_("minutes before the dose"), default=30)
    before_each_step = models.BooleanField(_("before each dose step"), default=False)
    continue_regular = models.BooleanField(_("continue the regular medicine"), default=False)
    # An established regimen (continue_regular): for at least this many weeks (0: the current regimen).
    established_weeks = models.PositiveSmallIntegerField(
        _("established for at least (weeks)"),
        default=0,
        validators=[MaxValueValidator(premedication.MAX_ESTABLISHED_WEEKS)],
    )
    dose_rule = models.CharField(
        _("dose by age"), max_length=30, choices=PremedDoseRule, default=PremedDoseRule.FIXED, blank=True
    )
    required = models.BooleanField(_("required"), default=True)
    if_not_taken = models.CharField(
        _("a step without it, or too soon after it"), max_length=10, choices=IfNotTaken, default=IfNotTaken.REFUSE
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    objects = HistoryKeepingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["protocol", "minutes_before", "drug"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(before_each_step=True, continue_regular=True),
                name="challenges_premedicationitem_one_timing",
                violation_error_message=_(
                    "A premedication is either an established regimen or taken before the steps, not both."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose}"

    @property
    def timing(self) -> str:
        """clinical.premedication's timing: an established regimen, before each step, or before the first dose."""
        if self.continue_regular:
            return premedication.REGIMEN
        return premedication.BEFORE_EACH_STEP if self.before_each_step else premedication.BEFORE_FIRST_DOSE

    def as_item(self) -> premedication.Item:
        return premedication.Item(
            key=self.pk,
            drug=self.drug,
            med_class=self.med_class,
            timing=self.timing,
            minutes_before=self.minutes_before,
            established_weeks=self.established_weeks,
            required=self.required,
            if_not_taken=self.if_not_taken,
        )

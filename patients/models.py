"""Patients, their known triggers and their current medications."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinical import diagnostics
from clinical.dates import completed_years
from clinical.text import fold
from clinics.models import Clinic, ClinicalRecord


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not recorded")


class Condition(models.TextChoices):
    MCAS = "mcas", _("Mast cell activation syndrome (MCAS)")
    MASTOCYTOSIS = "mastocytosis", _("Mastocytosis")
    ASTHMA = "asthma", _("Asthma")
    ATOPIC_DERMATITIS = "atopic_dermatitis", _("Atopic dermatitis")
    EOE = "eoe", _("Eosinophilic oesophagitis")
    FPIES = "fpies", _("FPIES")
    ALLERGIC_RHINITIS = "allergic_rhinitis", _("Allergic rhinitis")
    CARDIOVASCULAR = "cardiovascular", _("Cardiovascular disease")


def condition_names() -> dict[str, str]:
    """Each condition code's label in the active language. A label is translated once per language, not once per
    patient: the patient list draws 25 rows a page (bench/README.md, "patient search")."""
    return _condition_names(get_language())


@functools.cache
def _condition_names(language: str | None) -> dict[str, str]:
    return {code: str(label) for code, label in Condition.choices}


def condition_labels(codes: Iterable[str], other: str, names: Mapping[str, str]) -> list[str]:
    """The labels of the conditions recorded, in their order (a code no longer in `Condition` left out), then the
    free text of other conditions. `names` is `condition_names()`, looked up once by a caller that labels many."""
    labels = [names[code] for code in codes if code in names]
    if other:
        labels.append(other)
    return labels


class AutoInjectorDose(models.TextChoices):
    NONE = "", _("None prescribed")
    MG_0_15 = "0.15", _("0.15 mg")
    MG_0_3 = "0.3", _("0.3 mg")
    MG_0_5 = "0.5", _("0.5 mg")


# Weight limits: a plausibility guard against unit slips (g typed as kg), not a clinical rule.
MIN_WEIGHT_KG = Decimal("0.5")
MAX_WEIGHT_KG = Decimal("350")


class Patient(ClinicalRecord):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(_("MRN"), max_length=40, help_text=_("Medical record number, unique within the clinic."))
    given_name = models.CharField(_("given name"), max_length=120)
    family_name = models.CharField(_("family name"), max_length=120)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex, default=Sex.UNKNOWN)
    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_WEIGHT_KG), MaxValueValidator(MAX_WEIGHT_KG)],
    )
    weight_measured_on = models.DateField(_("weight measured on"), null=True, blank=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    other_conditions = models.CharField(_("other conditions"), max_length=300, blank=True)
    autoinjector_dose = models.CharField(
        _("adrenaline auto-injector"), max_length=5, choices=AutoInjectorDose, blank=True, default=""
    )
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=120, blank=True)
    emergency_contact_phone = models.CharField(_("emergency contact phone"), max_length=40, blank=True)
    emergency_plan_notes = models.TextField(_("emergency plan notes"), blank=True, max_length=2000)
    notes = models.TextField(_("notes"), blank=True, max_length=10_000)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient_record",
        verbose_name=_("patient login"),
    )

    version = models.PositiveIntegerField(default=1, editable=False)  # optimistic lock: see clinics.services
    # Accent- and case-folded "given family mrn", so "angstrom" finds "Ångström" on SQLite too.
    search_text = models.CharField(max_length=400, editable=False, default="")

    # What the patient record page shows, as of: a new random value on every write to the patient, their triggers,
    # medications or test results (challenges.page_version). Not a clinical fact: kept out of the history.
    page_version = models.BigIntegerField(default=0, editable=False)

    history = HistoricalRecords(excluded_fields=["search_text", "page_version"])

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "mrn"],
                name="patients_patient_unique_mrn_per_clinic",
                violation_error_message=_("A patient with this MRN already exists in this clinic."),
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gt=0),
                name="patients_patient_weight_positive",
                violation_error_message=_("Weight must be more than 0 kg."),
            ),
        ]
        indexes = [
            # The patient list in its order, with what its search reads, so a search scans this index and never
            # sorts (bench/README.md: 20,000 patients).
            models.Index(
                fields=["clinic", "family_name", "given_name", "mrn", "entered_in_error", "search_text"],
                name="patients_patient_list_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = fold(f"{self.given_name} {self.family_name} {self.mrn}")
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        """Completed years of age on `day` (clinical.dates: a 29 Feb birthday comes round on 1 Mar)."""
        return completed_years(self.date_of_birth, day)

    def condition_labels(self) -> list[str]:
        return condition_labels(self.conditions, self.other_conditions, condition_names())


class ReactionType(models.TextChoices):
    IGE = "ige", _("IgE-mediated")
    NON_IGE = "non_ige", _("Non-IgE-mediated")
    MCAS = "mcas", _("MCAS trigger")
    UNKNOWN = "unknown", _("Unknown")


class Severity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    ANAPHYLAXIS = "anaphylaxis", _("Anaphylaxis")


class Trigger(ClinicalRecord):
    """A food or substance known (or suspected) to cause a reaction in this patient."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="triggers")
    substance = models.CharField(_("food or substance"), max_length=200)
    reaction_type = models.CharField(
        _("reaction type"), max_length=10, choices=ReactionType, default=ReactionType.UNKNOWN
    )
    worst_reaction_on = models.DateField(_("worst reaction date"), null=True, blank=True)
    worst_reaction_severity = models.CharField(
        _("worst reaction severity"), max_length=12, choices=Severity, blank=True
    )
    last_reaction_on = models.DateField(_("last reaction date"), null=True, blank=True)
    last_reaction_severity = models.CharField(_("last reaction severity"), max_length=12, choices=Severity, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=4000)

    history = HistoricalRecords()

    class Meta:
        ordering = ["substance"]

    def __str__(self) -> str:
        return self.substance


class MedicationClass(models.TextChoices):
    H1_ANTIHISTAMINE = "h1_antihistamine", _("H1 antihistamine")
    H2_BLOCKER = "h2_blocker", _("H2 blocker")
    LEUKOTRIENE_ANTAGONIST = "leukotriene_antagonist", _("Leukotriene antagonist")
    MAST_CELL_STABILISER = "mast_cell_stabiliser", _("Mast-cell stabiliser")
    TRICYCLIC_ANTIDEPRESSANT = "tricyclic_antidepressant", _("Tricyclic antidepressant")
    BIOLOGIC = "biologic", _("Long-acting biologic (e.g. omalizumab)")
    BETA_BLOCKER = "beta_blocker", _("Beta-blocker")
    ACE_INHIBITOR = "ace_inhibitor", _("ACE inhibitor")
    NSAID = "nsaid", _("NSAID")
    PPI = "ppi", _("Proton-pump inhibitor")
    SYSTEMIC_STEROID = "systemic_steroid", _("Systemic steroid")
    OTHER = "other", _("Other")


class MedicationRoute(models.TextChoices):
    """How a medicine is taken: antihistamine eye drops and nasal sprays wash out sooner than tablets (§5.1)."""

    ORAL = "oral", _("By mouth")
    NASAL = "nasal", _("Nasal spray")
    EYE = "eye", _("Eye drops")
    SKIN = "skin", _("On the skin")
    INHALED = "inhaled", _("Inhaled")
    INJECTION = "injection", _("Injection")


class Medication(ClinicalRecord):
    """A medicine the patient currently takes; the class and route drive the wash-out and risk checks."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(_("name"), max_length=200)
    dose = models.CharField(_("dose"), max_length=100, help_text=_("e.g. 10 mg"))
    schedule = models.CharField(_("schedule"), max_length=200, blank=True, help_text=_("e.g. twice daily"))
    med_class = models.CharField(_("class"), max_length=30, choices=MedicationClass, default=MedicationClass.OTHER)
    route = models.CharField(_("route"), max_length=10, choices=MedicationRoute, default=MedicationRoute.ORAL)
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}".strip()


class DiagnosticKind(models.TextChoices):
    """The kinds of allergy test result; each has one fixed unit and range (clinical.diagnostics)."""

    SPECIFIC_IGE = diagnostics.SPECIFIC_IGE, _("Specific IgE (kU/L)")
    SKIN_PRICK = diagnostics.SKIN_PRICK, _("Skin-prick test wheal (mm)")
    COMPONENT_IGE = diagnostics.COMPONENT_IGE, _("Component specific IgE (kU/L)")
    TRYPTASE = diagnostics.TRYPTASE, _("Baseline serum tryptase (ng/mL)")


class DiagnosticResult(ClinicalRecord):
    """One allergy test result of the patient (R7): the value in the kind's fixed unit, and the day it was taken."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnostics")
    kind = models.CharField(_("test"), max_length=20, choices=DiagnosticKind)
    allergen = models.CharField(
        _("allergen or food"), max_length=120, blank=True, help_text=_("e.g. peanut; not needed for tryptase")
    )
    component = models.CharField(
        _("component"), max_length=40, blank=True, help_text=_("Component tests only, e.g. Ara h 2")
    )
    value = models.DecimalField(_("value"), max_digits=6, decimal_places=2)
    taken_on = models.DateField(_("date taken"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["-taken_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="patients_diagnosticresult_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject} {self.value_text}".strip()

    @property
    def unit(self) -> str:
        return diagnostics.KINDS[self.kind].unit

    @property
    def value_text(self) -> str:
        """The value with its unit, a value entered at the end of the assay's range read as such (<0.1, ≥100)."""
        if self.value is None or self.kind not in diagnostics.KINDS:
            return ""
        return diagnostics.reading_text(self.kind, self.value)

    @property
    def subject(self) -> str:
        """What was tested: "peanut", "Ara h 2 (peanut)", or "" for tryptase."""
        if self.component:
            return f"{self.component} ({self.allergen})" if self.allergen else self.component
        return self.allergen

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        spec = diagnostics.KINDS.get(self.kind)
        if spec is None:
            return  # the choices validation names it
        if spec.needs_allergen and not self.allergen.strip() and not self.component.strip():
            errors["allergen"] = _("Say which allergen or food was tested.")
        if spec.needs_component and not self.component.strip():
            errors["component"] = _("Name the component, e.g. Ara h 2.")
        if not spec.needs_component and self.component.strip():
            errors["component"] = _("A component is named only for a component test.")
        if self.value is not None:
            try:
                diagnostics.check_value(self.kind, self.value)
            except diagnostics.DiagnosticValueError as refused:
                errors["value"] = refused.message
        if errors:
            raise ValidationError(errors)

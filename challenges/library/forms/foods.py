"""The food form: a food of the clinic's library, its protein and its household measures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from challenges.library.forms.fields import AmountField, whole_number
from challenges.library.services.foods import FoodDraft
from challenges.models import AllergenGroup, Food, PhysicalForm, Processing
from clinical import dosing
from clinical.units import QuantityError, parse_decimal
from clinics.forms import PlainTextForm, crispy_helper


class FoodForm(PlainTextForm):
    name = forms.CharField(label=_("Food"), max_length=120, help_text=_("e.g. Peanut butter"))
    form = forms.CharField(label=_("Form"), max_length=160, help_text=_("e.g. smooth, Brand X (label 2026)"))
    allergen_group = forms.ChoiceField(label=_("Allergen group"), choices=AllergenGroup.choices)
    protein_g_per_100 = AmountField(
        label=_("Protein (g per 100 g, or per 100 mL for a liquid)"),
        places=3,
        max_digits=6,
        unit="g",
        min_value=Decimal("0.001"),
        max_value=Decimal("100"),
    )
    protein_source = forms.CharField(
        label=_("Source of the protein figure"),
        max_length=200,
        help_text=_("e.g. product label, photographed 3 Mar 2026"),
    )
    physical_form = forms.ChoiceField(
        label=_("Physical form"),
        choices=PhysicalForm.choices,
        help_text=_("Small doses are diluted in water only for a liquid or a free-flowing powder."),
    )
    density_g_per_ml = AmountField(
        label=_("Density (g/mL)"),
        places=3,
        max_digits=5,
        unit="g/mL",
        required=False,
        # 2 g/mL is what the dose arithmetic accepts (dosing.MAX_DENSITY_G_PER_ML): above it is a typo.
        min_value=Decimal("0.1"),
        max_value=dosing.MAX_DENSITY_G_PER_ML,
    )
    household_measures = forms.CharField(
        label=_("Household measures"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One a line: measure=grams (mL for a liquid) of one level measure, e.g. tsp=2.5 for a powder. "
            "Measures: %(names)s."
        )
        % {"names": ", ".join(dosing.HOUSEHOLD_MEASURES)},
    )
    serving_size = AmountField(
        label=_("Typical serving (g or mL)"), places=2, max_digits=7, required=False, min_value=Decimal("0.01")
    )
    allergen_protein_g_per_100 = AmountField(
        label=_("Allergen protein (g per 100 g), composite foods only"),
        places=3,
        max_digits=6,
        unit="g",
        min_value=Decimal("0.001"),
        max_value=Decimal("100"),
        required=False,
        help_text=_("e.g. the milk protein of a baked-milk muffin; doses are then counted in it."),
    )
    processing = forms.ChoiceField(label=_("Processing"), choices=Processing.choices, required=False)
    processing_temperature_c = whole_number(
        _("Baking or cooking temperature (°C)"), unit="°C", required=False, min_value=20, max_value=300
    )
    processing_minutes = whole_number(
        _("Baking or cooking time (minutes)"), unit="min", required=False, max_value=24 * 60
    )
    matrix = forms.CharField(label=_("Matrix"), max_length=60, required=False, help_text=_("e.g. wheat (a muffin)"))
    recipe = forms.CharField(
        label=_("Recipe"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    snomed_code = forms.RegexField(
        label=_("Allergen: SNOMED CT substance code"),
        regex=r"^[1-9][0-9]{5,17}$",
        max_length=18,
        required=False,
        help_text=_("For FHIR exports, e.g. 762952008 (peanut). Leave empty if unsure: the food then goes as text."),
        error_messages={"invalid": _("A SNOMED CT code is 6 to 18 digits.")},
    )
    snomed_display = forms.CharField(
        label=_("Allergen: SNOMED CT name"), max_length=120, required=False, help_text=_("e.g. Peanut")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()

    def clean_household_measures(self) -> dict[str, str]:
        measures: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["household_measures"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sign, amount = (part.strip() for part in line.partition("="))
            if not sign or not name or len(name) > 30:
                raise ValidationError(_("Line %(n)d: write each measure as name=grams, e.g. tsp=5.") % {"n": number})
            name = name.lower()
            if name not in dosing.HOUSEHOLD_MEASURES:
                known = ", ".join(dosing.HOUSEHOLD_MEASURES)
                raise ValidationError(
                    _("Line %(n)d: “%(name)s” is not a measure; use one of %(known)s.")
                    % {"n": number, "name": name, "known": known}
                )
            if name in measures:
                raise ValidationError(_("Line %(n)d: “%(name)s” is given twice.") % {"n": number, "name": name})
            try:
                value = parse_decimal(amount, min_value=Decimal("0.001"))
            except QuantityError as exc:
                raise ValidationError(_("Line %(n)d: %(msg)s") % {"n": number, "msg": exc.message}) from exc
            measures[name] = str(value)
        return measures

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        protein, allergen_protein = data.get("protein_g_per_100"), data.get("allergen_protein_g_per_100")
        if protein is not None and allergen_protein is not None and allergen_protein > protein:
            self.add_error(
                "allergen_protein_g_per_100", _("The allergen's protein cannot be more than the whole food's.")
            )
        if data.get("snomed_code") and not (data.get("snomed_display") or "").strip():
            self.add_error("snomed_display", _("Give the code's name too, as the receiving system shows it."))
        return data

    def draft(self) -> FoodDraft:
        data = {name: value for name, value in self.cleaned_data.items()}
        for name in ("name", "form", "protein_source", "notes", "matrix", "recipe", "snomed_code", "snomed_display"):
            data[name] = data[name].strip()
        return FoodDraft(**data)


def food_initial(food: Food) -> dict[str, Any]:
    """The edit form's values for a stored food (measures as the lines the form reads)."""
    initial = {name: getattr(food, name) for name in FoodForm.base_fields if name != "household_measures"}
    initial["household_measures"] = "\n".join(f"{name}={grams}" for name, grams in food.household_measures.items())
    return initial

"""The step generator form: a generator (PRACTALL, geometric, FPIES, household, home) and its parameters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from challenges.library.facts import food_spec
from challenges.library.forms.fields import MAX_WAIT, AmountField, whole_number
from challenges.models import Food
from clinical import dosing, ladders
from clinical.plan import GENERATORS, GeneratorInput, PlannedStep, generate_steps
from clinics.forms import PlainTextForm, StrictDecimalField, crispy_helper

# Which field a generator's complaint is about (dosing.DosingError codes).
_GENERATOR_ERROR_FIELDS = {
    "ladder_ends_missing": "start_mg",
    "start_not_positive": "start_mg",
    "top_not_above_start": "top_mg",
    "steps_or_factor": "steps",
    "too_few_steps": "steps",
    "factor_too_small": "factor",
    "too_many_steps": "factor",
    "weight_missing": "weight_kg",
    "weight_not_positive": "weight_kg",
    "dose_per_kg_out_of_range": "protein_g_per_kg",
    "measure_not_positive": "grams_per_measure",
    "no_household_weight": "grams_per_measure",
    "serving_missing": "serving",
    "serving_not_positive": "serving",
    "timing_not_positive": "days_between",
}
# Refusals about a value of the protocol header's: the home generator checks its days against the protocol's one
# watch window (ProtocolHeaderForm.watch_hours; the generator has no watch field of its own).
_HEADER_ERROR_FIELDS = {"watch_overlaps_next_step": "watch_hours"}


# The parameters each generator reads. The page shows only the chosen generator's (static/stepwise/protocol_builder.js
# hides the others); every field is still validated, and a value left in another generator's field is ignored.
GENERATOR_FIELDS: dict[str, tuple[str, ...]] = {
    "practall7": ("interval_minutes",),
    "practall5": ("interval_minutes",),
    "geometric": ("interval_minutes", "start_mg", "top_mg", "steps", "factor", "exact"),
    "fpies": ("interval_minutes", "weight_kg", "protein_g_per_kg", "serving"),
    "household": ("interval_minutes", "grams_per_measure", "lip_smear"),
    "home": ("serving", "days_between"),
}


class GeneratorForm(PlainTextForm):
    """A generator and its parameters; each generator reads only the ones it needs (GENERATOR_FIELDS)."""

    generator = forms.ChoiceField(label=_("Generator"), choices=list(GENERATORS.items()))
    interval_minutes = whole_number(
        _("Interval between doses (minutes)"), unit="min", initial=30, min_value=1, max_value=MAX_WAIT
    )
    start_mg = AmountField(
        label=_("Start dose (mg protein)"),
        places=3,
        max_digits=12,
        unit="mg",
        min_value=Decimal("0.001"),
        required=False,
        help_text=_("Geometric ladder."),
    )
    top_mg = AmountField(
        label=_("Top dose (mg protein)"),
        places=3,
        max_digits=12,
        unit="mg",
        min_value=Decimal("0.001"),
        required=False,
        help_text=_("Geometric ladder."),
    )
    steps = whole_number(
        _("Number of steps"),
        required=False,
        min_value=2,
        max_value=ladders.MAX_LADDER_STEPS,
        help_text=_("Geometric ladder: give the number of steps or the factor."),
    )
    factor = StrictDecimalField(label=_("Factor between steps"), required=False, help_text=_("Geometric ladder."))
    weight_kg = StrictDecimalField(
        label=_("Patient weight (kg)"),
        unit="kg",
        min_value=Decimal("0.5"),
        max_value=Decimal("500"),
        required=False,
        help_text=_("FPIES."),
    )
    protein_g_per_kg = StrictDecimalField(
        label=_("Protein per kg (g/kg)"),
        unit="g/kg",
        min_value=Decimal("0.001"),
        required=False,
        help_text=_("FPIES: 0.06 to 0.6 g/kg; blank for 0.3 g/kg."),
    )
    grams_per_measure = AmountField(
        label=_("Grams per teaspoon"),
        places=3,
        max_digits=10,
        unit="g",
        min_value=Decimal("0.001"),
        required=False,
        help_text=_("Household ladder; blank for the food's own weight of a level teaspoon."),
    )
    serving = AmountField(
        label=_("Full serving (g)"),
        places=3,
        max_digits=10,
        unit="g",
        min_value=Decimal("0.01"),
        required=False,
        help_text=_("Home reintroduction; FPIES: an age-appropriate serving after the portions (optional)."),
    )
    days_between = whole_number(
        _("Days between steps"),
        required=False,
        min_value=1,
        max_value=60,
        help_text=_("Home reintroduction; blank for 3 days."),
    )
    exact = forms.BooleanField(
        label=_("Keep exact values"),
        required=False,
        help_text=_("Geometric ladder: keep the computed doses instead of rounding to 1-3 numbers (10, 30, 100 mg)."),
    )
    lip_smear = forms.BooleanField(
        label=_("Start with a lip smear"),
        required=False,
        help_text=_("Household ladder (ASCIA): a lip smear with no quantity, then the same wait, before step 2."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()
        self.fields["generator"].widget.attrs["data-generator-choice"] = ""
        for name, field in self.fields.items():
            readers = [generator for generator, names in GENERATOR_FIELDS.items() if name in names]
            if readers:
                field.widget.attrs["data-generators"] = " ".join(readers)

    def steps_from_generator(self, *, food: Food, watch_hours: int | None = None) -> tuple[PlannedStep, ...]:
        """The generated steps; raises dosing.DosingError for parameters the generator refuses. `watch_hours` is
        the protocol's watch window (the header's), which a home ladder's days between steps must outlast.

        Only the chosen generator's parameters are read (a serving typed for a home plan, then hidden, never adds a
        serving to an FPIES ladder). A household ladder uses the teaspoon weight typed here, else the food's own
        (never one 5 g for every food); the FPIES portions also stay under the 10 g (100 mL) food cap.
        """
        generator = self.cleaned_data["generator"]
        data = {name: self.cleaned_data[name] for name in ("generator", *GENERATOR_FIELDS[generator])}
        data["watch_hours"] = watch_hours or None
        spec = food_spec(food)
        if data["generator"] == "household" and data["grams_per_measure"] is None:
            data["grams_per_measure"] = spec.measure_weight("tsp")
        return tuple(generate_steps(GeneratorInput(**data), food=spec))

    def add_dosing_error(self, exc: dosing.DosingError, *, header: forms.Form) -> None:
        """A refusal next to the field it is about: the generator's own, or the header's watch window."""
        if exc.code in _HEADER_ERROR_FIELDS:
            header.add_error(_HEADER_ERROR_FIELDS[exc.code], exc.message)
        else:
            self.add_error(_GENERATOR_ERROR_FIELDS.get(exc.code), exc.message)

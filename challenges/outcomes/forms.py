"""The filters of the outcomes and thresholds pages (GET forms: they choose what is counted, they write nothing)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from challenges.library.models import AllergenGroup
from challenges.outcomes.selectors import AGE_BANDS, Filters
from clinical import threshold_intervals
from clinical.kinds import KIND_CHOICES
from clinics.forms import PlainTextForm

ALL = [("", _("All"))]
FOOD_CHOICES = ALL + list(AllergenGroup.choices)
AGE_CHOICES = ALL + [(code, label) for code, (label, _low, _high) in AGE_BANDS.items()]
KIND_FILTER_CHOICES = ALL + list(KIND_CHOICES)
LABELS: dict[str, dict[str, Any]] = {
    "food": dict(FOOD_CHOICES),
    "age_band": dict(AGE_CHOICES),
    "kind": dict(KIND_FILTER_CHOICES),
}


class OutcomeFilterForm(PlainTextForm):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    food = forms.ChoiceField(label=_("Food"), required=False, choices=FOOD_CHOICES)
    age_band = forms.ChoiceField(label=_("Age at challenge"), required=False, choices=AGE_CHOICES)
    kind = forms.ChoiceField(label=_("Challenge kind"), required=False, choices=KIND_FILTER_CHOICES)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."), code="date_order")
        return data

    def describe(self) -> str:
        """The choices in words, for the PDF and the CSV: "From: 2026-01-01; Food: Peanut" or "All challenges"."""
        words = []
        for name in ("date_from", "date_to", "food", "age_band", "kind"):
            value = self.cleaned_data.get(name)
            if not value:
                continue
            shown = LABELS[name].get(value, value) if name in LABELS else value
            words.append(f"{self.fields[name].label}: {shown}")
        return "; ".join(words) or "All challenges"

    def filters(self) -> Filters:
        """The validated choices (call after is_valid())."""
        data = self.cleaned_data
        return Filters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            food=data.get("food") or None,
            age_band=data.get("age_band") or None,
            kind=data.get("kind") or None,
        )


class ThresholdFilterForm(OutcomeFilterForm):
    basis = forms.ChoiceField(
        label=_("Dose"),
        required=False,
        choices=[
            (threshold_intervals.CUMULATIVE, _("Cumulative (all eaten so far)")),
            (threshold_intervals.DISCRETE, _("Discrete (the single dose)")),
        ],
    )

    def basis_value(self) -> str:
        return self.cleaned_data.get("basis") or threshold_intervals.CUMULATIVE

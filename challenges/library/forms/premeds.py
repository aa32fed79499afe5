"""The pre-medication rows of the protocol editor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from challenges.library.forms.fields import MAX_OBSERVATION_MINUTES, RowFormSet, small_widgets, whole_number
from challenges.library.models import IfNotTaken, PremedDoseRule
from challenges.models import Route
from clinical import premedication
from clinics.forms import PlainTextForm
from patients.models import MedicationClass


class PremedForm(PlainTextForm):
    drug = forms.CharField(label=_("Drug"), max_length=120)
    med_class = forms.ChoiceField(label=_("Class"), choices=MedicationClass.choices, initial=MedicationClass.OTHER)
    dose = forms.CharField(label=_("Dose"), max_length=60, help_text=_("e.g. 200 mg"))
    route = forms.ChoiceField(label=_("Route"), choices=Route.choices, initial=Route.ORAL)
    minutes_before = whole_number(
        _("Minutes before the dose"), unit="min", initial=30, max_value=MAX_OBSERVATION_MINUTES
    )
    before_each_step = forms.BooleanField(label=_("Before each step"), required=False)
    continue_regular = forms.BooleanField(label=_("Established regimen (continue it)"), required=False)
    established_weeks = whole_number(
        _("Established for at least (weeks)"),
        unit="weeks",
        initial=0,
        max_value=premedication.MAX_ESTABLISHED_WEEKS,
        required=False,
    )
    dose_rule = forms.ChoiceField(label=_("Dose by age"), choices=PremedDoseRule.choices, required=False)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    if_not_taken = forms.ChoiceField(
        label=_("A step without it, or too soon after it"),
        choices=IfNotTaken.choices,
        initial=IfNotTaken.REFUSE,
        required=False,
    )
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        small_widgets(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:  # clean() may return None, meaning "cleaned_data as it is" (Form._clean_form)
            data = self.cleaned_data
        if data.get("before_each_step") and data.get("continue_regular"):
            raise ValidationError(
                _("Either an established regimen, or taken a set time before each step: not both."),
                code="two_timings",
            )
        data["established_weeks"] = data.get("established_weeks") or 0
        data["dose_rule"] = data.get("dose_rule") or ""
        data["if_not_taken"] = data.get("if_not_taken") or IfNotTaken.REFUSE  # safe default: hold the step
        return data

    def has_changed(self) -> bool:
        # A new row counts once something is typed; its ticked "required" box and selects alone are defaults.
        typed = (self.data.get(self.add_prefix(name), "").strip() for name in ("drug", "dose", "notes"))
        return any(typed) or bool(self.initial)


PremedFormSet = forms.formset_factory(
    PremedForm, formset=RowFormSet, extra=1, can_delete=True, max_num=20, validate_max=True
)

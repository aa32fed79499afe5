"""During the challenge: findings, vital signs, treatments, adrenaline and the decisions on alerts."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from challenges.models import (
    Decision,
    Route,
    TreatmentKind,
)
from challenges.run.forms.reasons import MAX_REASON
from clinical.checklist import CHECKLIST, ORGAN_LABELS, SEVERITY_LABELS
from clinical.run_rules import MAX_WAIT_MINUTES, MIN_WAIT_MINUTES
from clinical.units import dose_quantity
from clinics.forms import (
    PlainTextForm,
    StampedWhenField,
    StrictDecimalField,
    crispy_helper,
)


def _checklist_choices(codes: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in CHECKLIST:
        if item.code in codes:
            kind = _("objective") if item.objective else _("subjective")
            groups.setdefault(str(ORGAN_LABELS[item.organ]), []).append((item.code, f"{item.label} ({kind})"))
    return list(groups.items())


class ObservationForm(PlainTextForm):
    item_code = forms.ChoiceField(label=_("Finding"))
    severity = forms.TypedChoiceField(
        label=_("Severity"),
        coerce=int,
        choices=[(n, f"{n}: {label}") for n, label in SEVERITY_LABELS.items()],
        initial=1,
    )
    observed_at = StampedWhenField(label=_("Observed at"))
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def __init__(self, *args: Any, checklist: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["item_code"]).choices = _checklist_choices(checklist)
        self.helper = crispy_helper()


VITAL_FIELDS = ("heart_rate", "systolic", "diastolic", "resp_rate", "spo2", "temperature_c", "pef", "fev1_ml")


class VitalsForm(PlainTextForm):
    taken_at = StampedWhenField(label=_("Taken at"))
    heart_rate = forms.IntegerField(label=_("HR (/min)"), min_value=20, max_value=300, required=False)
    systolic = forms.IntegerField(label=_("Systolic (mmHg)"), min_value=30, max_value=300, required=False)
    diastolic = forms.IntegerField(label=_("Diastolic (mmHg)"), min_value=10, max_value=200, required=False)
    resp_rate = forms.IntegerField(label=_("RR (/min)"), min_value=4, max_value=120, required=False)
    spo2 = forms.IntegerField(label=_("SpO₂ (%)"), min_value=50, max_value=100, required=False)
    temperature_c = StrictDecimalField(
        label=_("Temp (°C)"), min_value=Decimal(30), max_value=Decimal(44), unit="°C", required=False
    )
    pef = forms.IntegerField(label=_("PEF (L/min)"), min_value=30, max_value=900, required=False)
    fev1_ml = forms.IntegerField(label=_("FEV1 (mL)"), min_value=100, max_value=8000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:  # clean() may return None, meaning "cleaned_data as it is" (Form._clean_form)
            data = self.cleaned_data
        systolic, diastolic = data.get("systolic"), data.get("diastolic")
        if systolic and diastolic and diastolic >= systolic:
            self.add_error("diastolic", _("Diastolic pressure must be lower than systolic."))
        values = [data.get(n) for n in VITAL_FIELDS]
        if not self.errors and all(v is None for v in values):
            raise forms.ValidationError(_("Enter at least one vital sign."))
        return data


class TreatmentForm(PlainTextForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=TreatmentKind.choices)
    drug = forms.CharField(label=_("Drug"), max_length=120)
    dose = forms.CharField(label=_("Dose"), max_length=60, help_text=_("with its unit, e.g. 0.3 mg"))
    route = forms.ChoiceField(label=_("Route"), choices=Route.choices)
    site = forms.CharField(label=_("Site"), required=False, max_length=60, help_text=_("e.g. anterolateral thigh"))
    given_at = StampedWhenField(label=_("Given at"))
    response = forms.CharField(label=_("Response"), required=False, max_length=200)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()

    def clean_dose(self) -> str:
        """A number and its unit first (0.3 mg, 10 mg, 2 puffs), so the dose can be checked and exported as a
        quantity (FHIR dosage.dose, interop review 2); anything after them (the route, a note) is kept."""
        dose = str(self.cleaned_data["dose"]).strip()
        if dose_quantity(dose) is None:
            raise forms.ValidationError(
                _("Write the dose as a number and its unit first, e.g. 0.3 mg, 10 mg, 5 mL or 2 puffs."),
                code="dose_without_unit",
            )
        return dose


class AdrenalineForm(PlainTextForm):
    """The one-tap adrenaline record: nothing to type; the key makes a double tap one dose."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


class DecisionForm(PlainTextForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect)
    wait_minutes = forms.IntegerField(
        label=_("Wait longer: minutes before the next dose"),
        min_value=MIN_WAIT_MINUTES,
        max_value=MAX_WAIT_MINUTES,
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_REASON)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:
            data = self.cleaned_data
        if data.get("decision") == Decision.WAIT and not data.get("wait_minutes") and "wait_minutes" not in self.errors:
            self.add_error("wait_minutes", _("Say how many minutes to wait before the next dose."))
        return data

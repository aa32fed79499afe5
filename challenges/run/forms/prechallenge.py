"""Before the first dose: the medication (wash-out) decisions and the pre-challenge checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from challenges.models import (
    PreChallengeCheck,
    WashoutAction,
)
from challenges.run.forms.reasons import MAX_REASON
from clinics.forms import (
    DateInput,
    PlainTextForm,
    PlainTextModelForm,
    StampedWhenField,
    StrictDecimalField,
    crispy_helper,
)
from patients.models import Medication


class _MedicationChoice(forms.ModelChoiceField):
    """One of the patient's current medications, posted as its id from the medication check."""

    def __init__(self) -> None:
        super().__init__(queryset=Medication.objects.none(), widget=forms.HiddenInput)


class _MedicationForm(PlainTextForm):
    medication = _MedicationChoice()

    def __init__(self, *args: Any, medications: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["medication"]).queryset = medications
        self.helper = crispy_helper()


class WashoutStopForm(_MedicationForm):
    """The nurse confirms the day the patient took the last dose of a drug that must be washed out."""

    stopped_on = forms.DateField(label=_("Last dose taken on"), widget=DateInput())


class WashoutOverrideForm(_MedicationForm):
    """The allergist lets the challenge go ahead on a drug that was not washed out."""

    reason = forms.CharField(
        label=_("Reason to go ahead"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON,
        error_messages={"required": _("Give a written reason.")},
    )


class MedicationDecisionForm(_MedicationForm):
    """The allergist's risk review (proceed with precautions, defer, switch) or steroid decision."""

    action = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (a.value, a.label)
            for a in WashoutAction
            if a not in (WashoutAction.STOP_CONFIRMED, WashoutAction.OVERRIDDEN)
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (agreed with the prescriber where it applies)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON,
        error_messages={"required": _("Give a written reason.")},
    )


class ChecksForm(PlainTextModelForm):
    taken_at = StampedWhenField(label=_("Baseline vitals taken at"))
    heart_rate = forms.IntegerField(label=_("Heart rate (/min)"), min_value=20, max_value=300)
    systolic = forms.IntegerField(label=_("Systolic BP (mmHg)"), min_value=30, max_value=300)
    diastolic = forms.IntegerField(label=_("Diastolic BP (mmHg)"), min_value=10, max_value=200)
    resp_rate = forms.IntegerField(label=_("Respiratory rate (/min)"), min_value=4, max_value=120)
    spo2 = forms.IntegerField(label=_("SpO₂ (%)"), min_value=50, max_value=100)
    temperature_c = StrictDecimalField(
        label=_("Temperature (°C)"), min_value=Decimal(30), max_value=Decimal(44), unit="°C"
    )
    pef = forms.IntegerField(label=_("PEF (L/min), where relevant"), min_value=30, max_value=900, required=False)
    # A tick box (the model field is nullable only because the question is not always asked).
    premedication_taken = forms.BooleanField(label=_("Premedication taken as planned"), required=False)

    class Meta:
        model = PreChallengeCheck
        fields = [
            *PreChallengeCheck.CHECK_FIELDS,
            "iv_access_ready",
            "baseline_skin",
            "baseline_mouth",
            "baseline_chest",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, premedication_planned: bool = True, fpies: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in PreChallengeCheck.CHECK_FIELDS:
            self.fields[name].required = False
        if not premedication_planned:  # nothing to ask (and the report prints nothing)
            del self.fields["premedication_taken"]
        # IV access is an FPIES item: a plain tick box there, left out (empty) elsewhere.
        if fpies:
            self.fields["iv_access_ready"] = forms.BooleanField(
                label=PreChallengeCheck.check_label("iv_access_ready"), required=False
            )
        else:
            del self.fields["iv_access_ready"]
        self.helper = crispy_helper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:  # clean() may return None, meaning "cleaned_data as it is" (Form._clean_form)
            data = self.cleaned_data
        if data.get("systolic") and data.get("diastolic") and data["diastolic"] >= data["systolic"]:
            self.add_error("diastolic", _("Diastolic pressure must be lower than systolic."))
        return data

    def answers(self) -> dict[str, Any]:
        """The answers; a question not asked (premedication none planned, IV access outside FPIES) is None."""
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}

    def baseline(self) -> dict[str, Any]:
        names = ("taken_at", "heart_rate", "systolic", "diastolic", "resp_rate", "spo2", "temperature_c", "pef")
        return {name: self.cleaned_data.get(name) for name in names}

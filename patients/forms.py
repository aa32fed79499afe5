"""Patient, trigger and medication forms: shape of input only; writes happen in services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.forms import (
    DateInput,
    PlainTextForm,
    PlainTextModelForm,
    StrictDecimalField,
    SubmissionKeyField,
    crispy_helper,
)
from clinics.models import Clinic
from patients.models import (
    MAX_WEIGHT_KG,
    MIN_WEIGHT_KG,
    Condition,
    DiagnosticResult,
    Medication,
    MedicationRoute,
    Patient,
    Trigger,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def _not_in_future(value: date | None, label: StrOrPromise) -> None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("%(label)s cannot be in the future.") % {"label": label})


class PatientForm(PlainTextModelForm):
    conditions = forms.MultipleChoiceField(
        label=_("Conditions"), choices=Condition.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    weight_kg = StrictDecimalField(
        label=_("Weight (kg)"), min_value=MIN_WEIGHT_KG, max_value=MAX_WEIGHT_KG, unit="kg", required=False
    )
    # The version the editor saw: a save over someone else's newer change is refused (optimistic locking).
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    submission_key = SubmissionKeyField()  # a new patient is created once, however often the form is sent

    class Meta:
        model = Patient
        fields = [
            "mrn",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "weight_kg",
            "weight_measured_on",
            "conditions",
            "other_conditions",
            "autoinjector_dose",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_plan_notes",
            "notes",
        ]
        widgets = {
            "date_of_birth": DateInput(),
            "weight_measured_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "emergency_plan_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.instance.clinic = clinic
        if self.instance.pk:
            # An edit must say which version it was made on (security review L4): without it, a save would land
            # silently over a newer one.
            self.fields["seen_version"].initial = self.instance.version
            self.fields["seen_version"].required = True
            self.fields["seen_version"].error_messages["required"] = _(
                "This form is missing the version it was opened on. Reload the page and make the change again."
            )
        self.helper = crispy_helper()

    def clean_mrn(self) -> str:
        mrn = self.cleaned_data["mrn"].strip()
        clash = Patient.objects.filter(clinic=self.clinic, mrn__iexact=mrn).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("A patient with this MRN already exists in this clinic."))
        return mrn

    def clean_date_of_birth(self) -> date:
        born = self.cleaned_data["date_of_birth"]
        _not_in_future(born, _("Date of birth"))
        if born < EARLIEST_BIRTH_DATE:
            raise forms.ValidationError(_("Date of birth must be on or after 1 Jan 1900."))
        return born

    def clean_weight_measured_on(self) -> date | None:
        measured = self.cleaned_data["weight_measured_on"]
        _not_in_future(measured, _("The weighing date"))
        return measured

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:  # clean() may return None, meaning "cleaned_data as it is" (Form._clean_form)
            data = self.cleaned_data
        if data.get("weight_kg") is not None and not data.get("weight_measured_on"):
            self.add_error(
                "weight_measured_on", _("Say when the weight was measured; weight-based doses depend on it.")
            )
        born, measured = data.get("date_of_birth"), data.get("weight_measured_on")
        if born and measured and measured < born:
            self.add_error("weight_measured_on", _("The weight cannot be measured before the date of birth."))
        return data


class TriggerForm(PlainTextModelForm):
    submission_key = SubmissionKeyField()

    class Meta:
        model = Trigger
        fields = [
            "substance",
            "reaction_type",
            "worst_reaction_on",
            "worst_reaction_severity",
            "last_reaction_on",
            "last_reaction_severity",
            "notes",
        ]
        widgets = {
            "worst_reaction_on": DateInput(),
            "last_reaction_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()

    def clean_worst_reaction_on(self) -> date | None:
        value = self.cleaned_data["worst_reaction_on"]
        _not_in_future(value, _("The worst reaction date"))
        return value

    def clean_last_reaction_on(self) -> date | None:
        value = self.cleaned_data["last_reaction_on"]
        _not_in_future(value, _("The last reaction date"))
        return value


class MedicationForm(PlainTextModelForm):
    submission_key = SubmissionKeyField()

    class Meta:
        model = Medication
        fields = ["name", "dose", "schedule", "med_class", "route", "stopped_on"]
        widgets = {"stopped_on": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "route" in self.fields:  # the admin's read-only pages leave it out
            self.fields["route"].required = False  # not posted: by mouth, as every medication was before routes
        self.helper = crispy_helper()

    def clean_route(self) -> str:
        return self.cleaned_data.get("route") or MedicationRoute.ORAL


class DiagnosticResultForm(PlainTextModelForm):
    """An allergy test result: the unit is fixed by the kind, so only the number is typed (clinical.diagnostics)."""

    value = StrictDecimalField(
        label=_("Value (in the unit of the test chosen above)"),
        min_value=Decimal("0"),
        help_text=_(
            'A laboratory result below the assay\'s range ("<0.10", "<1"): enter 0, shown as below it. Specific or '
            'component IgE above the range (">100"): enter 100, shown as ≥100 kU/L.'
        ),
    )
    submission_key = SubmissionKeyField()

    class Meta:
        model = DiagnosticResult
        fields = ["kind", "allergen", "component", "value", "taken_on"]
        widgets = {"taken_on": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()

    def clean_taken_on(self) -> date:
        taken = self.cleaned_data["taken_on"]
        _not_in_future(taken, _("The date taken"))
        born = self.instance.patient.date_of_birth if self.instance.patient_id else None
        if born and taken < born:
            raise forms.ValidationError(_("The test cannot be taken before the date of birth."))
        return taken


class PatientSearchForm(PlainTextForm):
    q = forms.CharField(label=_("Search by name or MRN"), required=False, max_length=100)

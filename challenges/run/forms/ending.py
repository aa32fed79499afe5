"""The end of a challenge: symptoms resolved, neutrophils, discharge, outcome, signing, blinded verdict."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from challenges.models import (
    Advice,
    Outcome,
)
from challenges.run.forms.findings import (
    VITAL_FIELDS,
    VitalsForm,
)
from challenges.run.forms.reasons import MAX_REASON
from challenges.run.models import DischargeCondition
from clinical.grading import SCALES
from clinical.outcome import FORM_ADVICE_MAX_LENGTH, KEEP_EATING_MAX_LENGTH
from clinics.forms import (
    DateInput,
    PlainTextForm,
    StampedWhenField,
    crispy_helper,
)


class BlindedVerdictForm(PlainTextForm):
    """The allergist's blinded verdict: the dose number a reaction followed, or empty for no reaction."""

    after_dose = forms.IntegerField(label=_("A reaction after dose"), required=False, min_value=1, max_value=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


class OutcomeForm(PlainTextForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_REASON)
    grade_scale = forms.ChoiceField(label=_("Grading scale"), choices=list(SCALES.items()))
    grade = forms.CharField(label=_("Reaction grade"), max_length=10, required=False, help_text=_("e.g. 2a, or none"))
    advice = forms.ChoiceField(label=_("Advice"), choices=Advice.choices)
    new_adrenaline_prescription = forms.TypedChoiceField(
        label=_("New adrenaline prescription"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        coerce=lambda value: value == "yes",
    )
    discharge_notes = forms.CharField(
        label=_("Discharge notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=MAX_REASON
    )
    observation_override_reason = forms.CharField(
        label=_("Passed before the observation has ended: reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON,
        required=False,
        help_text=_("Only to confirm a pass before the observation period is over; printed on the report."),
    )
    # Structured discharge advice (clinical review R6): nothing ticked and nothing written until the clinician does.
    discharge_rest_of_day = forms.BooleanField(
        label=_("Passed: advised to avoid exercise and the food for the rest of the day"), required=False
    )
    discharge_keep_eating = forms.CharField(
        label=_("How much and how often to keep eating it"),
        max_length=KEEP_EATING_MAX_LENGTH,
        required=False,
        help_text=_("After a pass: the portion and how often, e.g. a normal portion at least twice a week."),
    )
    discharge_form_advice = forms.CharField(
        label=_("Form-specific advice"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=FORM_ADVICE_MAX_LENGTH,
        required=False,
        help_text=_("Which form was tolerated and which forms to keep avoiding (prefilled for baked milk or egg)."),
    )
    discharge_action_plan_given = forms.BooleanField(label=_("Written allergy action plan given"), required=False)
    discharge_autoinjector_trained = forms.BooleanField(
        label=_("Shown how to use the adrenaline auto-injector"), required=False
    )
    follow_up_on = forms.DateField(label=_("Follow-up or re-challenge date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


class SignForm(PlainTextForm):
    """Signing: no reason needed once the observation has ended; an allergist signing earlier gives one."""

    observation_override_reason = forms.CharField(
        label=_("Signing before the observation has ended: reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON,
        required=False,
        help_text=_("Printed on the report."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_sign_%s")  # the outcome form on the same page has a field of this name
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


class NeutrophilsForm(PlainTextForm):
    """FPIES neutrophil counts, in cells/µL (docs/clinical-sources.md §1.5); a blank keeps what was recorded."""

    baseline_per_ul = forms.IntegerField(
        label=_("Neutrophils at baseline (cells/µL)"), min_value=0, max_value=100000, required=False
    )
    six_hours_per_ul = forms.IntegerField(
        label=_("Neutrophils at about 6 h (cells/µL)"), min_value=0, max_value=100000, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


class SymptomsResolvedForm(PlainTextForm):
    """When the reaction's symptoms resolved, and what decides how long the observation lasts after it."""

    resolved_at = StampedWhenField(label=_("Symptoms resolved at"))
    good_response = forms.TypedChoiceField(
        label=_("Response to a single dose of adrenaline"),
        choices=[
            ("", _("No adrenaline, or more than one dose")),
            ("yes", _("Good (within 10-15 min)")),
            ("no", _("Not good")),
        ],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
    )
    severe_respiratory = forms.BooleanField(
        label=_("Severe asthma or severe respiratory compromise during the reaction"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


class DischargeForm(VitalsForm):
    """The discharge: when, the patient's condition, the vital signs taken then (at least one), and a note."""

    discharged_at = StampedWhenField(label=_("Discharged at"))
    condition = forms.ChoiceField(label=_("Condition at discharge"), choices=DischargeCondition.choices)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=1000)

    field_order = ["discharged_at", "condition"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_discharge_%s")  # the vital-signs form on the same page has these fields
        super().__init__(*args, **kwargs)
        del self.fields["taken_at"]

    def vitals(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in VITAL_FIELDS}

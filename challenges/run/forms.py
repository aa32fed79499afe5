"""Forms of the challenge run: shape of input only; the rules live in challenges.run.services."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from challenges.models import (
    Advice,
    Decision,
    Outcome,
    PreChallengeCheck,
    Protocol,
    Route,
    TreatmentKind,
    WashoutAction,
)
from challenges.run.models import Challenge, ContinuationKind, DischargeCondition, Purpose, StopKind
from clinical.checklist import CHECKLIST, ORGAN_LABELS, SEVERITY_LABELS
from clinical.grading import SCALES
from clinical.outcome import FORM_ADVICE_MAX_LENGTH, KEEP_EATING_MAX_LENGTH
from clinical.run_rules import MAX_WAIT_MINUTES, MIN_WAIT_MINUTES
from clinical.units import dose_quantity
from clinics.forms import (
    DateInput,
    DateTimeInput,
    PlainTextForm,
    PlainTextModelForm,
    StampedWhenField,
    StrictDecimalField,
    SubmissionKeyField,
    crispy_helper,
)
from clinics.models import Role, User
from patients.models import Medication

MAX_DOSE_AMOUNT = Decimal("10000")  # g or mL: a plausibility bound on typing, far above any serving


def _now_local() -> datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class WhenField(forms.DateTimeField):
    """A local date and time (the clinic's zone), defaulting to now."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateTimeInput())
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(**kwargs)


class StaffChoiceField(forms.ModelChoiceField):
    """A member of staff, shown by name ("Ada Allergist"), never by username."""

    def label_from_instance(self, obj: Any) -> str:
        return cast(User, obj).display_name


class ScheduleForm(PlainTextForm):
    protocol = forms.ModelChoiceField(label=_("Protocol"), queryset=Protocol.objects.none())
    scheduled_at = WhenField(label=_("Date and time"))
    allergist = StaffChoiceField(label=_("Supervising allergist"), queryset=User.objects.none())
    nurse = StaffChoiceField(label=_("Nurse"), queryset=User.objects.none(), required=False)
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=[("", _("Choose the purpose")), *Purpose.choices],
        error_messages={"required": _("Say why this challenge is done.")},
    )
    indication = forms.CharField(
        label=_("Indication"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    placebo_doses = forms.IntegerField(
        label=_("Placebo doses (DBPCFC and single-blind only)"),
        required=False,
        min_value=0,
        max_value=20,
        help_text=_(
            "Added to the full active series, never in place of a step. Where they go is drawn at random when you "
            "book, and shown only to whoever prepares the blinded doses."
        ),
    )
    first_step_in_clinic = forms.NullBooleanField(
        label=_("Home plans: first step taken in clinic"),
        required=False,
        widget=forms.Select(choices=[("unknown", _("As the protocol says")), ("true", _("Yes")), ("false", _("No"))]),
        help_text=_("Under supervision, before the patient goes on at home."),
    )
    # A continuation of an earlier challenge of this patient (X5): day 2, open feeding after a DBPCFC, home days.
    continues = forms.ModelChoiceField(
        label=_("Continues challenge"), queryset=Challenge.objects.none(), required=False, widget=forms.HiddenInput
    )
    continuation_kind = forms.ChoiceField(
        label=_("Continuation"), choices=[("", _("Not a continuation")), *ContinuationKind.choices], required=False
    )
    # One home plan at a time per food: an allergist replaces an open one only with a reason (ux-walk 4.1).
    replace_reason = forms.CharField(
        label=_("Home plans: replace the patient's open plan for this food, because"),
        required=False,
        max_length=2000,
        help_text=_(
            "Only when the patient already has a home plan for this food that is planned, running or paused. The "
            "earlier plan is stopped with this reason and stays in the patient's record."
        ),
    )
    # The medication check the user was last shown (challenges.run.views.schedule): booking goes ahead only once
    # the check for exactly this protocol, date and medication list has been on the screen.
    reviewed = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    submission_key = SubmissionKeyField()

    def __init__(
        self,
        *args: Any,
        protocols: Any,
        clinic_id: int,
        continues: Challenge | None = None,
        signed_in: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The clinician booking is preselected where they are a valid choice: an allergist supervises, a nurse nurses.
        if signed_in is not None and signed_in.clinic_id == clinic_id:
            self.initial.setdefault("allergist" if signed_in.is_allergist else "nurse", signed_in.pk)
        cast(forms.ModelChoiceField, self.fields["protocol"]).queryset = protocols
        # Any challenge of the clinic: the booking refuses another patient's (continuation_other_patient).
        challenges = Challenge.objects.filter(clinic_id=clinic_id)
        cast(forms.ModelChoiceField, self.fields["continues"]).queryset = challenges
        if continues is None:
            del self.fields["continuation_kind"]
            self.fields["continues"].disabled = True
        else:
            self.fields["continues"].initial = continues.pk
            self.fields["continuation_kind"].required = True
            self.initial.setdefault("protocol", continues.protocol.pk)  # offered first; any of its allergen may go
        staff = User.objects.filter(clinic_id=clinic_id, is_active=True).order_by("last_name", "first_name", "pk")
        cast(forms.ModelChoiceField, self.fields["allergist"]).queryset = staff.filter(role=Role.ALLERGIST)
        cast(forms.ModelChoiceField, self.fields["nurse"]).queryset = staff.filter(
            role__in=[Role.NURSE, Role.ALLERGIST]
        )
        self.helper = crispy_helper()

    def clean_placebo_doses(self) -> int:
        return self.cleaned_data["placebo_doses"] or 0

    def booking_data(self) -> dict[str, Any]:
        """The cleaned data the booking service takes."""
        return {name: value for name, value in self.cleaned_data.items() if name not in ("reviewed", "submission_key")}


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


MAX_REASON = 2000  # characters: a written reason, not a document


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


class BlindedVerdictForm(PlainTextForm):
    """The allergist's blinded verdict: the dose number a reaction followed, or empty for no reaction."""

    after_dose = forms.IntegerField(label=_("A reaction after dose"), required=False, min_value=1, max_value=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


class ReasonForm(PlainTextForm):
    """A written reason (cancel, stop, override): stripped, required, at most MAX_REASON characters."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON,
        error_messages={"required": _("Give a written reason.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


class AddendumForm(ReasonForm):
    reason = forms.CharField(
        label=_("Addendum"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON,
        error_messages={"required": _("Write the addendum.")},
    )


class ObservationEndForm(ReasonForm):
    """Ending the observation: no reason needed once the period has run; an allergist ending it early gives one."""

    reason = forms.CharField(
        label=_("Reason to end early"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON,
        required=False,
    )


MAX_MIX_VOLUME_ML = Decimal("500")  # the largest mix made (clinical.dose_preparation.MIX_VOLUMES_ML)
GIVEN_AS_FOOD, GIVEN_AS_MIX = "food", "mix"


class _StaffChoice(forms.TypedChoiceField):
    """One of the clinic's staff, posted as an id; cleaned to the User (from a list loaded once for the page)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, empty_value=None, **kwargs)


def _amount_label_now(unit: str | Callable[[], str]) -> str:
    return str(_("Amount actually eaten (%(unit)s)") % {"unit": unit() if callable(unit) else unit})


_amount_label = lazy(_amount_label_now, str)  # the unit is read when the label is drawn or names an error


class DoseForm(PlainTextForm):
    """A dose given: all of it or how much, when, and who prepared and checked it (docs/clinical-sources.md §12).

    `given_as` is "mix" for a diluted dose (the volume of the mix given is recorded) and "food" otherwise (the
    amount of food eaten). The page sets it from the plan; the post carries it back, and the service checks it
    against the step.
    """

    given_as = forms.ChoiceField(
        choices=[(GIVEN_AS_FOOD, GIVEN_AS_FOOD), (GIVEN_AS_MIX, GIVEN_AS_MIX)],
        widget=forms.HiddenInput,
        initial=GIVEN_AS_FOOD,
        required=False,
    )
    ate_all = forms.BooleanField(label=_("The whole planned dose was eaten"), required=False, initial=True)
    food_amount = StrictDecimalField(
        label=_("Amount actually eaten"),
        min_value=Decimal("0.001"),
        max_value=MAX_DOSE_AMOUNT,
        required=False,
        help_text=_("Only when less than the planned dose was eaten."),
    )
    mix_volume_ml = StrictDecimalField(
        label=_("Volume of the mix given (mL)"),
        min_value=Decimal("0.01"),
        max_value=MAX_MIX_VOLUME_ML,
        unit="mL",
        required=False,
        help_text=_("Only when less than the planned volume was given."),
    )
    prepared_by = _StaffChoice(label=_("Prepared by"), required=False)
    checked_by = _StaffChoice(
        label=_("Checked by (second person)"),
        required=False,
        help_text=_("Required for a diluted dose: someone other than the preparer checks it before it is given."),
    )
    given_at = StampedWhenField(label=_("Given at"))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=500)
    override_reason = forms.CharField(
        label=_("Allergist: reason to give it early"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(
        self,
        *args: Any,
        unit: str | Callable[[], str] = "g",
        allow_override: bool = False,
        staff: Sequence[User] | Callable[[], Sequence[User]] = (),
        given_as: str | None = None,
        planned_volume: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The staff list and the food's unit may come as loaders: a dose post that names nobody and types no amount
        # (most) never queries them; they load when a posted name or amount is checked, or the form is drawn.
        self._staff_source = staff
        self._staff: dict[int, User] | None = None
        unit = functools.cache(unit) if callable(unit) else unit
        for name in ("prepared_by", "checked_by"):
            cast(forms.TypedChoiceField, self.fields[name]).choices = self._staff_choices
        self.mode: str = given_as or (self.data.get("given_as") if self.is_bound else None) or GIVEN_AS_FOOD
        self.fields["given_as"].initial = self.mode
        if self.mode == GIVEN_AS_MIX:
            del self.fields["food_amount"]
            self.fields["checked_by"].label = _("Checked by (second person, required for this diluted dose)")
            self.fields["ate_all"].label = _("The whole planned volume of the mix was given") + (
                f" ({planned_volume})" if planned_volume else ""
            )
        else:
            del self.fields["mix_volume_ml"]
            self.fields["food_amount"].label = _amount_label(unit)
            cast(StrictDecimalField, self.fields["food_amount"]).unit = unit
        if not allow_override:
            del self.fields["override_reason"]
        self.helper = crispy_helper()

    @property
    def staff(self) -> dict[int, User]:
        if self._staff is None:
            source = self._staff_source
            self._staff = {user.pk: user for user in (source() if callable(source) else source)}
        return self._staff

    def _staff_choices(self) -> list[tuple[Any, str]]:
        return [("", "—"), *((user.pk, user.display_name) for user in self.staff.values())]

    def _person(self, name: str) -> User | None:
        pk = self.cleaned_data.get(name)
        if pk is None:
            return None
        if pk not in self.staff:
            raise forms.ValidationError(_("Choose someone of this clinic."))
        return self.staff[pk]

    def clean_prepared_by(self) -> User | None:
        return self._person("prepared_by")

    def clean_checked_by(self) -> User | None:
        return self._person("checked_by")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:  # clean() may return None, meaning "cleaned_data as it is" (Form._clean_form)
            data = self.cleaned_data
        field = "mix_volume_ml" if self.mode == GIVEN_AS_MIX else "food_amount"
        data.setdefault("food_amount", None)
        data.setdefault("mix_volume_ml", None)
        if data.get("ate_all"):
            data[field] = None
        elif data.get(field) is None and field not in self.errors:
            what = _("the volume of the mix given") if field == "mix_volume_ml" else _("the amount eaten")
            self.add_error(field, _("Enter %(what)s, or tick that the whole dose was given.") % {"what": what})
        return data


class FoodLotForm(PlainTextForm):
    """The pack of food used: brand, lot or batch, expiry, and the protein per 100 g its label states."""

    brand = forms.CharField(label=_("Brand or product"), max_length=120)
    lot = forms.CharField(label=_("Lot or batch"), max_length=60)
    expires_on = forms.DateField(label=_("Expiry date"), widget=DateInput())
    label_protein_g_per_100 = StrictDecimalField(
        label=_("Protein on the label (g per 100 g)"),
        min_value=Decimal("0.001"),
        max_value=Decimal(100),
        unit="g",
        required=False,
        help_text=_(
            "From the pack's nutrition label. If it differs from the library figure by more than 10 %, "
            "the amounts are worked out from the label."
        ),
    )

    def __init__(self, *args: Any, per: str = "100 g", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label_protein_g_per_100"].label = _("Protein on the label (g per %(per)s)") % {"per": per}
        self.helper = crispy_helper()


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


class StopForm(ReasonForm):
    """Stop the challenge: why (a reaction, or refusal, time, illness: clinical review O2) and a written reason."""

    kind = forms.ChoiceField(label=_("Why"), choices=StopKind.choices, required=False)

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or StopKind.REACTION


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

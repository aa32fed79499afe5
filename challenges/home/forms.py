"""Forms of a home plan: the patient's records, and the clinic's release, plan change and follow-up."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from challenges.library.facts import food_spec
from challenges.library.forms.fields import (
    MAX_STEPS,
    MINUTES_PER,
    WAIT_UNITS,
    AmountField,
    FoodChoiceField,
    RowFormSet,
    WholeNumberField,
)
from challenges.library.models import Food, StepRole
from challenges.models import FollowUpMethod
from challenges.run.forms.booking import WhenField, now_local
from challenges.run.forms.dosing import MAX_DOSE_AMOUNT
from clinical import dosing, plain_words
from clinical.checklist import CHECKLIST
from clinical.kinds import DAY
from clinical.plan import PlannedStep, household_amount
from clinical.units import QuantityError, unambiguous_decimal_comma
from clinics.forms import PlainTextForm, StrictDecimalField, SubmissionKeyField, crispy_helper

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# Plain words for patients (PRACTALL 0-3, docs/clinical-sources.md §3.1).
PATIENT_SEVERITY = [
    (1, _("Mild: I notice it, but it does not stop me doing things")),
    (2, _("Moderate: it bothers me and gets in the way")),
    (3, _("Severe: I cannot carry on as normal")),
]


class _Helped(PlainTextForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


class _Once(_Helped):
    """A patient's form: a one-time key (clinics.services.once), so a double tap, a re-tap after a slow answer or
    Back and resubmit records one entry."""

    submission_key = SubmissionKeyField()


class PatientAmountField(StrictDecimalField):
    """An amount typed on the patient's phone: a single decimal comma that cannot be a thousands separator is read
    as a point ("0,05" is 0.05); the errors are in plain words."""

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = unambiguous_decimal_comma(value)
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            if exc.code == "separator":
                raise forms.ValidationError(
                    _("Use a point for decimals, like 0.5, and no spaces or commas in big numbers."), code="separator"
                ) from exc
            raise


def symptom_choices(checklist: list[str]) -> list[tuple[str, str | StrPromise]]:
    """The plan's checklist in the patient's words (clinical.plain_words), after an empty choice: none preselected."""
    items = [(i.code, plain_words.symptom(i.code)) for i in CHECKLIST if i.code in checklist]
    return [("", _("Choose what you noticed")), *items]


class PremedTakenForm(_Once):
    """When the patient took a planned premedication (`planned`: the plan's timed items as (id, label))."""

    item = forms.TypedChoiceField(label=_("Medicine"), coerce=int)
    given_at = WhenField(label=_("Taken at"), initial=now_local)

    def __init__(self, *args: Any, planned: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["item"])
        field.choices = planned
        if len(planned) == 1:
            field.initial = planned[0][0]


class HomeDoseForm(_Helped):
    given_at = WhenField(label=_("Eaten at"), initial=now_local)
    ate_all = forms.BooleanField(label=_("I ate the whole amount"), required=False, initial=True)
    food_amount = PatientAmountField(
        label=_("If not, how much did you eat (g)?"),
        min_value=Decimal("0.001"),
        max_value=MAX_DOSE_AMOUNT,
        required=False,
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:  # clean() may return None, meaning "cleaned_data as it is" (Form._clean_form)
            data = self.cleaned_data
        if data.get("ate_all"):
            data["food_amount"] = None
        elif data.get("food_amount") is None and "food_amount" not in self.errors:
            self.add_error("food_amount", _("Say how much you ate, or tick that you ate the whole amount."))
        return data


class SymptomForm(_Once):
    item_code = forms.ChoiceField(
        label=_("What did you notice?"),
        error_messages={"required": _("Choose what you noticed.")},
        widget=forms.Select(attrs={"class": "form-select-lg"}),
    )
    severity = forms.TypedChoiceField(
        label=_("How bad is it?"),
        coerce=int,
        choices=PATIENT_SEVERITY,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how bad it is.")},
    )
    observed_at = WhenField(label=_("When did it start?"), initial=now_local)
    note = forms.CharField(
        label=_("Anything else?"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, checklist: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["item_code"]).choices = symptom_choices(checklist)


class UsualSymptomsForm(_Once):
    """ "My usual symptoms" (MCAS): one choice per item on the plan's checklist, "not usual for me" or the usual
    grade. They are recorded, but only a symptom worse than its usual grade pauses the plan."""

    def __init__(self, *args: Any, checklist: list[str], usual: dict[str, int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        usual = usual or {}
        for item in CHECKLIST:
            if item.code in checklist:
                self.fields[item.code] = forms.TypedChoiceField(
                    label=plain_words.symptom(item.code),
                    coerce=int,
                    choices=[(0, _("Not usual for me")), *PATIENT_SEVERITY],
                    initial=usual.get(item.code, 0),
                    required=False,
                    empty_value=0,  # type: ignore[arg-type]  # an unchosen item is "not usual" (0)
                )

    def usual(self) -> dict[str, int]:
        return {code: grade for code, grade in self.cleaned_data.items() if code != "submission_key" and grade}


class CorrectionForm(SymptomForm):
    reason = forms.CharField(label=_("Why are you correcting it?"), max_length=500)


class WithdrawForm(_Once):
    """Withdraw an entry of one's own (a duplicate, or a mistake): it stays in the history, crossed out."""

    reason = forms.CharField(
        label=_("Why are you withdrawing it?"),
        max_length=500,
        initial=_("Recorded twice"),
        help_text=_("For example: recorded twice, or recorded by mistake."),
    )


class ReleaseForm(_Helped):
    reason = forms.CharField(label=_("Note (optional)"), required=False, max_length=1000)


class PlanChangeForm(_Helped):
    """Why the plan changes; the new remaining steps are the rows of PlanStepFormSet."""

    reason = forms.CharField(
        label=_("Reason for the change"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


AMOUNT_UNITS = (("g", _("g of food")), ("mL", _("mL of food")), ("mg", _("mg protein")))
MAX_PLAN_WAIT_MINUTES = 60 * DAY  # a typo bound (the service checks the kind's shortest wait)


class PlanStepForm(PlainTextForm):
    """One remaining step of a home plan: how much (food in g or mL, or protein in mg), then the wait after it.

    `plan_food` is the plan's food: a step of another food (a ladder's rung, X4) chooses it in `food`.
    """

    role = forms.ChoiceField(
        choices=[("", _("dose")), (StepRole.LIP_SMEAR, _("lip smear"))], required=False, widget=forms.HiddenInput
    )
    amount = AmountField(label=_("Amount"), places=3, max_digits=10, min_value=Decimal("0.001"), required=False)
    unit = forms.ChoiceField(label=_("Unit"), choices=AMOUNT_UNITS)
    household_measure = forms.CharField(
        label=_("Household measure"), max_length=60, required=False, help_text=_("e.g. 1/8 serving, 1 biscuit")
    )
    food = FoodChoiceField(
        label=_("Food of this step"), queryset=Food.objects.none(), required=False, empty_label=_("plan's food")
    )
    wait = WholeNumberField(
        label=_("Then wait"), min_value=Decimal(1), max_value=Decimal(MAX_PLAN_WAIT_MINUTES), initial=3
    )
    wait_unit = forms.ChoiceField(label=_("Unit of the wait"), choices=WAIT_UNITS, initial="d")

    def __init__(self, *args: Any, plan_food: Food, foods: QuerySet[Food], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan_food = plan_food
        cast(forms.ModelChoiceField, self.fields["food"]).queryset = foods
        self.fields["unit"].initial = plan_food.amount_unit
        for field in self.fields.values():
            field.widget.attrs.update(_row_widget_attrs(field))

    def clean_household_measure(self) -> str:
        text: str = self.cleaned_data["household_measure"].strip()
        try:
            household_amount(text)
        except QuantityError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:  # clean() may return None, meaning "cleaned_data as it is" (Form._clean_form)
            data = self.cleaned_data
        food: Food = data.get("food") or self.plan_food
        unit = data.get("unit")
        if data.get("role") != StepRole.LIP_SMEAR and data.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", _("Give the amount of this step."))
        if unit in ("g", "mL") and unit != food.amount_unit:
            message = _("%(food)s is measured in %(unit)s.") % {"food": food.name, "unit": food.amount_unit}
            self.add_error("unit", message)
        wait, wait_unit = data.get("wait"), data.get("wait_unit")
        if wait is not None and wait_unit and wait * MINUTES_PER[wait_unit] > MAX_PLAN_WAIT_MINUTES:
            self.add_error("wait", _("Wait at most 60 days."))
        return data

    def planned_step(self, number: int) -> PlannedStep:
        data = self.cleaned_data
        food: Food | None = data.get("food")
        if food is not None and food.pk == self.plan_food.pk:
            food = None  # the plan's own food: a plain step
        amount = data["amount"] if data.get("role") != StepRole.LIP_SMEAR else None
        return PlannedStep(
            number,
            amount if data["unit"] == "mg" else None,
            amount if data["unit"] != "mg" else None,
            data["household_measure"],
            data["wait"] * MINUTES_PER[data["wait_unit"]],
            data.get("role") or StepRole.DOSE,
            food=food_spec(food) if food is not None else None,
            food_id=food.pk if food is not None else None,
        )


def _row_widget_attrs(field: forms.Field) -> dict[str, str]:
    """Fields in a table row have no visible label: an accessible name, and Bootstrap's small controls."""
    if isinstance(field.widget, forms.HiddenInput):
        return {}
    css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
    return {"class": css, "aria-label": str(field.label)}


class PlanStepFormSet(RowFormSet):
    """The plan's remaining steps as rows: prefilled from the plan, rows added and removed; blank extra rows are
    ignored."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors and not form.cleaned_data.get("DELETE") for form in self.forms):
            return  # each row shows its own error first
        count = len(self.kept_forms())
        if count == 0:
            raise forms.ValidationError(_("Give at least one step."), code="no_steps")
        if count > MAX_STEPS:
            raise forms.ValidationError(
                _("A plan has at most %(limit)d steps; this change gives %(count)d.")
                % {"limit": MAX_STEPS, "count": count},
                code="too_many_steps",
            )

    def kept_forms(self) -> list[PlanStepForm]:
        return [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]

    def planned_steps(self) -> list[PlannedStep]:
        return [form.planned_step(number) for number, form in enumerate(self.kept_forms(), start=1)]


PlanStepRows = cast(
    type[PlanStepFormSet],
    forms.formset_factory(PlanStepForm, formset=PlanStepFormSet, extra=1, can_delete=True, max_num=MAX_STEPS),
)


def plan_step_initial(step: PlannedStep, plan_food: dosing.FoodSpec) -> dict[str, Any]:
    """A remaining step as a prefilled row: its amount in the unit it is planned in, its wait in days or hours."""
    amount: Decimal | None
    if step.food_amount is not None:
        amount, unit = step.food_amount, step.food_or(plan_food).unit
    else:
        amount, unit = step.protein_mg, "mg"
    wait, wait_unit = step.interval_minutes, "min"
    for candidate in ("d", "h"):
        if step.interval_minutes and step.interval_minutes % MINUTES_PER[candidate] == 0:
            wait, wait_unit = step.interval_minutes // MINUTES_PER[candidate], candidate
            break
    return {
        "role": StepRole.LIP_SMEAR if step.role == StepRole.LIP_SMEAR else "",
        "amount": amount,
        "unit": unit,
        "household_measure": step.household_measure,
        "food": step.food_id,
        "wait": wait,
        "wait_unit": wait_unit,
    }


class FollowUpForm(_Once):
    method = forms.ChoiceField(label=_("How"), choices=FollowUpMethod.choices)
    symptoms = forms.TypedChoiceField(
        label=_("New symptoms since the challenge?"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    findings = forms.CharField(
        label=_("What was found"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    recurrence_at = WhenField(label=_("Late reaction: symptoms came back at"), required=False)
    home_treatment = forms.CharField(label=_("Treatment taken at home"), required=False, max_length=200)
    emergency_attendance = forms.TypedChoiceField(
        label=_("Went to an emergency department"),
        choices=[("", _("Not asked")), ("no", _("No")), ("yes", _("Yes"))],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
    )
    tryptase_ug_l = StrictDecimalField(
        label=_("Tryptase after the reaction (µg/L)"),
        min_value=Decimal("0.1"),
        max_value=Decimal("1000"),
        unit="µg/L",
        required=False,
    )
    tryptase_taken_at = WhenField(label=_("Tryptase sample taken at"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:  # clean() may return None, meaning "cleaned_data as it is" (Form._clean_form)
            data = self.cleaned_data
        if data.get("symptoms") and not (data.get("findings") or "").strip():
            self.add_error("findings", _("Describe the symptoms."))
        return data

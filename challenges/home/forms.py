"""Forms of a home plan: the patient's records, and the clinic's release, plan change and follow-up."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from challenges.library.forms import MAX_STEPS
from challenges.models import FollowUpMethod
from challenges.run.forms import MAX_DOSE_AMOUNT, WhenField, _now_local
from clinical import plain_words
from clinical.checklist import CHECKLIST
from clinical.kinds import DAY
from clinical.plan import PlannedStep
from clinical.units import unambiguous_decimal_comma
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
    given_at = WhenField(label=_("Taken at"), initial=_now_local)

    def __init__(self, *args: Any, planned: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["item"])
        field.choices = planned
        if len(planned) == 1:
            field.initial = planned[0][0]


class HomeDoseForm(_Helped):
    given_at = WhenField(label=_("Eaten at"), initial=_now_local)
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
    observed_at = WhenField(label=_("When did it start?"), initial=_now_local)
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
    steps = forms.CharField(
        label=_("Remaining steps"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One step per line: grams of food, then days to wait after it, e.g. “12.5 g, 4 days”."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_steps(self) -> list[PlannedStep]:
        lines = [line.strip() for line in self.cleaned_data["steps"].splitlines() if line.strip()]
        if not lines:
            raise forms.ValidationError(_("Give at least one step."))
        if len(lines) > MAX_STEPS:
            raise forms.ValidationError(
                _("A plan has at most %(limit)d steps; this change gives %(count)d.")
                % {"limit": MAX_STEPS, "count": len(lines)}
            )
        return [self._parse(number, line) for number, line in enumerate(lines, start=1)]

    def _parse(self, number: int, line: str) -> PlannedStep:
        amount_text, _comma, days_text = line.partition(",")
        amount_field = StrictDecimalField(min_value=Decimal("0.01"), max_value=MAX_DOSE_AMOUNT, unit="g")
        try:
            amount = amount_field.clean(amount_text.strip().removesuffix("g").strip())
            days = int(days_text.strip().split()[0]) if days_text.strip() else 3
        except (forms.ValidationError, ValueError) as exc:
            message = exc.messages[0] if isinstance(exc, forms.ValidationError) else _("days must be a whole number")
            raise forms.ValidationError(
                _("Line %(n)s (“%(line)s”): %(error)s") % {"n": number, "line": line, "error": message}
            ) from None
        if not 1 <= days <= 60:
            raise forms.ValidationError(_("Line %(n)s: wait 1 to 60 days.") % {"n": number})
        return PlannedStep(number, None, amount, "", days * DAY)


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

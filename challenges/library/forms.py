"""Protocol-library forms: the shape of what a clinician types. Rules live in services and pure modules.

The edit page is several forms at once (header, step rows, premedication rows, checklist, stop rules,
wash-out); `ProtocolEditor` keeps them together, builds the `ProtocolDraft` and puts the service's errors next
to the part of the page they are about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from challenges.library.facts import food_spec
from challenges.library.models import IfNotTaken, PremedDoseRule, StepRole
from challenges.library.services.foods import FoodDraft
from challenges.library.services.protocols import PremedSpec, ProtocolDraft, ProtocolError, draft_from_protocol
from challenges.models import AllergenGroup, DoseBasis, Food, PhysicalForm, Processing, Protocol, Route
from clinical import dosing, ladders, premedication, step_checks, washout, washout_rules
from clinical.checklist import CHECKLIST, ORGAN_LABELS, SEVERITY_LABELS, Organ
from clinical.kinds import KIND_CHOICES, KINDS, kind_defaults
from clinical.plan import (
    GENERATORS,
    GeneratorInput,
    PlannedStep,
    generate_steps,
    household_amount,
    with_household_amounts,
)
from clinical.stop_rules import StopRuleError, StopRules
from clinical.units import QuantityError, format_quantity, parse_decimal
from clinics.forms import PlainTextForm, StrictDecimalField, crispy_helper
from patients.models import MedicationClass

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Sanity bounds on typed input (typos, not clinical limits; the service checks the clinical ones).
MAX_OBSERVATION_MINUTES = 7 * 24 * 60
MAX_WATCH_HOURS = 30 * 24
MAX_FOLLOW_UP_HOURS = 30 * 24
MAX_WAIT = 99_999
MAX_STEPS = 60  # generators stop at 50 (ladders.MAX_LADDER_STEPS); leaves room for hand-added steps

WAIT_UNITS = (("min", _("minutes")), ("h", _("hours")), ("d", _("days")))
MINUTES_PER = {"min": 1, "h": 60, "d": 24 * 60}


# --- fields --------------------------------------------------------------------------------------------------


class AmountField(StrictDecimalField):
    """A dose, amount or protein figure: strict parsing, and no more digits than the database column keeps."""

    def __init__(self, *, places: int, max_digits: int, **kwargs: Any) -> None:
        self.places, self.max_digits = places, max_digits
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        number = super().to_python(value)
        if number is None:
            return None
        _sign, digits, exponent = number.normalize().as_tuple()
        assert isinstance(exponent, int)  # parse_decimal only returns finite numbers
        if exponent < -self.places:
            raise ValidationError(_("Use at most %(places)d decimal places.") % {"places": self.places}, code="places")
        if len(digits) + exponent > self.max_digits - self.places:
            raise ValidationError(_("That number is too large."), code="too_large")
        return number


class WholeNumberField(StrictDecimalField):
    """A count of minutes, hours or doses, typed as strictly as a dose ("５", "1e3" and "1,5" are refused)."""

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        number = super().to_python(value)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise ValidationError(_("Enter a whole number."), code="not_whole")
        return int(number)

    def prepare_value(self, value: Any) -> Any:
        return value

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "numeric"
        return attrs


def _whole(label: StrOrPromise, *, unit: str = "", required: bool = True, **kwargs: Any) -> WholeNumberField:
    return WholeNumberField(label=label, unit=unit, required=required, min_value=kwargs.pop("min_value", 0), **kwargs)


class FoodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, food: Food) -> str:
        protein = format_quantity(food.protein_g_per_100, "g")
        owner = _("clinic") if food.clinic_id else _("standard")
        return f"{food.name}, {food.form} · {protein}/100 {food.amount_unit} · {owner}"


def _small_widgets(form: forms.Form) -> None:
    """Bootstrap classes and an accessible name for fields rendered in a table row (no visible label)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs.update({"class": css, "aria-label": str(field.label)})


# --- the protocol header (new and edit pages) ---------------------------------------------------------------


class ProtocolHeaderForm(PlainTextForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES)
    food = FoodChoiceField(label=_("Food"), queryset=Food.objects.none())
    dose_basis = forms.ChoiceField(label=_("Doses are planned in"), choices=DoseBasis.choices)
    observation_minutes = _whole(
        _("Observation after the last dose (minutes)"),
        unit="min",
        required=False,
        max_value=MAX_OBSERVATION_MINUTES,
        help_text=_("Blank for the kind's default: 2 h, or 4 h for FPIES."),
    )
    watch_hours = _whole(
        _("Watch window after each step (hours)"),
        unit="h",
        required=False,
        max_value=MAX_WATCH_HOURS,
        help_text=_("For home steps: how long to watch for delayed symptoms. Leave blank for none."),
    )
    min_top_dose_mg = AmountField(
        label=_("Minimum top dose to call it negative (mg protein)"),
        places=3,
        max_digits=10,
        unit="mg",
        min_value=Decimal("0.001"),
        required=False,
    )
    follow_up_hours = forms.CharField(
        label=_("Follow-up check-ins (hours after the last dose)"),
        required=False,
        max_length=100,
        help_text=_("Whole hours separated by commas, e.g. 2, 24."),
    )
    first_step_in_clinic = forms.BooleanField(
        label=_("Home plans: the first step is taken in clinic"),
        required=False,
        initial=True,
        help_text=_("Under supervision; the patient's plan shows it and the patient cannot record it at home."),
    )
    keep_eating_between_steps = forms.BooleanField(
        label=_("Home plans: keep eating the tolerated amount daily until the next step"), required=False
    )
    fpies_protein_g_per_kg = StrictDecimalField(
        label=_("FPIES: protein per kg, doses generated for the patient's weight at booking (g/kg)"),
        unit="g/kg",
        min_value=ladders.FPIES_MIN_G_PER_KG,
        max_value=ladders.FPIES_MAX_G_PER_KG,
        required=False,
        help_text=_("Blank: the steps are given as written (the booking still checks 0.6 g/kg)."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    references = forms.CharField(
        label=_("Sources"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, foods: QuerySet[Food], preview: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["food"]).queryset = foods
        if preview:  # the dose table needs no name: a preview while typing does not ask for one yet
            self.fields["name"].required = False
        self.helper = crispy_helper()

    def clean_follow_up_hours(self) -> tuple[int, ...]:
        hours = []
        for part in self.cleaned_data["follow_up_hours"].split(","):
            part = part.strip()
            if not part:
                continue
            if not (part.isascii() and part.isdigit()):
                raise ValidationError(_("Write follow-up times as whole hours separated by commas, e.g. 2, 24."))
            if int(part) > MAX_FOLLOW_UP_HOURS:
                message = _("Follow-up times must be at most %(max)d hours.") % {"max": MAX_FOLLOW_UP_HOURS}
                raise ValidationError(message)
            hours.append(int(part))
        return tuple(hours)

    def draft_fields(self) -> dict[str, Any]:
        """The header part of a ProtocolDraft."""
        data = self.cleaned_data
        fields = (
            "name",
            "kind",
            "food",
            "dose_basis",
            "min_top_dose_mg",
            "follow_up_hours",
            "first_step_in_clinic",
            "keep_eating_between_steps",
            "fpies_protein_g_per_kg",
        )
        observation = data["observation_minutes"]
        return {
            **{name: data[name] for name in fields},
            "observation_minutes": KINDS[data["kind"]].default_observation_minutes
            if observation is None
            else observation,
            "watch_hours": data["watch_hours"] or 0,
            "notes": data["notes"].strip(),
            "references": data["references"].strip(),
        }


def header_initial(draft: ProtocolDraft) -> dict[str, Any]:
    initial = {name: getattr(draft, name) for name in ProtocolHeaderForm.base_fields}
    initial["follow_up_hours"] = ", ".join(str(hours) for hours in draft.follow_up_hours)
    return initial


# --- generators ---------------------------------------------------------------------------------------------

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
    "watch_overlaps_next_step": "watch_hours",
}


# The parameters each generator reads. The page shows only the chosen generator's (static/stepwise/protocol_builder.js
# hides the others); every field is still validated, and a value left in another generator's field is ignored.
GENERATOR_FIELDS: dict[str, tuple[str, ...]] = {
    "practall7": ("interval_minutes",),
    "practall5": ("interval_minutes",),
    "geometric": ("interval_minutes", "start_mg", "top_mg", "steps", "factor", "exact"),
    "fpies": ("interval_minutes", "weight_kg", "protein_g_per_kg", "serving"),
    "household": ("interval_minutes", "grams_per_measure", "lip_smear"),
    "home": ("serving", "days_between", "watch_hours"),
}


class GeneratorForm(PlainTextForm):
    """A generator and its parameters; each generator reads only the ones it needs (GENERATOR_FIELDS)."""

    generator = forms.ChoiceField(label=_("Generator"), choices=list(GENERATORS.items()))
    interval_minutes = _whole(
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
    steps = _whole(
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
    days_between = _whole(
        _("Days between steps"),
        required=False,
        min_value=1,
        max_value=60,
        help_text=_("Home reintroduction; blank for 3 days."),
    )
    watch_hours = _whole(
        _("Watch after each step (hours)"),
        unit="h",
        required=False,
        min_value=1,
        max_value=MAX_WATCH_HOURS,
        help_text=_("Home reintroduction; blank for 48 h."),
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
        """The generated steps; raises dosing.DosingError for parameters the generator refuses.

        Only the chosen generator's parameters are read (a serving typed for a home plan, then hidden, never adds a
        serving to an FPIES ladder). A household ladder uses the teaspoon weight typed here, else the food's own
        (never one 5 g for every food); the FPIES portions also stay under the 10 g (100 mL) food cap.
        """
        generator = self.cleaned_data["generator"]
        data = {name: self.cleaned_data[name] for name in ("generator", *GENERATOR_FIELDS[generator])}
        data["watch_hours"] = data.get("watch_hours") or watch_hours or None
        spec = food_spec(food)
        if data["generator"] == "household" and data["grams_per_measure"] is None:
            data["grams_per_measure"] = spec.measure_weight("tsp")
        return tuple(generate_steps(GeneratorInput(**data), food=spec))

    def add_dosing_error(self, exc: dosing.DosingError) -> None:
        self.add_error(_GENERATOR_ERROR_FIELDS.get(exc.code), exc.message)


def error_messages(exc: Exception) -> list[str]:
    """The messages to show for a refused save: each blocking issue, else the error's own message."""
    if isinstance(exc, ProtocolError):
        return [issue.message for issue in exc.issues] or [exc.message]
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [getattr(exc, "message", str(exc))]


def error_lines(part: forms.Form | forms.BaseFormSet[Any], *, row_word: StrOrPromise | None = None) -> list[str]:
    """Every error of a validated form or formset as a line that names its field ("Step 2, Protein (mg): …")."""
    if isinstance(part, forms.BaseFormSet):
        row_word = row_word or _("Row")
        lines = [str(message) for message in part.non_form_errors()]
        for number, form in enumerate(part.forms, start=1):
            lines += _field_error_lines(form, prefix=f"{row_word} {number}, ")
        return lines
    return _field_error_lines(part)


def _field_error_lines(form: forms.Form, *, prefix: str = "") -> list[str]:
    lines = []
    for name, messages in form.errors.items():
        field = form.fields.get(name)
        label = f"{field.label}: " if field is not None and field.label else ""
        lines += [f"{prefix}{label}{message}" for message in messages]
    return lines


# --- the step editor -----------------------------------------------------------------------------------------


class StepForm(PlainTextForm):
    # A blank choice is a plain dose, so a blank row stays unchanged (and is ignored).
    role = forms.ChoiceField(
        label=_("Step"),
        choices=[
            ("", StepRole.DOSE.label),
            *((value, label) for value, label in StepRole.choices if value != StepRole.DOSE),
        ],
        required=False,
    )
    protein_mg = AmountField(label=_("Protein (mg)"), places=3, max_digits=12, unit="mg", required=False)
    food_amount = AmountField(label=_("Food amount (g or mL)"), places=3, max_digits=10, required=False)
    household_measure = forms.CharField(
        label=_("Household measure"),
        max_length=60,
        required=False,
        help_text=_("e.g. 1/8 tsp, 1 1/2 tbsp, 1/2 muffin; with no amount, the food's own weight of it is used."),
    )
    wait = _whole(_("Wait after this step"), initial=30, max_value=MAX_WAIT)
    wait_unit = forms.ChoiceField(label=_("Unit of the wait"), choices=WAIT_UNITS, initial="min")
    # A ladder's rung of another food (X4); blank: the protocol's food.
    food = FoodChoiceField(
        label=_("Food of this step"), queryset=Food.objects.none(), required=False, empty_label=_("protocol's food")
    )

    def __init__(self, *args: Any, foods: QuerySet[Food] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if foods is not None:
            cast(forms.ModelChoiceField, self.fields["food"]).queryset = foods
        _small_widgets(self)

    def clean_household_measure(self) -> str:
        """A count in front of a known measure ("1/8 tsp") must be a number or a household fraction."""
        text: str = self.cleaned_data["household_measure"].strip()
        try:
            household_amount(text)
        except QuantityError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        return text

    def planned_step(self, number: int) -> PlannedStep:
        data = self.cleaned_data
        minutes = data["wait"] * MINUTES_PER[data["wait_unit"]]
        role = data["role"] or StepRole.DOSE
        food: Food | None = data.get("food")
        return PlannedStep(
            number,
            data["protein_mg"],
            data["food_amount"],
            data["household_measure"].strip(),
            minutes,
            role,
            food=food_spec(food) if food is not None else None,
            food_id=food.pk if food is not None else None,
        )


class RowFormSet(forms.BaseFormSet):
    """Rows in a table: the "remove" box gets the same look and an accessible name."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")
            form.fields["DELETE"].widget.attrs.update({"class": "form-check-input", "aria-label": str(_("Remove"))})


StepFormSet = forms.formset_factory(
    StepForm, formset=RowFormSet, extra=2, can_delete=True, max_num=MAX_STEPS, validate_max=True
)


def step_initial(step: PlannedStep) -> dict[str, Any]:
    wait, unit = step.interval_minutes, "min"
    for candidate in ("d", "h"):
        if step.interval_minutes and step.interval_minutes % MINUTES_PER[candidate] == 0:
            wait, unit = step.interval_minutes // MINUTES_PER[candidate], candidate
            break
    return {
        "role": "" if step.role == StepRole.DOSE else step.role,
        "protein_mg": step.protein_mg,
        "food_amount": step.food_amount,
        "household_measure": step.household_measure,
        "wait": wait,
        "wait_unit": unit,
        "food": step.food_id,
    }


_F = TypeVar("_F", bound=forms.Form)


def _kept_forms(formset: forms.BaseFormSet[_F]) -> list[_F]:
    """Rows that are neither removed nor left blank (a blank extra row has empty cleaned_data)."""
    return [form for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]


# --- premedication -------------------------------------------------------------------------------------------


class PremedForm(PlainTextForm):
    drug = forms.CharField(label=_("Drug"), max_length=120)
    med_class = forms.ChoiceField(label=_("Class"), choices=MedicationClass.choices, initial=MedicationClass.OTHER)
    dose = forms.CharField(label=_("Dose"), max_length=60, help_text=_("e.g. 200 mg"))
    route = forms.ChoiceField(label=_("Route"), choices=Route.choices, initial=Route.ORAL)
    minutes_before = _whole(_("Minutes before the dose"), unit="min", initial=30, max_value=MAX_OBSERVATION_MINUTES)
    before_each_step = forms.BooleanField(label=_("Before each step"), required=False)
    continue_regular = forms.BooleanField(label=_("Established regimen (continue it)"), required=False)
    established_weeks = _whole(
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
        _small_widgets(self)

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


# --- checklist, stop rules, wash-out ---------------------------------------------------------------------------


def _checklist_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    groups = []
    for organ in Organ:
        items = [
            (item.code, f"{item.label} ({_('objective') if item.objective else _('subjective')})")
            for item in CHECKLIST
            if item.organ == organ
        ]
        groups.append((ORGAN_LABELS[organ], items))
    return groups


class ChecklistForm(PlainTextForm):
    items = forms.MultipleChoiceField(
        label=_("Watch for"), choices=_checklist_choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


_GRADES = [(grade, f"{SEVERITY_LABELS[grade]} ({grade})") for grade in (1, 2, 3)]


class StopRulesForm(PlainTextForm):
    """One field per StopRules setting; the field names are the setting names."""

    objective_min_severity = forms.TypedChoiceField(
        label=_("Stop on an objective sign graded at least"), choices=_GRADES, coerce=int
    )
    subjective_consecutive_doses = _whole(
        _("Stop when the same subjective symptom is present after this many doses in a row")
    )
    subjective_min_severity = forms.TypedChoiceField(
        label=_("…counting subjective symptoms graded at least"), choices=_GRADES, coerce=int
    )
    subjective_hold_severity = forms.TypedChoiceField(
        label=_("Hold the next dose for a subjective symptom graded at least"), choices=_GRADES, coerce=int
    )
    subjective_hold_minutes = _whole(_("…or one that lasts more than (min)"), unit="min")
    sbp_drop_mmhg = _whole(_("Systolic BP drop from baseline of more than (mmHg)"), unit="mmHg")
    sbp_drop_pct = _whole(_("Systolic BP drop from baseline of more than (%)"), unit="%")
    use_age_hypotension = forms.BooleanField(
        label=_("Systolic BP below the limit for age (NIAID/FAAN)"), required=False
    )
    hr_rise_pct = _whole(_("Heart-rate rise from baseline of more than (%) (advisory on its own)"), unit="%")
    pef_drop_pct = _whole(_("Peak-flow drop from baseline of more than (%)"), unit="%")
    fev1_drop_pct = _whole(_("FEV1 drop from baseline of more than (%)"), unit="%")
    spo2_below = _whole(_("SpO2 below (%)"), unit="%")
    fpies_rule = forms.BooleanField(
        label=_("FPIES: vomiting 1-4 h after the food plus at least 2 minor criteria (Leonard 2018)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()

    def add_rule_error(self, message: str) -> None:
        """A StopRules complaint names the setting ("sbp_drop_pct must be…"): put it on that field, in words."""
        name = message.split(" ", 1)[0]
        if name in self.fields:
            self.add_error(name, message.replace(name, f"“{self.fields[name].label}”", 1))
        else:
            self.add_error(None, message)


def stop_rules_initial(data: dict[str, Any], kind: str) -> dict[str, Any]:
    try:
        return StopRules.from_dict(data).to_dict()
    except StopRuleError:
        return kind_defaults(kind).stop_rules.to_dict() if kind in KINDS else {}


# Classes a wash-out rule can name: not the risk factors (beta-blockers, ACE inhibitors get a risk review, never a
# wash-out) nor "other" (clinical.washout gives it no conflict).
WASHOUT_CLASSES = tuple(c for c in washout_rules.MED_CLASS_LABELS if c not in washout.RISK_CLASSES and c != "other")


def washout_field_name(rule: dict[str, Any]) -> str:
    """The form field of one rule: "h1_antihistamine", "h1_antihistamine__eye", "h1_antihistamine__oral__loratadine"."""
    med_class, route, drug = rule.get("med_class", ""), rule.get("route", ""), rule.get("drug", "")
    if drug:
        return f"{med_class}__{route or 'any'}__{drug}"
    return f"{med_class}__{route}" if route else str(med_class)


def _specific_rules(existing: Iterable[Any]) -> list[dict[str, Any]]:
    """Rules narrowed to a route or a drug: the seeded ones, then any the protocol adds."""
    rules = [
        rule for rule in washout_rules.rules_to_data(washout_rules.DEFAULT_WASHOUT) if "drug" in rule or "route" in rule
    ]
    for rule in existing:
        if isinstance(rule, dict) and ("drug" in rule or "route" in rule) and rule.get("med_class") in WASHOUT_CLASSES:
            if washout_field_name(rule) not in {washout_field_name(r) for r in rules}:
                rules.append(rule)
    return rules


HOURS_PER_DAY = 24
DAYS_SHOWN_TO = Decimal("0.0001")  # a rule of 10 h shows as 0.4167 days and saves back as 10 h


def hours_as_days(hours: int) -> Decimal:
    """A rule's hours as the days the editor shows: 168 -> 7, 12 -> 0.5."""
    return (Decimal(hours) / HOURS_PER_DAY).quantize(DAYS_SHOWN_TO).normalize()


class WashoutDurationField(StrictDecimalField):
    """How long to stop a medicine before the challenge, as clinicians say it: in days ("7", "7 d", "0.5"), or in
    hours for a rule under a day ("12 h"); cleaned to whole hours (stored)."""

    HOURS_SUFFIX = re.compile(r"^(?P<number>.+?)\s*(?:h|hr|hrs|hour|hours)$", re.IGNORECASE)
    DAYS_SUFFIX = re.compile(r"^(?P<number>.+?)\s*(?:d|day|days)$", re.IGNORECASE)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            min_value=Decimal(0),
            max_value=Decimal(washout_rules.MAX_WASHOUT_HOURS) / HOURS_PER_DAY,
            required=False,
            help_text=_("days, or hours with h (7, or 12 h)"),
            **kwargs,
        )

    def to_python(self, value: Any) -> Decimal | None:
        """The duration in hours."""
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if len(text) > self.max_input_length:
            raise forms.ValidationError(_("That is too long for a duration."), code="too_long")
        hours = self.HOURS_SUFFIX.match(text)
        try:
            if hours:
                value = parse_decimal(
                    hours["number"], min_value=Decimal(0), max_value=Decimal(washout_rules.MAX_WASHOUT_HOURS), unit="h"
                )
                if value != value.to_integral_value():
                    raise forms.ValidationError(_("Use whole hours, like 12 h."), code="whole_hours")
                return value
            days = self.DAYS_SUFFIX.match(text)
            value = parse_decimal(
                days["number"] if days else text, min_value=self.min_value, max_value=self.max_value, unit="days"
            )
        except QuantityError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return (value * HOURS_PER_DAY).quantize(Decimal(1), rounding=ROUND_HALF_UP)

    def clean(self, value: Any) -> int | None:
        hours = self.to_python(value)
        self.validate(hours)
        return None if hours is None else int(hours)


def washout_duration_text(hours: int) -> str:
    """A rule's duration as the editor shows it: in hours under a day ("12 h"), else in days ("7", "1.5")."""
    if 0 < hours < HOURS_PER_DAY:
        return f"{hours} h"
    return format(hours_as_days(hours), "f")


class WashoutForm(PlainTextForm):
    """How long to stop each medication class (or one route or drug of it) before the challenge; blank: no rule.

    Typed in days (hours under a day), stored in whole hours (the rule data, clinical.washout_rules.WashoutRule.hours).
    """

    def __init__(self, *args: Any, existing: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        specific = _specific_rules(list(existing))
        self.keys: dict[str, dict[str, str]] = {}
        for med_class in WASHOUT_CLASSES:
            self._add({"med_class": med_class})
            for rule in specific:
                if rule["med_class"] == med_class:
                    self._add({name: rule[name] for name in ("med_class", "route", "drug") if rule.get(name)})
        self.helper = crispy_helper()

    def _add(self, key: dict[str, str]) -> None:
        name = washout_field_name(key)
        label = washout_rules.WashoutRule(
            key["med_class"], 0, drug=key.get("drug", ""), route=key.get("route", "")
        ).label
        self.keys[name] = key
        self.fields[name] = WashoutDurationField(label=label[:1].upper() + label[1:])

    def rules_data(self, existing: Iterable[Any]) -> list[dict[str, Any]]:
        """Rules as protocol JSON; a rule whose hours did not change keeps its note and source."""
        before = {washout_field_name(rule): rule for rule in existing if isinstance(rule, dict)}
        rules = []
        for name, key in self.keys.items():
            hours = self.cleaned_data.get(name)
            if hours is None:
                continue
            old = before.get(name, {})
            source = old.get("source", "") if old.get("hours") == hours else ""
            rules.append({**key, "hours": hours, "note": old.get("note", ""), "source": source})
        return rules


def washout_initial(data: Any) -> dict[str, str]:
    """The editor's initial values: each rule's duration in days, or in hours under a day."""
    if not isinstance(data, list):
        return {}
    return {
        washout_field_name(rule): washout_duration_text(rule["hours"])
        for rule in data
        if isinstance(rule, dict) and "med_class" in rule
    }


# --- the whole edit page -------------------------------------------------------------------------------------


class ProtocolEditor:
    """Every form on the edit page, bound together; `errors` lists blocking problems for the summary."""

    def __init__(self, data: Any, *, protocol: Protocol, foods: QuerySet[Food], preview: bool = False) -> None:
        draft = draft_from_protocol(protocol)
        self.protocol = protocol
        self.header = ProtocolHeaderForm(data, foods=foods, initial=header_initial(draft), preview=preview)
        # Posted rows are read as posted: the stored rows as "initial" would make a blank extra row look
        # changed whenever the page's rows differ from the stored ones (after "Generate steps", say).
        rows_from_db = data is None
        self.foods = foods
        self.steps = StepFormSet(
            data,
            prefix="steps",
            initial=[step_initial(step) for step in draft.steps] if rows_from_db else None,
            form_kwargs={"foods": foods},
        )
        self.premeds = PremedFormSet(
            data, prefix="premeds", initial=[asdict(spec) for spec in draft.premeds] if rows_from_db else None
        )
        self.checklist = ChecklistForm(data, prefix="checklist", initial={"items": list(draft.checklist_items)})
        self.stop_rules = StopRulesForm(
            data, prefix="stop", initial=stop_rules_initial(protocol.stop_rules, protocol.kind)
        )
        self.washout = WashoutForm(
            data,
            prefix="washout",
            initial=washout_initial(protocol.washout_rules),
            existing=protocol.washout_rules if isinstance(protocol.washout_rules, list) else (),
        )
        self.generator = GeneratorForm(data, prefix="gen")
        self.errors: list[str] = []
        self._step_forms: dict[int, StepForm] = {}

    def is_valid(self) -> bool:
        parts = (self.header, self.steps, self.premeds, self.checklist, self.stop_rules, self.washout)
        valid = all([part.is_valid() for part in parts])  # a list, so every part shows its errors
        if not valid:
            self.errors.append(str(_("Some entries need correcting; nothing was saved.")))
        return valid

    def draft(self) -> ProtocolDraft:
        header, steps = self._header_and_steps()
        premeds = [
            {name: value for name, value in form.cleaned_data.items() if name != "DELETE"}
            for form in _kept_forms(self.premeds)
        ]
        return ProtocolDraft(
            **header,
            steps=steps,
            checklist_items=tuple(self.checklist.cleaned_data["items"]),
            stop_rules=dict(self.stop_rules.cleaned_data),
            washout_rules=self.washout.rules_data(self.protocol.washout_rules),
            premeds=tuple(PremedSpec(**spec) for spec in premeds),
        )

    def _header_and_steps(self) -> tuple[dict[str, Any], tuple[PlannedStep, ...]]:
        kept_steps = _kept_forms(self.steps)
        self._step_forms = {number: form for number, form in enumerate(kept_steps, start=1)}
        header = self.header.draft_fields()
        steps = [_own_food_only(form.planned_step(number), header["food"]) for number, form in self._step_forms.items()]
        return header, tuple(with_household_amounts(food_spec(header["food"]), steps))

    def preview_draft(self) -> ProtocolDraft | None:
        """The draft the dose-table preview shows: the header and the step rows as typed (None while either has
        errors); the pre-medication, checklist, stop rules and wash-out as typed when valid, else as stored."""
        if not all([self.header.is_valid(), self.steps.is_valid()]):
            return None
        if all([part.is_valid() for part in self.rule_parts()]):
            return self.draft()
        header, steps = self._header_and_steps()
        return replace(draft_from_protocol(self.protocol), **header, steps=steps)

    def rule_parts(self) -> tuple[forms.Form | forms.BaseFormSet[Any], ...]:
        return (self.premeds, self.checklist, self.stop_rules, self.washout)

    def add_errors(self, exc: Exception) -> None:
        """Put a refused save's problems in the summary and, where they belong to one part, next to it."""
        issues = exc.issues if isinstance(exc, ProtocolError) else ()
        if not issues:
            self.errors += error_messages(exc)
        for issue in issues:
            self.errors.append(issue.message)
            self._place(issue)

    def _place(self, issue: step_checks.StepIssue) -> None:
        if issue.code == "checklist":
            self.checklist.add_error("items", issue.message)
        elif issue.code == "stop_rules":
            self.stop_rules.add_rule_error(issue.message)
        elif issue.code == "washout_rules":
            self.washout.add_error(None, issue.message)
        elif issue.code == "follow_up":
            self.header.add_error("follow_up_hours", issue.message)
        elif issue.step_number in self._step_forms:
            self._step_forms[issue.step_number].add_error(None, issue.message)

    def regenerate_steps(self) -> bool:
        """Replace the step rows with a generator's steps (not saved until the page is saved)."""
        if not self.generator.is_valid():
            return False
        food = self.header.cleaned_data.get("food") if self.header.is_valid() else None
        try:
            steps = self.generator.steps_from_generator(food=food or self.protocol.food)
        except dosing.DosingError as exc:
            self.generator.add_dosing_error(exc)
            return False
        self.steps = StepFormSet(
            prefix="steps", initial=[step_initial(step) for step in steps], form_kwargs={"foods": self.foods}
        )
        return True


def _own_food_only(step: PlannedStep, protocol_food: Food) -> PlannedStep:
    """A step whose chosen food is the protocol's own is a plain step of the protocol's food."""
    if step.food_id is not None and step.food_id == protocol_food.pk:
        return replace(step, food=None, food_id=None)
    return step


# --- foods -------------------------------------------------------------------------------------------------


class FoodForm(PlainTextForm):
    name = forms.CharField(label=_("Food"), max_length=120, help_text=_("e.g. Peanut butter"))
    form = forms.CharField(label=_("Form"), max_length=160, help_text=_("e.g. smooth, Brand X (label 2026)"))
    allergen_group = forms.ChoiceField(label=_("Allergen group"), choices=AllergenGroup.choices)
    protein_g_per_100 = AmountField(
        label=_("Protein (g per 100 g, or per 100 mL for a liquid)"),
        places=3,
        max_digits=6,
        unit="g",
        min_value=Decimal("0.001"),
        max_value=Decimal("100"),
    )
    protein_source = forms.CharField(
        label=_("Source of the protein figure"),
        max_length=200,
        help_text=_("e.g. product label, photographed 3 Mar 2026"),
    )
    physical_form = forms.ChoiceField(
        label=_("Physical form"),
        choices=PhysicalForm.choices,
        help_text=_("Small doses are diluted in water only for a liquid or a free-flowing powder."),
    )
    density_g_per_ml = AmountField(
        label=_("Density (g/mL)"),
        places=3,
        max_digits=5,
        unit="g/mL",
        required=False,
        # 2 g/mL is what the dose arithmetic accepts (dosing.MAX_DENSITY_G_PER_ML): above it is a typo.
        min_value=Decimal("0.1"),
        max_value=dosing.MAX_DENSITY_G_PER_ML,
    )
    household_measures = forms.CharField(
        label=_("Household measures"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One a line: measure=grams (mL for a liquid) of one level measure, e.g. tsp=2.5 for a powder. "
            "Measures: %(names)s."
        )
        % {"names": ", ".join(dosing.HOUSEHOLD_MEASURES)},
    )
    serving_size = AmountField(
        label=_("Typical serving (g or mL)"), places=2, max_digits=7, required=False, min_value=Decimal("0.01")
    )
    allergen_protein_g_per_100 = AmountField(
        label=_("Allergen protein (g per 100 g), composite foods only"),
        places=3,
        max_digits=6,
        unit="g",
        min_value=Decimal("0.001"),
        max_value=Decimal("100"),
        required=False,
        help_text=_("e.g. the milk protein of a baked-milk muffin; doses are then counted in it."),
    )
    processing = forms.ChoiceField(label=_("Processing"), choices=Processing.choices, required=False)
    processing_temperature_c = _whole(
        _("Baking or cooking temperature (°C)"), unit="°C", required=False, min_value=20, max_value=300
    )
    processing_minutes = _whole(_("Baking or cooking time (minutes)"), unit="min", required=False, max_value=24 * 60)
    matrix = forms.CharField(label=_("Matrix"), max_length=60, required=False, help_text=_("e.g. wheat (a muffin)"))
    recipe = forms.CharField(
        label=_("Recipe"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    snomed_code = forms.RegexField(
        label=_("Allergen: SNOMED CT substance code"),
        regex=r"^[1-9][0-9]{5,17}$",
        max_length=18,
        required=False,
        help_text=_("For FHIR exports, e.g. 762952008 (peanut). Leave empty if unsure: the food then goes as text."),
        error_messages={"invalid": _("A SNOMED CT code is 6 to 18 digits.")},
    )
    snomed_display = forms.CharField(
        label=_("Allergen: SNOMED CT name"), max_length=120, required=False, help_text=_("e.g. Peanut")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()

    def clean_household_measures(self) -> dict[str, str]:
        measures: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["household_measures"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sign, amount = (part.strip() for part in line.partition("="))
            if not sign or not name or len(name) > 30:
                raise ValidationError(_("Line %(n)d: write each measure as name=grams, e.g. tsp=5.") % {"n": number})
            name = name.lower()
            if name not in dosing.HOUSEHOLD_MEASURES:
                known = ", ".join(dosing.HOUSEHOLD_MEASURES)
                raise ValidationError(
                    _("Line %(n)d: “%(name)s” is not a measure; use one of %(known)s.")
                    % {"n": number, "name": name, "known": known}
                )
            if name in measures:
                raise ValidationError(_("Line %(n)d: “%(name)s” is given twice.") % {"n": number, "name": name})
            try:
                value = parse_decimal(amount, min_value=Decimal("0.001"))
            except QuantityError as exc:
                raise ValidationError(_("Line %(n)d: %(msg)s") % {"n": number, "msg": exc.message}) from exc
            measures[name] = str(value)
        return measures

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        protein, allergen_protein = data.get("protein_g_per_100"), data.get("allergen_protein_g_per_100")
        if protein is not None and allergen_protein is not None and allergen_protein > protein:
            self.add_error(
                "allergen_protein_g_per_100", _("The allergen's protein cannot be more than the whole food's.")
            )
        if data.get("snomed_code") and not (data.get("snomed_display") or "").strip():
            self.add_error("snomed_display", _("Give the code's name too, as the receiving system shows it."))
        return data

    def draft(self) -> FoodDraft:
        data = {name: value for name, value in self.cleaned_data.items()}
        for name in ("name", "form", "protein_source", "notes", "matrix", "recipe", "snomed_code", "snomed_display"):
            data[name] = data[name].strip()
        return FoodDraft(**data)


def food_initial(food: Food) -> dict[str, Any]:
    """The edit form's values for a stored food (measures as the lines the form reads)."""
    initial = {name: getattr(food, name) for name in FoodForm.base_fields if name != "household_measures"}
    initial["household_measures"] = "\n".join(f"{name}={grams}" for name, grams in food.household_measures.items())
    return initial


class FoodFilterForm(PlainTextForm):
    group = forms.ChoiceField(
        label=_("Allergen group"),
        choices=[("", _("All groups")), *AllergenGroup.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search", "placeholder": _("Food or form")}),
    )


class ProtocolFilterForm(PlainTextForm):
    food = FoodChoiceField(
        label=_("Food"),
        queryset=Food.objects.none(),
        required=False,
        empty_label=_("All foods"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("All kinds")), *KIND_CHOICES],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    all_versions = forms.BooleanField(
        label=_("Show earlier versions"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, foods: QuerySet[Food], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["food"]).queryset = foods

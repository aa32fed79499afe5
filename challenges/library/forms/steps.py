"""The step rows of the protocol editor: one dose, wait and food per row."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from challenges.library.facts import food_spec
from challenges.library.forms.fields import (
    MAX_STEPS,
    MAX_WAIT,
    MINUTES_PER,
    WAIT_UNITS,
    AmountField,
    FoodChoiceField,
    RowFormSet,
    small_widgets,
    whole_number,
)
from challenges.library.models import StepRole
from challenges.models import Food
from clinical.plan import PlannedStep, household_amount
from clinical.units import QuantityError
from clinics.forms import PlainTextForm


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
    wait = whole_number(_("Wait after this step"), initial=30, max_value=MAX_WAIT)
    wait_unit = forms.ChoiceField(label=_("Unit of the wait"), choices=WAIT_UNITS, initial="min")
    # A ladder's rung of another food (X4); blank: the protocol's food.
    food = FoodChoiceField(
        label=_("Food of this step"), queryset=Food.objects.none(), required=False, empty_label=_("protocol's food")
    )

    def __init__(self, *args: Any, foods: QuerySet[Food] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if foods is not None:
            cast(forms.ModelChoiceField, self.fields["food"]).queryset = foods
        small_widgets(self)

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

"""Fields and row helpers shared by the library's forms (and the home plan editor's): strict numbers, the
food dropdown, table rows, and the sanity bounds on typed input."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from challenges.models import Food
from clinical.units import format_quantity
from clinics.forms import StrictDecimalField

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


def whole_number(label: StrOrPromise, *, unit: str = "", required: bool = True, **kwargs: Any) -> WholeNumberField:
    return WholeNumberField(label=label, unit=unit, required=required, min_value=kwargs.pop("min_value", 0), **kwargs)


class FoodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, food: Food) -> str:
        protein = format_quantity(food.protein_g_per_100, "g")
        owner = _("clinic") if food.clinic_id else _("standard")
        return f"{food.name}, {food.form} · {protein}/100 {food.amount_unit} · {owner}"


def small_widgets(form: forms.Form) -> None:
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


class RowFormSet(forms.BaseFormSet):
    """Rows in a table: the "remove" box gets the same look and an accessible name."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")
            form.fields["DELETE"].widget.attrs.update({"class": "form-check-input", "aria-label": str(_("Remove"))})

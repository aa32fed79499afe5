"""Form pieces shared by every app."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from clinical.units import QuantityError, parse_decimal


class StrictDecimalField(forms.Field):
    """A number typed by a clinician, parsed deliberately (no .5, no 1e3, no "５", no 1,5): see clinical.units."""

    widget = forms.TextInput
    max_input_length = 40

    def __init__(
        self, *, min_value: Decimal | None = None, max_value: Decimal | None = None, unit: str = "", **kwargs: Any
    ) -> None:
        self.min_value, self.max_value, self.unit = min_value, max_value, unit
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, Decimal):
            return value
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if len(text) > self.max_input_length:
            raise forms.ValidationError(_("That is too long for a number."), code="too_long")
        try:
            return parse_decimal(text, min_value=self.min_value, max_value=self.max_value, unit=self.unit)
        except QuantityError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return value

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "decimal"
        return attrs


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(**kwargs)


def crispy_helper() -> FormHelper:
    """A helper for forms whose <form> tag the template owns."""
    helper = FormHelper()
    helper.form_tag = False
    return helper


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label=_("Why was this entered in error?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason this record was entered in error."))
        return reason

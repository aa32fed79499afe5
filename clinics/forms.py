"""Form pieces shared by every app."""

from __future__ import annotations

import re
import unicodedata
import uuid
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from clinical.units import QuantityError, parse_decimal

# Characters no typed clinical text needs, refused on every form (security review M6, L10): C0 and C1 control
# characters other than tab, line feed and carriage return (NUL included), and the bidirectional embedding, override
# and isolate controls that make a name display reversed. Left-to-right and right-to-left marks stay allowed.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def refuse_control_characters(value: Any) -> None:
    """A clear refusal naming the invisible character, instead of storing it (or a database error on NUL)."""
    if not isinstance(value, str):
        return
    found = CONTROL_CHARACTERS.search(value)
    if found is None:
        return
    char = found.group()
    name = unicodedata.name(char, "control character")
    raise forms.ValidationError(
        _("Remove the invisible character U+%(code)04X (%(name)s): it cannot be stored."),
        code="control_character",
        params={"code": ord(char), "name": name.lower()},
    )


class PlainTextMixin:
    """Every text field of the form refuses control and bidirectional-override characters."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(refuse_control_characters)


class SubmissionKeyField(forms.UUIDField):
    """A form's one-time key (clinics.services.once): a new one each time the form is drawn; sent back as is."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, initial=uuid.uuid4, **kwargs)


class PlainTextForm(PlainTextMixin, forms.Form):
    """The base of every form of the project (tests/integrity/test_text_caps.py checks it)."""


class PlainTextModelForm(PlainTextMixin, forms.ModelForm):
    """The base of every model form of the project."""


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


class EnteredInErrorForm(PlainTextForm):
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

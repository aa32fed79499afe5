"""Form pieces shared by every app."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
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
        self,
        *,
        min_value: Decimal | None = None,
        max_value: Decimal | None = None,
        unit: str | Callable[[], str] = "",
        **kwargs: Any,
    ) -> None:
        """`unit` names the bounds in an error; a loader is called only when a number is typed."""
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
            unit = self.unit() if callable(self.unit) else self.unit
            return parse_decimal(text, min_value=self.min_value, max_value=self.max_value, unit=unit)
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


STAMP_MARKER_SUFFIX = "_entry"  # the hidden marker beside a stamped time: "live" (not changed) or "typed"
STAMP_LIVE = "live"
WHEN_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class StampedDateTimeInput(DateTimeInput):
    """A date-and-time input with a hidden marker that static/stepwise/times.js sets: "live" while the field shows
    the running clock, "typed" once the user changed it. A live field reads as empty: the server stamps now."""

    def __init__(self, **kwargs: Any) -> None:
        attrs = kwargs.pop("attrs", None) or {}
        attrs.setdefault("data-stamp-now", "")
        super().__init__(attrs=attrs, **kwargs)

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        marker = format_html('<input type="hidden" name="{}" value="" data-stamp-marker>', name + STAMP_MARKER_SUFFIX)
        return mark_safe(super().render(name, value, attrs, renderer) + marker)  # noqa: S308 (both parts escaped)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if data.get(name + STAMP_MARKER_SUFFIX) == STAMP_LIVE:
            return ""
        return super().value_from_datadict(data, files, name)


class StampedWhenField(forms.DateTimeField):
    """When something happened, defaulting to the moment the form is submitted (UX walk 3a: a time filled in when
    the page was drawn goes stale while the page stays open through a 30-min wait).

    The rule: the server stamps its own clock now unless the user changed the field. With JavaScript the field
    shows the running clock and its marker says whether it was changed; without, an empty field means now. A
    time the user typed is kept (a late entry), and the services check it (not in the future, not before the
    challenge).
    """

    widget = StampedDateTimeInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("input_formats", WHEN_INPUT_FORMATS)
        kwargs.setdefault("help_text", _("Leave it as it is to record the moment you press the button."))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> datetime:
        moment = super().clean(value)
        return timezone.now() if moment is None else moment


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

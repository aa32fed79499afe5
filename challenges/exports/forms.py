"""The clinic exports page: which dates a CSV table covers."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinics.forms import PlainTextForm, crispy_helper

MAX_DAYS = 3660  # ten years: a bound on typing (a year 20260 is a slip), not on what a clinic may export


class ExportRangeForm(PlainTextForm):
    """From and to dates (either may be left empty: open-ended), by the challenge's scheduled day in the clinic."""

    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()
        self.helper.disable_csrf = True  # a GET form: a download changes nothing

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: date | None = cleaned.get("start")
        end: date | None = cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."), code="range_reversed")
        if start and end and (end - start).days > MAX_DAYS:
            raise forms.ValidationError(_("Choose a range of at most ten years."), code="range_too_long")
        return cleaned


class CalendarLinkForm(PlainTextForm):
    """Issue a new private calendar link (replacing any earlier one), or stop the current one."""

    action = forms.ChoiceField(choices=[("issue", _("New link")), ("revoke", _("Stop the link"))])

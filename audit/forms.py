"""The access log's filter: by patient, action and a date range in the clinic's time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import Action, AuditEvent
from clinics.forms import PlainTextForm, crispy_helper
from patients.models import Patient

_Events = TypeVar("_Events", bound=QuerySet[AuditEvent])


class EventFilterForm(PlainTextForm):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none(), required=False, label=_("Patient"))
    action = forms.ChoiceField(choices=[("", _("Any action")), *Action.choices], required=False, label=_("Action"))
    date_from = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, clinic_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["patient"]).queryset = Patient.objects.filter(clinic_id=clinic_id)
        self.helper = crispy_helper()
        self.helper.disable_csrf = True  # a GET search form

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:  # clean() may return None, meaning "cleaned_data as it is" (Form._clean_form)
            data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filter(self, events: _Events) -> _Events:
        data = self.cleaned_data
        if data.get("patient"):
            events = events.filter(patient=data["patient"])
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("date_from"):
            events = events.filter(at__gte=_start_of(data["date_from"]))
        if data.get("date_to"):
            events = events.filter(at__lt=_start_of(data["date_to"] + dt.timedelta(days=1)))
        return events


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the current (the clinic's) time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

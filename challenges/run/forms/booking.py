"""Booking a challenge: the schedule form, and the date-time and staff fields it is built from."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from challenges.models import (
    Protocol,
)
from challenges.run.models import Challenge, ContinuationKind, Purpose
from clinics.forms import (
    DateTimeInput,
    PlainTextForm,
    SubmissionKeyField,
    crispy_helper,
)
from clinics.models import Role, User


def now_local() -> datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class WhenField(forms.DateTimeField):
    """A local date and time (the clinic's zone), defaulting to now."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateTimeInput())
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(**kwargs)


class StaffChoiceField(forms.ModelChoiceField):
    """A member of staff, shown by name ("Ada Allergist"), never by username."""

    def label_from_instance(self, obj: Any) -> str:
        return cast(User, obj).display_name


class ScheduleForm(PlainTextForm):
    protocol = forms.ModelChoiceField(label=_("Protocol"), queryset=Protocol.objects.none())
    scheduled_at = WhenField(label=_("Date and time"))
    allergist = StaffChoiceField(label=_("Supervising allergist"), queryset=User.objects.none())
    nurse = StaffChoiceField(label=_("Nurse"), queryset=User.objects.none(), required=False)
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=[("", _("Choose the purpose")), *Purpose.choices],
        error_messages={"required": _("Say why this challenge is done.")},
    )
    indication = forms.CharField(
        label=_("Indication"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    placebo_doses = forms.IntegerField(
        label=_("Placebo doses (DBPCFC and single-blind only)"),
        required=False,
        min_value=0,
        max_value=20,
        help_text=_(
            "Added to the full active series, never in place of a step. Where they go is drawn at random when you "
            "book, and shown only to whoever prepares the blinded doses."
        ),
    )
    first_step_in_clinic = forms.NullBooleanField(
        label=_("Home plans: first step taken in clinic"),
        required=False,
        widget=forms.Select(choices=[("unknown", _("As the protocol says")), ("true", _("Yes")), ("false", _("No"))]),
        help_text=_("Under supervision, before the patient goes on at home."),
    )
    # A continuation of an earlier challenge of this patient (X5): day 2, open feeding after a DBPCFC, home days.
    continues = forms.ModelChoiceField(
        label=_("Continues challenge"), queryset=Challenge.objects.none(), required=False, widget=forms.HiddenInput
    )
    continuation_kind = forms.ChoiceField(
        label=_("Continuation"), choices=[("", _("Not a continuation")), *ContinuationKind.choices], required=False
    )
    # One home plan at a time per food: an allergist replaces an open one only with a reason (ux-walk 4.1).
    replace_reason = forms.CharField(
        label=_("Home plans: replace the patient's open plan for this food, because"),
        required=False,
        max_length=2000,
        help_text=_(
            "Only when the patient already has a home plan for this food that is planned, running or paused. The "
            "earlier plan is stopped with this reason and stays in the patient's record."
        ),
    )
    # The medication check the user was last shown (challenges.run.views.booking.schedule): booking goes ahead only once
    # the check for exactly this protocol, date and medication list has been on the screen.
    reviewed = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    submission_key = SubmissionKeyField()

    def __init__(
        self,
        *args: Any,
        protocols: Any,
        clinic_id: int,
        continues: Challenge | None = None,
        signed_in: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The clinician booking is preselected where they are a valid choice: an allergist supervises, a nurse nurses.
        if signed_in is not None and signed_in.clinic_id == clinic_id:
            self.initial.setdefault("allergist" if signed_in.is_allergist else "nurse", signed_in.pk)
        cast(forms.ModelChoiceField, self.fields["protocol"]).queryset = protocols
        # Any challenge of the clinic: the booking refuses another patient's (continuation_other_patient).
        challenges = Challenge.objects.filter(clinic_id=clinic_id)
        cast(forms.ModelChoiceField, self.fields["continues"]).queryset = challenges
        if continues is None:
            del self.fields["continuation_kind"]
            self.fields["continues"].disabled = True
        else:
            self.fields["continues"].initial = continues.pk
            self.fields["continuation_kind"].required = True
            self.initial.setdefault("protocol", continues.protocol.pk)  # offered first; any of its allergen may go
        staff = User.objects.filter(clinic_id=clinic_id, is_active=True).order_by("last_name", "first_name", "pk")
        cast(forms.ModelChoiceField, self.fields["allergist"]).queryset = staff.filter(role=Role.ALLERGIST)
        cast(forms.ModelChoiceField, self.fields["nurse"]).queryset = staff.filter(
            role__in=[Role.NURSE, Role.ALLERGIST]
        )
        self.helper = crispy_helper()

    def clean_placebo_doses(self) -> int:
        return self.cleaned_data["placebo_doses"] or 0

    def booking_data(self) -> dict[str, Any]:
        """The cleaned data the booking service takes."""
        return {name: value for name, value in self.cleaned_data.items() if name not in ("reviewed", "submission_key")}

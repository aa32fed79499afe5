"""The protocol header form (new and edit pages): name, kind, food, observation, follow-up and notes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from challenges.library.forms.fields import (
    MAX_FOLLOW_UP_HOURS,
    MAX_OBSERVATION_MINUTES,
    MAX_WATCH_HOURS,
    AmountField,
    FoodChoiceField,
    whole_number,
)
from challenges.library.services.protocols import ProtocolDraft
from challenges.models import DoseBasis, Food
from clinical import kinds, ladders
from clinical.kinds import KIND_CHOICES, KINDS
from clinics.forms import PlainTextForm, StrictDecimalField, crispy_helper


class ProtocolHeaderForm(PlainTextForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES)
    food = FoodChoiceField(label=_("Food"), queryset=Food.objects.none())
    dose_basis = forms.ChoiceField(label=_("Doses are planned in"), choices=DoseBasis.choices)
    observation_minutes = whole_number(
        _("Observation after the last dose (minutes)"),
        unit="min",
        required=False,
        max_value=MAX_OBSERVATION_MINUTES,
        help_text=_("Blank for the kind's default: 2 h, or 4 h for FPIES."),
    )
    watch_hours = whole_number(
        _("Watch window after each step (hours)"),
        unit="h",
        required=False,
        max_value=MAX_WATCH_HOURS,
        help_text=_(
            "How long the patient watches for delayed symptoms after each home step. Blank for the kind's default: "
            "48 h for a home reintroduction, none for a clinic challenge."
        ),
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
            "watch_hours": kinds.watch_hours(data["kind"], data["watch_hours"]),
            "notes": data["notes"].strip(),
            "references": data["references"].strip(),
        }


def header_initial(draft: ProtocolDraft) -> dict[str, Any]:
    initial = {name: getattr(draft, name) for name in ProtocolHeaderForm.base_fields}
    initial["follow_up_hours"] = ", ".join(str(hours) for hours in draft.follow_up_hours)
    return initial

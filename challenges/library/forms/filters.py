"""The filters above the food and protocol lists."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from challenges.library.forms.fields import FoodChoiceField
from challenges.models import AllergenGroup, Food
from clinical.kinds import KIND_CHOICES
from clinics.forms import PlainTextForm


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

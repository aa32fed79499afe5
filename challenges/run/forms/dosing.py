"""Dosing: a dose given (the food eaten or the mix given, who prepared and checked it) and the food's pack."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from clinics.forms import (
    DateInput,
    PlainTextForm,
    StampedWhenField,
    StrictDecimalField,
    crispy_helper,
)
from clinics.models import User

MAX_DOSE_AMOUNT = Decimal("10000")  # g or mL: a plausibility bound on typing, far above any serving


MAX_MIX_VOLUME_ML = Decimal("500")  # the largest mix made (clinical.dose_preparation.MIX_VOLUMES_ML)


GIVEN_AS_FOOD, GIVEN_AS_MIX = "food", "mix"


class _StaffChoice(forms.TypedChoiceField):
    """One of the clinic's staff, posted as an id; cleaned to the User (from a list loaded once for the page)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, empty_value=None, **kwargs)


def _amount_label_now(unit: str | Callable[[], str]) -> str:
    return str(_("Amount actually eaten (%(unit)s)") % {"unit": unit() if callable(unit) else unit})


_amount_label = lazy(_amount_label_now, str)  # the unit is read when the label is drawn or names an error


class DoseForm(PlainTextForm):
    """A dose given: all of it or how much, when, and who prepared and checked it (docs/clinical-sources.md §12).

    `given_as` is "mix" for a diluted dose (the volume of the mix given is recorded) and "food" otherwise (the
    amount of food eaten). The page sets it from the plan; the post carries it back, and the service checks it
    against the step.
    """

    given_as = forms.ChoiceField(
        choices=[(GIVEN_AS_FOOD, GIVEN_AS_FOOD), (GIVEN_AS_MIX, GIVEN_AS_MIX)],
        widget=forms.HiddenInput,
        initial=GIVEN_AS_FOOD,
        required=False,
    )
    ate_all = forms.BooleanField(label=_("The whole planned dose was eaten"), required=False, initial=True)
    food_amount = StrictDecimalField(
        label=_("Amount actually eaten"),
        min_value=Decimal("0.001"),
        max_value=MAX_DOSE_AMOUNT,
        required=False,
        help_text=_("Only when less than the planned dose was eaten."),
    )
    mix_volume_ml = StrictDecimalField(
        label=_("Volume of the mix given (mL)"),
        min_value=Decimal("0.01"),
        max_value=MAX_MIX_VOLUME_ML,
        unit="mL",
        required=False,
        help_text=_("Only when less than the planned volume was given."),
    )
    prepared_by = _StaffChoice(label=_("Prepared by"), required=False)
    checked_by = _StaffChoice(
        label=_("Checked by (second person)"),
        required=False,
        help_text=_("Required for a diluted dose: someone other than the preparer checks it before it is given."),
    )
    given_at = StampedWhenField(label=_("Given at"))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=500)
    override_reason = forms.CharField(
        label=_("Allergist: reason to give it early"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(
        self,
        *args: Any,
        unit: str | Callable[[], str] = "g",
        allow_override: bool = False,
        staff: Sequence[User] | Callable[[], Sequence[User]] = (),
        given_as: str | None = None,
        planned_volume: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The staff list and the food's unit may come as loaders: a dose post that names nobody and types no amount
        # (most) never queries them; they load when a posted name or amount is checked, or the form is drawn.
        self._staff_source = staff
        self._staff: dict[int, User] | None = None
        unit = functools.cache(unit) if callable(unit) else unit
        for name in ("prepared_by", "checked_by"):
            cast(forms.TypedChoiceField, self.fields[name]).choices = self._staff_choices
        self.mode: str = given_as or (self.data.get("given_as") if self.is_bound else None) or GIVEN_AS_FOOD
        self.fields["given_as"].initial = self.mode
        if self.mode == GIVEN_AS_MIX:
            del self.fields["food_amount"]
            self.fields["checked_by"].label = _("Checked by (second person, required for this diluted dose)")
            self.fields["ate_all"].label = _("The whole planned volume of the mix was given") + (
                f" ({planned_volume})" if planned_volume else ""
            )
        else:
            del self.fields["mix_volume_ml"]
            self.fields["food_amount"].label = _amount_label(unit)
            cast(StrictDecimalField, self.fields["food_amount"]).unit = unit
        if not allow_override:
            del self.fields["override_reason"]
        self.helper = crispy_helper()

    @property
    def staff(self) -> dict[int, User]:
        if self._staff is None:
            source = self._staff_source
            self._staff = {user.pk: user for user in (source() if callable(source) else source)}
        return self._staff

    def _staff_choices(self) -> list[tuple[Any, str]]:
        return [("", "—"), *((user.pk, user.display_name) for user in self.staff.values())]

    def _person(self, name: str) -> User | None:
        pk = self.cleaned_data.get(name)
        if pk is None:
            return None
        if pk not in self.staff:
            raise forms.ValidationError(_("Choose someone of this clinic."))
        return self.staff[pk]

    def clean_prepared_by(self) -> User | None:
        return self._person("prepared_by")

    def clean_checked_by(self) -> User | None:
        return self._person("checked_by")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is None:  # clean() may return None, meaning "cleaned_data as it is" (Form._clean_form)
            data = self.cleaned_data
        field = "mix_volume_ml" if self.mode == GIVEN_AS_MIX else "food_amount"
        data.setdefault("food_amount", None)
        data.setdefault("mix_volume_ml", None)
        if data.get("ate_all"):
            data[field] = None
        elif data.get(field) is None and field not in self.errors:
            what = _("the volume of the mix given") if field == "mix_volume_ml" else _("the amount eaten")
            self.add_error(field, _("Enter %(what)s, or tick that the whole dose was given.") % {"what": what})
        return data


class FoodLotForm(PlainTextForm):
    """The pack of food used: brand, lot or batch, expiry, and the protein per 100 g its label states."""

    brand = forms.CharField(label=_("Brand or product"), max_length=120)
    lot = forms.CharField(label=_("Lot or batch"), max_length=60)
    expires_on = forms.DateField(label=_("Expiry date"), widget=DateInput())
    label_protein_g_per_100 = StrictDecimalField(
        label=_("Protein on the label (g per 100 g)"),
        min_value=Decimal("0.001"),
        max_value=Decimal(100),
        unit="g",
        required=False,
        help_text=_(
            "From the pack's nutrition label. If it differs from the library figure by more than 10 %, "
            "the amounts are worked out from the label."
        ),
    )

    def __init__(self, *args: Any, per: str = "100 g", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label_protein_g_per_100"].label = _("Protein on the label (g per %(per)s)") % {"per": per}
        self.helper = crispy_helper()

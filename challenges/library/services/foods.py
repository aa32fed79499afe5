"""Writes to foods: a clinic adds its own food (or a label override of a standard one)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from challenges.models import Food
from clinical.errors import DomainError
from clinics.models import Clinic, User


class FoodError(DomainError):
    """A food could not be changed."""


@dataclass(frozen=True)
class FoodDraft:
    """What the clinic says about one food; the protein figure and its source come from a label or a table."""

    name: str
    form: str
    allergen_group: str
    protein_g_per_100: Decimal
    protein_source: str
    physical_form: str = "solid"  # PhysicalForm: liquid, powder, paste or solid
    density_g_per_ml: Decimal | None = None
    # {"tsp": "5"}: grams (or mL for a liquid) in one level household measure, kept as typed.
    household_measures: dict[str, str] = field(default_factory=dict)
    serving_size: Decimal | None = None
    allergen_protein_g_per_100: Decimal | None = None  # a composite food's allergen protein (milk in a muffin)
    processing: str = ""  # Processing: raw, baked, boiled…
    processing_temperature_c: int | None = None
    processing_minutes: int | None = None
    matrix: str = ""
    recipe: str = ""
    notes: str = ""
    snomed_code: str = ""  # the allergen as a SNOMED CT substance (FHIR export); empty when unsure
    snomed_display: str = ""
    is_liquid: bool | None = None  # the former flag, still accepted: True means physical_form "liquid"


def _fields(draft: FoodDraft) -> dict[str, object]:
    """The draft as model fields (the old `is_liquid` flag folded into the physical form)."""
    data = asdict(draft)
    if data.pop("is_liquid"):
        data["physical_form"] = "liquid"
    return data


@transaction.atomic
def food_create(*, clinic: Clinic, by: User, draft: FoodDraft) -> Food:
    """A clinic's own food; raises ValidationError (e.g. the clinic already has this name and form)."""
    food = Food(clinic=clinic, **_fields(draft))
    food._history_user = by  # type: ignore[attr-defined]
    food.full_clean()
    food.save()
    return food


@transaction.atomic
def food_update(*, food: Food, by: User, draft: FoodDraft) -> Food:
    """Correct a clinic's own food (its physical form, measures, processing…) while no challenge has used it.

    Once a challenge was booked on a protocol of this food, its figures are part of that record: add a new food
    (a new label or batch) instead. Raises FoodError("food_in_use") or ValidationError.
    """
    food = Food.objects.select_for_update().get(pk=food.pk)
    if food.clinic_id is None:
        raise FoodError(_("Standard foods are read-only; add your clinic's own food instead."), code="standard")
    if food.protocols.filter(challenges__isnull=False).exists():
        raise FoodError(
            _("A challenge has used this food, so its figures are part of that record; add a new food instead."),
            code="food_in_use",
        )
    for name, value in _fields(draft).items():
        setattr(food, name, value)
    food._history_user = by  # type: ignore[attr-defined]
    food.full_clean()
    food.save()
    return food

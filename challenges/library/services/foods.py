"""Writes to foods: a clinic adds its own food (or a label override of a standard one)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import transaction

from challenges.models import Food
from clinics.models import Clinic, User


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


@transaction.atomic
def food_create(*, clinic: Clinic, by: User, draft: FoodDraft) -> Food:
    """A clinic's own food; raises ValidationError (e.g. the clinic already has this name and form)."""
    food = Food(clinic=clinic, **asdict(draft))
    food._history_user = by  # type: ignore[attr-defined]
    food.full_clean()
    food.save()
    return food

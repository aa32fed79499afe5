"""Reads of the protocol library: stored rows turned into the plain values the clinical rules take."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from challenges.library.models import Food, PhysicalForm, Protocol, ProtocolStep
from clinical import dosing
from clinical.plan import Alternatives, PlannedStep


def food_spec(food: Food) -> dosing.FoodSpec:
    """The food as the dosing rules see it: protein, physical form, household measures, density, a display name.

    A composite food that declares its allergen's protein (a baked-milk muffin) is dosed in that protein (P3).
    """
    allergen_protein = food.allergen_protein_g_per_100
    return dosing.FoodSpec(
        protein_g_per_100=allergen_protein if allergen_protein is not None else food.protein_g_per_100,
        is_liquid=food.is_liquid,
        density_g_per_ml=food.density_g_per_ml,
        name=f"{food.name}, {food.form}",
        physical_form=food.physical_form,
        allergen=food.allergen_group,
        protein_name=food.protein_name,
        # Rows saved before the measures were checked may hold other names: those are skipped, not trusted.
        measures=dosing.parse_household_measures(food.household_measures, strict=False),
    )


def powder_alternatives(food: Food, clinic_id: int | None) -> Alternatives:
    """The powder foods of the same allergen that the clinic can use (its own and the standard ones), read only
    when a dose is refused (one query, then kept)."""

    @cache
    def read() -> Sequence[dosing.FoodSpec]:
        powders = Food.objects.for_clinic(clinic_id).filter(
            allergen_group=food.allergen_group, physical_form=PhysicalForm.POWDER
        )
        return tuple(food_spec(powder) for powder in powders)

    return read


def protocol_steps(protocol: Protocol) -> list[PlannedStep]:
    """The stored steps as plan inputs (uses a prefetched `steps` when there is one; prefetch `steps__food` too).

    A step of its own food (a ladder's rung, X4) carries that food; a step of the protocol's food carries none.
    """
    return [
        PlannedStep(
            s.number,
            s.protein_mg,
            s.food_amount,
            s.household_measure,
            s.interval_minutes,
            s.role,
            food=step_food_spec(s, protocol.food_id),
            food_id=s.food_id,
        )
        for s in protocol.steps.all()
    ]


def step_food_spec(step: ProtocolStep, protocol_food_id: int | None) -> dosing.FoodSpec | None:
    """The step's own food as the dosing rules see it; None when it is the protocol's food."""
    if step.food_id is None or step.food_id == protocol_food_id or step.food is None:
        return None
    return food_spec(step.food)


def step_food(step: ProtocolStep, protocol_food: Food) -> Food:
    """The food a stored step is eaten as: its own, else the protocol's (X4)."""
    return step.food if step.food_id is not None and step.food is not None else protocol_food

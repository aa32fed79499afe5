"""Reads of the protocol library: stored rows turned into the plain values the clinical rules take."""

from __future__ import annotations

from challenges.library.models import Food, Protocol
from clinical import dosing
from clinical.plan import PlannedStep


def food_spec(food: Food) -> dosing.FoodSpec:
    """The food as the dosing rules see it: protein content, liquid or not, density, a display name."""
    return dosing.FoodSpec(
        protein_g_per_100=food.protein_g_per_100,
        is_liquid=food.is_liquid,
        density_g_per_ml=food.density_g_per_ml,
        name=f"{food.name}, {food.form}",
    )


def protocol_steps(protocol: Protocol) -> list[PlannedStep]:
    """The stored steps as plan inputs (uses a prefetched `steps` when there is one)."""
    return [
        PlannedStep(s.number, s.protein_mg, s.food_amount, s.household_measure, s.interval_minutes, s.role)
        for s in protocol.steps.all()
    ]

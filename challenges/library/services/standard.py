"""Load the standard foods and protocols (idempotent: keyed by name and form / protocol name)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction

from challenges.library.facts import food_spec
from challenges.library.services.protocols import PremedSpec, ProtocolDraft, protocol_create
from challenges.library.standard_content import FOODS, PROTOCOLS, FoodSeed, ProtocolSeed, snomed_for
from challenges.models import Food, Protocol
from clinical import plan
from clinical.kinds import kind_defaults


@transaction.atomic
def load_standard_library() -> tuple[int, int]:
    """Create the standard foods and protocols that are missing; return how many of each were created."""
    foods_created = sum(_food(seed) for seed in FOODS)
    protocols_created = sum(_protocol(seed) for seed in PROTOCOLS)
    return foods_created, protocols_created


def _food(seed: FoodSeed) -> bool:
    code, display = snomed_for(seed)
    food, created = Food.objects.get_or_create(
        clinic=None,
        name=seed.name,
        form=seed.form,
        defaults={
            "allergen_group": seed.group,
            "protein_g_per_100": seed.protein,
            "physical_form": seed.physical or ("liquid" if seed.liquid else "solid"),
            "protein_source": seed.source,
            "household_measures": dict(seed.measures),
            "serving_size": seed.serving,
            "notes": seed.notes,
            "is_composite": seed.composite,
            "allergen_protein_g_per_100": seed.allergen_protein,
            "processing": seed.processing,
            "processing_temperature_c": seed.processing_temperature_c,
            "processing_minutes": seed.processing_minutes,
            "matrix": seed.matrix,
            "recipe": seed.recipe,
            "snomed_code": code,
            "snomed_display": display,
        },
    )
    if not created and code and not food.snomed_code:
        # A library loaded before the codes existed: fill the missing code (history keeps the change).
        food.snomed_code, food.snomed_display = code, display
        food.full_clean()
        food.save()
    return created


def _protocol(seed: ProtocolSeed) -> bool:
    if Protocol.objects.filter(clinic=None, name=seed.name).exists():
        return False
    food = Food.objects.get(clinic=None, name=seed.food[0], form=seed.food[1])
    rung_foods = {key: Food.objects.get(clinic=None, name=key[0], form=key[1]) for key, *_ in seed.rungs}
    protocol_create(clinic=None, by=None, draft=seed_draft(seed, food, rung_foods=rung_foods))
    return True


def seed_food(seed: FoodSeed) -> Food:
    """A food seed as an unsaved Food (what the checks need, without writing)."""
    return Food(
        clinic=None,
        name=seed.name,
        form=seed.form,
        allergen_group=seed.group,
        protein_g_per_100=seed.protein,
        physical_form=seed.physical or ("liquid" if seed.liquid else "solid"),
        protein_source=seed.source,
        household_measures=dict(seed.measures),
        serving_size=seed.serving,
        notes=seed.notes,
        is_composite=seed.composite,
        allergen_protein_g_per_100=seed.allergen_protein,
        processing=seed.processing,
        processing_temperature_c=seed.processing_temperature_c,
        processing_minutes=seed.processing_minutes,
        matrix=seed.matrix,
        recipe=seed.recipe,
        snomed_code=snomed_for(seed)[0],
        snomed_display=snomed_for(seed)[1],
    )


def seed_drafts() -> list[ProtocolDraft]:
    """Every standard protocol seed as the draft it would be saved as (its food unsaved): for check_library."""
    foods = {(seed.name, seed.form): seed for seed in FOODS}
    return [
        seed_draft(
            seed,
            seed_food(foods[seed.food]),
            rung_foods={key: seed_food(foods[key]) for key, *_ in seed.rungs},
        )
        for seed in PROTOCOLS
    ]


def seed_draft(
    seed: ProtocolSeed, food: Food, *, rung_foods: Mapping[tuple[str, str], Food] | None = None
) -> ProtocolDraft:
    """What a protocol seed says, with its generated steps and the kind's default rules."""
    return ProtocolDraft(
        name=seed.name,
        kind=seed.kind,
        food=food,
        dose_basis=seed.dose_basis,
        steps=_steps(seed, food, rung_foods or {}),
        observation_minutes=seed.observation_minutes,
        watch_hours=seed.watch_hours,
        min_top_dose_mg=seed.min_top_dose_mg,
        **kind_defaults(seed.kind).as_data(),
        follow_up_hours=seed.follow_up_hours,
        premeds=tuple(PremedSpec(**p) for p in seed.premeds),
        notes=seed.notes,
        references=seed.references,
        first_step_in_clinic=seed.first_step_in_clinic,
        keep_eating_between_steps=seed.keep_eating_between_steps,
        fpies_protein_g_per_kg=seed.fpies_protein_g_per_kg,
    )


def _steps(seed: ProtocolSeed, food: Food, rung_foods: Mapping[tuple[str, str], Food]) -> tuple[plan.PlannedStep, ...]:
    """The seed's rungs of different foods (a ladder), its explicit steps, else its generator's (a household ladder
    with the food's own teaspoon weight)."""
    if seed.rungs:
        return tuple(
            _rung(number, food, rung_foods[key], amount, measure, wait)
            for number, (key, amount, measure, wait) in enumerate(seed.rungs, start=1)
        )
    if seed.steps:
        return tuple(
            plan.PlannedStep(number, protein, None, measure, wait)
            for number, (protein, measure, wait) in enumerate(seed.steps, start=1)
        )
    params = dict(seed.generator)
    spec = food_spec(food)
    if params.get("generator") == "household" and "grams_per_measure" not in params:
        params["grams_per_measure"] = spec.measure_weight("tsp")
    return tuple(plan.generate_steps(plan.GeneratorInput(**params), food=spec))


def _rung(number: int, protocol_food: Food, food: Food, amount: Decimal, measure: str, wait: int) -> plan.PlannedStep:
    """A ladder rung: an amount of its own food (none of its own when it is the protocol's food)."""
    if (food.name, food.form) == (protocol_food.name, protocol_food.form):
        return plan.PlannedStep(number, None, amount, measure, wait)
    return plan.PlannedStep(number, None, amount, measure, wait, food=food_spec(food), food_id=food.pk)

"""Load the standard foods and protocols (idempotent: keyed by name and form / protocol name), and bring the
standard protocols of an existing database up to what this release ships (a new version where they differ)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from challenges.library.facts import food_spec
from challenges.library.services.protocols import (
    PremedSpec,
    ProtocolDraft,
    draft_from_protocol,
    protocol_create,
    protocol_in_use,
    write_protocol,
)
from challenges.library.standard_content.foods import FOODS, FoodSeed
from challenges.library.standard_content.protocols import PROTOCOLS, ProtocolSeed
from challenges.library.standard_content.snomed import snomed_for
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


@transaction.atomic
def refresh_standard_protocols() -> list[str]:
    """Bring every standard protocol up to the shipped seed; return the names of those that changed.

    A database loaded by an earlier release keeps the standard protocols it was given (their doses, checklist,
    stop and wash-out rules) until this runs. A protocol that differs from its seed gets a new current version with
    the seed's content; the old version stays, frozen, for the challenges that were booked on it (what they were
    planned with is what their records and reports show). One that is unused is rewritten in place. A seed whose
    food is missing is created first (load_standard_library). Idempotent: a second run changes nothing.
    """
    load_standard_library()
    changed = []
    for seed in PROTOCOLS:
        current = (
            Protocol.objects.select_for_update(of=("self",))
            .filter(clinic=None, name=seed.name, is_current=True)
            .first()
        )
        if current is None:
            continue
        food = Food.objects.get(clinic=None, name=seed.food[0], form=seed.food[1])
        rung_foods = {key: Food.objects.get(clinic=None, name=key[0], form=key[1]) for key, *_ in seed.rungs}
        draft = seed_draft(seed, food, rung_foods=rung_foods)
        if draft_fingerprint(draft) == draft_fingerprint(draft_from_protocol(current)):
            continue
        if protocol_in_use(current):
            current.is_current = False
            current.save(update_fields=["is_current"])
            current = Protocol(lineage=current.lineage, version=current.version + 1, clinic=None, created_by=None)
        else:
            current.steps.all().delete()
            current.premedications.all().delete()
        write_protocol(current, draft, None)
        changed.append(seed.name)
    return changed


def draft_fingerprint(draft: ProtocolDraft) -> str:
    """What a protocol says, as comparable text: Decimals by value (3.000 and 3 are equal), JSON rule data as
    stored (a JSON round trip), the foods by id, premedications in any order (the model orders them by time and
    drug)."""

    def number(value: Decimal | None) -> str | None:
        return None if value is None else format(value.normalize(), "f")

    def stored(value: Any) -> Any:
        return json.loads(json.dumps(value, default=str, sort_keys=True))

    return json.dumps(
        {
            "name": draft.name,
            "kind": draft.kind,
            "food": draft.food.pk,
            "dose_basis": draft.dose_basis,
            "steps": [
                [
                    step.number,
                    number(step.protein_mg),
                    number(step.food_amount),
                    step.household_measure,
                    step.interval_minutes,
                    step.role,
                    step.food_id,
                ]
                for step in draft.steps
            ],
            "observation_minutes": draft.observation_minutes,
            "watch_hours": draft.watch_hours,
            "min_top_dose_mg": number(draft.min_top_dose_mg),
            "checklist_items": list(draft.checklist_items),
            "stop_rules": stored(draft.stop_rules),
            "washout_rules": stored(draft.washout_rules),
            "follow_up_hours": list(draft.follow_up_hours),
            "premeds": sorted(json.dumps(stored(vars(spec)), sort_keys=True) for spec in draft.premeds),
            "notes": draft.notes,
            "references": draft.references,
            "first_step_in_clinic": draft.first_step_in_clinic,
            "keep_eating_between_steps": draft.keep_eating_between_steps,
            "fpies_protein_g_per_kg": number(draft.fpies_protein_g_per_kg),
        },
        sort_keys=True,
        default=str,
    )


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

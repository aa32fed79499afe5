"""Helpers for the protocol-library pages: POST data that mirrors the new, edit and food pages, their URLs, and a
challenge that uses a protocol."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.urls import reverse

from challenges.library.facts import protocol_steps
from challenges.library.forms.washout import hours_as_days, washout_field_name
from challenges.library.services.protocols import draft_from_protocol
from challenges.models import Challenge, Food, Protocol
from clinical.stop_rules import StopRules
from clinics.models import User
from patients.models import Patient

VALID_NEW = {  # the new-protocol page's POST without its food
    "name": "Peanut ladder for Zoë",
    "kind": "open",
    "dose_basis": "protein",
    "observation_minutes": "120",
    "watch_hours": "",
    "min_top_dose_mg": "3000",
    "follow_up_hours": "2, 24",
    "notes": "Clinic protocol.",
    "references": "PRACTALL.",
    "gen-generator": "practall7",
    "gen-interval_minutes": "30",
}


def library_url(name: str, protocol: Protocol | None = None) -> str:
    """The URL of a library page (challenges:<name>), of `protocol` when it has one."""
    return reverse(f"challenges:{name}", args=[protocol.pk] if protocol else [])


def new_protocol_data(food: Food, **changes: str) -> dict[str, str]:
    """What the new-protocol page posts for `food` (PRACTALL 7 steps, 30 min), with `changes` applied."""
    return {**VALID_NEW, "food": str(food.pk), **changes}


def step_proteins(protocol: Protocol) -> list[Decimal | None]:
    """The protein of each step of the protocol, in mg (None where a step has none)."""
    return [step.protein_mg for step in protocol_steps(protocol)]


VALID_FOOD = {  # the add-food page's POST
    "name": "Peanut butter",
    "form": "smooth, Brand X (label)",
    "allergen_group": "peanut",
    "protein_g_per_100": "25.5",
    "protein_source": "product label, Mar 2026",
    "physical_form": "paste",
    "household_measures": "tsp=5\n\n TBSP = 15 ",
    "serving_size": "20",
    "notes": "",
}


def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def edit_data(protocol: Protocol, **changes: Any) -> dict[str, Any]:
    """What the edit page posts for `protocol` unchanged (waits in minutes), with `changes` applied."""
    draft = draft_from_protocol(protocol)
    data: dict[str, Any] = {
        "name": draft.name,
        "kind": draft.kind,
        "food": str(draft.food.pk),
        "dose_basis": draft.dose_basis,
        "observation_minutes": str(draft.observation_minutes),
        "watch_hours": str(draft.watch_hours),
        "min_top_dose_mg": _number(draft.min_top_dose_mg),
        "follow_up_hours": ", ".join(str(hours) for hours in draft.follow_up_hours),
        "notes": draft.notes,
        "references": draft.references,
        "save": "",
        **_management("steps", len(draft.steps)),
        **_management("premeds", len(draft.premeds)),
        "checklist-items": list(draft.checklist_items),
    }
    for index, step in enumerate(draft.steps):
        data.update(
            {
                f"steps-{index}-protein_mg": _number(step.protein_mg),
                f"steps-{index}-food_amount": _number(step.food_amount),
                f"steps-{index}-household_measure": step.household_measure,
                f"steps-{index}-role": "" if step.role == "dose" else step.role,
                f"steps-{index}-wait": str(step.interval_minutes),
                f"steps-{index}-wait_unit": "min",
            }
        )
    for index, spec in enumerate(draft.premeds):
        for name, value in spec.__dict__.items():
            if isinstance(value, bool):
                if value:
                    data[f"premeds-{index}-{name}"] = "on"
            else:
                data[f"premeds-{index}-{name}"] = str(value)
    for name, value in StopRules.from_dict(draft.stop_rules).to_dict().items():
        if value is not False:
            data[f"stop-{name}"] = "on" if value is True else str(value)
    for rule in draft.washout_rules:
        data[f"washout-{washout_field_name(rule)}"] = format(hours_as_days(rule["hours"]), "f")  # typed in days
    data.update(changes)
    return data


def _management(prefix: str, count: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(count),
        f"{prefix}-INITIAL_FORMS": str(count),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def challenge_using(protocol: Protocol, *, patient: Patient, allergist: User) -> Challenge:
    """A planned challenge on this protocol version, which freezes the version (edits then make a new one)."""
    return Challenge.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol=protocol,
        allergist=allergist,
        scheduled_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    )

"""A known trigger's reactions at challenge (clinical review R12): the signed, failed challenges to its food.

The patient page and the patient summary show them beside the trigger, read-only: the trigger's own severity is the
clinician's text and stays as written; the signed challenge is the record, and its grade is printed next to it.

A challenge counts when it is signed, failed and not entered in error, and the trigger's substance names its food or
the food's allergen group (diagnostics.names_food; a food of the "other" group is matched by its name only). A trigger
entered in error gains none: it is struck through as a mistake, and a reaction beside it would read as confirming it.

Plain Python: the rows are read through the attributes below (the Django models have them), nothing is queried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from clinical.diagnostics import names_food
from clinical.grading import SCALES
from clinical.outcome import OutcomeVerdict

OTHER_GROUP = "other"  # the allergen group of foods without one (an MCAS trigger): its label names no food


class TriggerRow(Protocol):
    @property
    def substance(self) -> str: ...
    @property
    def entered_in_error(self) -> bool: ...


class FoodRow(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def allergen_group(self) -> str: ...
    def get_allergen_group_display(self) -> str: ...


class ProtocolRow(Protocol):
    @property
    def food(self) -> FoodRow: ...


class ChallengeRow(Protocol):
    @property
    def protocol(self) -> ProtocolRow: ...
    @property
    def is_signed(self) -> bool: ...
    @property
    def outcome(self) -> str: ...
    @property
    def entered_in_error(self) -> bool: ...
    @property
    def grade(self) -> str: ...
    @property
    def grade_scale(self) -> str: ...
    @property
    def scheduled_at(self) -> datetime: ...


C = TypeVar("C", bound=ChallengeRow)


@dataclass(frozen=True)
class TriggerReaction(Generic[C]):
    challenge: C
    grade: str  # "grade 2 (Sampson 2003)", or "grade not recorded"


def trigger_reactions(trigger: TriggerRow, challenges: Iterable[C]) -> list[TriggerReaction[C]]:
    """The challenges shown beside the trigger, newest first (two at the same time keep the order given)."""
    if trigger.entered_in_error:
        return []
    reactions = [
        TriggerReaction(challenge=c, grade=grade_text(c.grade, c.grade_scale))
        for c in challenges
        if c.is_signed
        and c.outcome == OutcomeVerdict.FAILED
        and not c.entered_in_error
        and names_food(trigger.substance, _food_terms(c.protocol.food))
    ]
    return sorted(reactions, key=lambda r: r.challenge.scheduled_at, reverse=True)


def grade_text(grade: str, scale: str) -> str:
    """The grade with its scale's short name ("grade 2 (Sampson 2003)"), or "grade not recorded"."""
    if not grade:
        return "grade not recorded"
    return f"grade {grade} ({SCALES.get(scale, scale).split(' (')[0]})"


def _food_terms(food: FoodRow) -> tuple[str, ...]:
    """The food's name and, unless it is "other", its allergen group's label ("Peanut")."""
    group = str(food.get_allergen_group_display()) if food.allergen_group != OTHER_GROUP else ""
    return (food.name, group)

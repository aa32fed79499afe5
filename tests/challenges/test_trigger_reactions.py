"""Which signed failed challenges a known trigger shows beside it, and how their grade reads (R12)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from clinical.grading import BROWN, SAMPSON, WAO
from clinical.trigger_reactions import grade_text, trigger_reactions

GROUP_LABELS = {"peanut": "Peanut", "tree_nut": "Tree nuts", "other": "Other"}


@dataclass(frozen=True)
class Food:
    name: str = "Roasted peanut flour"
    allergen_group: str = "peanut"

    def get_allergen_group_display(self) -> str:
        return GROUP_LABELS[self.allergen_group]


@dataclass(frozen=True)
class Protocol:
    food: Food = field(default_factory=Food)


@dataclass(frozen=True)
class Challenge:
    protocol: Protocol = field(default_factory=Protocol)
    is_signed: bool = True
    outcome: str = "failed"
    entered_in_error: bool = False
    grade: str = "2"
    grade_scale: str = SAMPSON
    scheduled_at: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Trigger:
    substance: str = "Peanut"
    entered_in_error: bool = False


def on(food: Food, **kwargs: object) -> Challenge:
    return Challenge(protocol=Protocol(food=food), **kwargs)


def test_a_signed_failed_challenge_to_the_triggers_food_is_shown_with_its_grade():
    challenge = Challenge()
    [reaction] = trigger_reactions(Trigger(), [challenge])
    assert reaction.challenge is challenge
    assert reaction.grade == "grade 2 (Sampson 2003)"


def test_an_unsigned_challenge_is_not_shown_yet():
    assert trigger_reactions(Trigger(), [Challenge(is_signed=False)]) == []


@pytest.mark.parametrize("outcome", ["passed", "equivocal", "dose_not_reached", ""])
def test_only_a_failed_challenge_is_shown(outcome):
    assert trigger_reactions(Trigger(), [Challenge(outcome=outcome)]) == []


def test_a_challenge_entered_in_error_is_not_shown():
    assert trigger_reactions(Trigger(), [Challenge(entered_in_error=True)]) == []


def test_a_trigger_entered_in_error_shows_no_challenge():
    assert trigger_reactions(Trigger(entered_in_error=True), [Challenge()]) == []


def test_the_trigger_matches_by_the_foods_name():
    cashew = Food(name="Cashew", allergen_group="tree_nut")
    assert len(trigger_reactions(Trigger(substance="cashews (hives)"), [on(cashew)])) == 1


def test_the_trigger_matches_by_the_foods_allergen_group():
    assert len(trigger_reactions(Trigger(substance="peanuts"), [on(Food(name="Peanut butter smooth"))])) == 1
    assert len(trigger_reactions(Trigger(substance="Tree nuts"), [on(Food(name="Cashew", allergen_group="tree_nut"))]))


def test_a_trigger_naming_another_food_matches_nothing():
    assert trigger_reactions(Trigger(substance="Sesame"), [Challenge()]) == []


def test_the_other_group_label_names_no_food():
    """A food of the "other" group (an MCAS trigger) matches by its name only, never by the word "Other"."""
    histamine = Food(name="Histamine-rich meal", allergen_group="other")
    assert trigger_reactions(Trigger(substance="Other"), [on(histamine)]) == []
    assert len(trigger_reactions(Trigger(substance="histamine-rich meal"), [on(histamine)])) == 1


def test_newest_first_and_challenges_at_the_same_time_keep_their_order():
    early = Challenge(scheduled_at=datetime(2025, 1, 6, 9, 0, tzinfo=UTC), grade="1")
    late_a = Challenge(scheduled_at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC), grade="3")
    late_b = Challenge(scheduled_at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC), grade="4")
    shown = [r.challenge for r in trigger_reactions(Trigger(), [early, late_a, late_b])]
    assert shown == [late_a, late_b, early]


def test_only_the_matching_challenges_of_several_are_shown():
    passed = Challenge(outcome="passed")
    failed = Challenge()
    sesame = on(Food(name="Sesame paste", allergen_group="other"))
    assert [r.challenge for r in trigger_reactions(Trigger(), [passed, failed, sesame])] == [failed]


def test_a_grade_not_recorded_says_so():
    [reaction] = trigger_reactions(Trigger(), [Challenge(grade="", grade_scale="")])
    assert reaction.grade == "grade not recorded"


@pytest.mark.parametrize(
    ("grade", "scale", "text"),
    [
        ("2", SAMPSON, "grade 2 (Sampson 2003)"),
        ("3", WAO, "grade 3 (WAO 2010)"),
        ("mild", BROWN, "grade mild (Brown 2004)"),
        ("2", "local", "grade 2 (local)"),  # a scale the rules do not know is printed as stored
        ("", SAMPSON, "grade not recorded"),
    ],
)
def test_grade_text(grade, scale, text):
    assert grade_text(grade, scale) == text

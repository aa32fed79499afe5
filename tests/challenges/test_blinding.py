"""clinical.blinding: placebo doses are added to the full active series, never put in place of a step (review X1)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from clinical import blinding, outcome
from clinical.blinding import BlindingError, Slot


@pytest.mark.parametrize("seed", range(30))
def test_the_active_doses_are_exactly_the_protocol_steps_in_order(seed):
    order = blinding.draw_placebo_steps(7, 3, random.Random(seed))
    schedule = blinding.slots(order, 7)
    assert blinding.active_steps_of(schedule) == [1, 2, 3, 4, 5, 6, 7]
    assert sum(s.placebo for s in schedule) == 3
    assert [s.number for s in schedule] == list(range(1, 11))


@pytest.mark.parametrize("seed", range(30))
def test_each_placebo_sits_beside_the_active_step_it_mirrors(seed):
    schedule = blinding.slots(blinding.draw_placebo_steps(7, 4, random.Random(seed)), 7)
    for index, dose in enumerate(schedule):
        if dose.placebo:
            neighbours = schedule[max(index - 1, 0) : index + 2]
            assert any(n.step == dose.step and not n.placebo for n in neighbours)


def test_the_draw_uses_the_secure_source_and_varies():
    """By default the operating system's secure generator: many draws are not all the same."""
    draws = {tuple(blinding.draw_placebo_steps(7, 2)) for _ in range(40)}
    assert len(draws) > 1


def test_no_placebo_is_the_open_series():
    assert blinding.slots([], 3) == (Slot(1, 1, False), Slot(2, 2, False), Slot(3, 3, False))


def test_a_stored_order_reads_back_the_same():
    assert blinding.slots([1, -2, 2, 3], 3) == (
        Slot(1, 1, False),
        Slot(2, 2, True),
        Slot(3, 2, False),
        Slot(4, 3, False),
    )


@pytest.mark.parametrize(
    "order",
    [
        [1, 3, 2],  # active steps out of order
        [1, 2],  # an active step missing
        [1, -2, -2, 2, 3],  # two placebos for one step
        [1, 2, 3, -4],  # a placebo for a step that does not exist
        [1, 2, 2, 3],  # an active step twice
    ],
)
def test_an_order_that_changes_the_active_series_is_refused(order):
    with pytest.raises(BlindingError) as refused:
        blinding.slots(order, 3)
    assert refused.value.code == "bad_blind_schedule"


@pytest.mark.parametrize("kind", ["dbpcfc", "single_blind"])
def test_placebo_is_allowed_on_blinded_kinds(kind):
    blinding.check_placebo_count(kind, 7, 1)
    blinding.check_placebo_count(kind, 7, 7)  # one per active step at most: on the boundary


@pytest.mark.parametrize("kind", ["open", "home", "fpies", "ladder"])
def test_placebo_is_refused_on_every_other_kind(kind):
    blinding.check_placebo_count(kind, 7, 0)  # no placebo: fine
    with pytest.raises(BlindingError) as refused:
        blinding.check_placebo_count(kind, 7, 1)
    assert refused.value.code == "placebo_not_blinded_kind"


@pytest.mark.parametrize("count", [-1, 8])
def test_placebo_count_out_of_range_is_refused(count):
    with pytest.raises(BlindingError) as refused:
        blinding.check_placebo_count("dbpcfc", 7, count)
    assert refused.value.code == "bad_placebo"


def test_slot_by_number():
    schedule = blinding.slots([-1, 1, 2], 2)
    assert blinding.slot(schedule, 1) == Slot(1, 1, True)
    with pytest.raises(BlindingError):
        blinding.slot(schedule, 4)


def _suggest(**changes):
    base = {
        "doses_given": 2,
        "planned_steps": 7,
        "min_top_dose_mg": Decimal(3000),
        "highest_dose_mg": Decimal(3),
        "stop_hits": True,
        "stopped_early": True,
    }
    return outcome.suggest_outcome(**{**base, **changes})


def test_a_stop_after_a_placebo_dose_is_indeterminate_not_failed():
    assert _suggest(reaction_after_placebo=True) == outcome.OutcomeVerdict.EQUIVOCAL
    assert _suggest(reaction_after_placebo=False) == outcome.OutcomeVerdict.FAILED


def test_placebo_alone_does_not_make_a_challenge_indeterminate_without_a_stop():
    assert _suggest(reaction_after_placebo=True, stop_hits=False, stopped_early=False) == (
        outcome.OutcomeVerdict.DOSE_NOT_REACHED
    )

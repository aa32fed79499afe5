from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from clinical.outcome import (
    GivenDose,
    OutcomeError,
    OutcomeVerdict,
    advice_conflict,
    compute_result,
    default_adrenaline_prescription,
    default_advice,
    suggest_outcome,
)

TZ = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
# PRACTALL 7-step schedule in mg protein, 30 min apart (docs/clinical-sources.md §1.1); food as g of a 25 % protein
# powder.
PRACTALL_MG = ("3", "10", "30", "100", "300", "1000", "3000")


def dose(number: int, protein_mg: str, *, minutes: int | None = None, error: bool = False) -> GivenDose:
    mg = Decimal(protein_mg)
    return GivenDose(
        number=number,
        protein_mg=mg,
        food_amount=mg / 250,  # g of food at 25 % protein
        food_unit="g",
        given_at=START + timedelta(minutes=30 * (number - 1) if minutes is None else minutes),
        entered_in_error=error,
    )


def practall(steps: int = 7) -> list[GivenDose]:
    return [dose(n, mg) for n, mg in enumerate(PRACTALL_MG[:steps], start=1)]


def minutes_after(number: int, minutes: int) -> datetime:
    return START + timedelta(minutes=30 * (number - 1) + minutes)


# --- compute_result ----------------------------------------------------------------------------------------


def test_practall_reaction_after_dose_5():
    result = compute_result(practall(5), reaction_onset=minutes_after(5, 12))
    assert result.eliciting_dose_mg == Decimal(300)
    assert result.eliciting_dose_number == 5
    assert result.eliciting_food_amount == Decimal("1.2")
    assert result.cumulative_at_reaction_mg == Decimal(443)
    assert result.highest_tolerated_mg == Decimal(100)
    assert result.highest_tolerated_cumulative_mg == Decimal(143)
    assert result.total_protein_mg == Decimal(443)


def test_practall_passed_challenge():
    result = compute_result(practall(), reaction_onset=None)
    assert result.highest_tolerated_mg == Decimal(3000)
    assert result.highest_tolerated_cumulative_mg == Decimal(4443)
    assert result.total_protein_mg == Decimal(4443)
    assert result.total_food_amount == Decimal("17.772")
    assert result.food_unit == "g"
    assert result.eliciting_dose_mg is None
    assert result.cumulative_at_reaction_mg is None
    assert result.first_symptom_at is None
    assert result.minutes_from_last_dose_to_first_symptom is None


def test_sums_are_exact_decimals():
    doses = [dose(1, "0.1"), dose(2, "0.2"), dose(3, "0.3")]
    result = compute_result(doses, reaction_onset=None)
    assert result.total_protein_mg == Decimal("0.6")  # 0.1 + 0.2 + 0.3 != 0.6 in float
    assert isinstance(result.total_protein_mg, Decimal)


def test_time_to_first_symptom_is_counted_from_the_eliciting_dose():
    result = compute_result(practall(5), reaction_onset=minutes_after(5, 12) + timedelta(seconds=59))
    assert result.first_symptom_at == minutes_after(5, 12) + timedelta(seconds=59)
    assert result.minutes_from_last_dose_to_first_symptom == 12  # whole minutes, rounded down


def test_reaction_at_the_moment_of_a_dose_is_attributed_to_that_dose():
    result = compute_result(practall(5), reaction_onset=minutes_after(4, 0))
    assert result.eliciting_dose_number == 4
    assert result.minutes_from_last_dose_to_first_symptom == 0


def test_entered_in_error_doses_are_ignored():
    doses = [*practall(4), dose(5, "3000", error=True), dose(5, "300")]
    result = compute_result(doses, reaction_onset=minutes_after(5, 10))
    assert result.eliciting_dose_mg == Decimal(300)
    assert result.cumulative_at_reaction_mg == Decimal(443)
    assert result.total_protein_mg == Decimal(443)


def test_entered_in_error_dose_is_not_the_eliciting_dose():
    doses = [*practall(4), dose(5, "300", error=True)]
    result = compute_result(doses, reaction_onset=minutes_after(5, 10))
    assert result.eliciting_dose_number == 4
    assert result.cumulative_at_reaction_mg == Decimal(143)
    assert result.highest_tolerated_mg == Decimal(30)
    assert result.minutes_from_last_dose_to_first_symptom == 40


def test_partly_eaten_dose_uses_what_was_eaten():
    doses = [*practall(3), dose(4, "80"), dose(5, "300")]  # 80 mg eaten of a planned 100 mg
    result = compute_result(doses, reaction_onset=minutes_after(5, 5))
    assert result.cumulative_at_reaction_mg == Decimal(423)
    assert result.highest_tolerated_mg == Decimal(80)
    assert result.highest_tolerated_cumulative_mg == Decimal(123)


def test_reaction_after_the_first_dose_leaves_nothing_tolerated():
    result = compute_result(practall(1), reaction_onset=minutes_after(1, 8))
    assert result.eliciting_dose_mg == Decimal(3)
    assert result.cumulative_at_reaction_mg == Decimal(3)
    assert result.highest_tolerated_mg is None
    assert result.highest_tolerated_cumulative_mg is None


def test_reaction_before_any_dose_has_no_eliciting_dose():
    result = compute_result(practall(2), reaction_onset=START - timedelta(minutes=5))
    assert result.eliciting_dose_mg is None
    assert result.cumulative_at_reaction_mg is None
    assert result.minutes_from_last_dose_to_first_symptom is None
    assert result.first_symptom_at == START - timedelta(minutes=5)


def test_doses_given_after_the_onset_count_in_the_total_only():
    result = compute_result(practall(6), reaction_onset=minutes_after(5, 25))
    assert result.cumulative_at_reaction_mg == Decimal(443)
    assert result.total_protein_mg == Decimal(1443)


def test_noael_is_the_highest_tolerated_dose_even_when_steps_go_down():
    doses = [dose(1, "100"), dose(2, "30"), dose(3, "300")]
    result = compute_result(doses, reaction_onset=minutes_after(3, 5))
    assert result.highest_tolerated_mg == Decimal(100)
    assert result.highest_tolerated_cumulative_mg == Decimal(130)


def test_no_doses_gives_zero_totals():
    result = compute_result([], reaction_onset=None)
    assert result.total_protein_mg == Decimal(0)
    assert result.highest_tolerated_mg is None
    assert result.food_unit == ""


def test_doses_are_ordered_by_number_not_by_list_position():
    result = compute_result(list(reversed(practall(5))), reaction_onset=minutes_after(3, 10))
    assert result.eliciting_dose_number == 3
    assert result.cumulative_at_reaction_mg == Decimal(43)


def test_unit_aliases_are_the_same_unit():
    doses = [replace(dose(1, "3"), food_unit="ml"), replace(dose(2, "10"), food_unit="mL")]
    assert compute_result(doses, reaction_onset=None).food_unit == "mL"


@pytest.mark.parametrize(
    ("doses", "code"),
    [
        ([dose(1, "3"), dose(1, "10")], "duplicate_dose"),
        ([dose(1, "3", minutes=30), dose(2, "10", minutes=0)], "dose_order"),
        ([dose(1, "3"), replace(dose(2, "10"), food_unit="mL")], "mixed_units"),
        ([replace(dose(1, "3"), protein_mg=3.0)], "bad_amount"),
        ([dose(1, "-3")], "bad_amount"),
        ([replace(dose(1, "3"), food_amount=Decimal("NaN"))], "bad_amount"),
        ([dose(0, "3")], "bad_dose_number"),
    ],
)
def test_impossible_dose_records_are_refused(doses, code):
    with pytest.raises(OutcomeError) as caught:
        compute_result(doses, reaction_onset=None)
    assert caught.value.code == code


def test_a_bad_dose_entered_in_error_does_not_block_the_result():
    doses = [dose(1, "3"), replace(dose(1, "30"), food_unit="mL", entered_in_error=True)]
    assert compute_result(doses, reaction_onset=None).total_protein_mg == Decimal(3)


# --- suggest_outcome ---------------------------------------------------------------------------------------


def suggest(**overrides) -> str:
    values = {
        "doses_given": 7,
        "planned_steps": 7,
        "min_top_dose_mg": None,
        "highest_dose_mg": Decimal(3000),
        "stop_hits": False,
        "stopped_early": False,
    }
    return suggest_outcome(**{**values, **overrides})


def test_all_planned_doses_without_a_stop_rule_suggests_passed():
    assert suggest() == "passed"


def test_a_stop_rule_met_suggests_failed():
    assert suggest(doses_given=5, highest_dose_mg=Decimal(300), stop_hits=True, stopped_early=True) == "failed"


def test_a_reaction_after_the_last_dose_still_suggests_failed():
    assert suggest(stop_hits=True) == OutcomeVerdict.FAILED


def test_minimum_top_dose_reached_suggests_passed_without_all_steps():
    # ASCIA peanut: 1 tsp is the minimum last dose to call it negative (docs/clinical-sources.md §1.3, 6.1).
    assert suggest(doses_given=4, planned_steps=5, min_top_dose_mg=Decimal(1110), highest_dose_mg=Decimal(1110)) == (
        "passed"
    )


def test_all_steps_but_below_the_minimum_top_dose_is_not_passed():
    # Last dose only partly eaten: the step count is complete but the minimum was not eaten.
    outcome = suggest(min_top_dose_mg=Decimal(3000), highest_dose_mg=Decimal(1500))
    assert outcome == "dose_not_reached"


def test_clinician_stop_without_a_rule_suggests_equivocal():
    assert suggest(doses_given=4, highest_dose_mg=Decimal(100), stopped_early=True) == "equivocal"


def test_ending_short_without_a_stop_suggests_dose_not_reached():
    assert suggest(doses_given=4, highest_dose_mg=Decimal(100)) == "dose_not_reached"


def test_no_dose_given_is_dose_not_reached_even_with_a_stop_rule():
    assert suggest(doses_given=0, highest_dose_mg=None, stop_hits=True, stopped_early=True) == "dose_not_reached"


@pytest.mark.parametrize(("doses_given", "planned_steps"), [(-1, 7), (3, 0), (True, 7), (3, Decimal(7))])
def test_suggest_refuses_bad_counts(doses_given, planned_steps):
    with pytest.raises(OutcomeError) as caught:
        suggest(doses_given=doses_given, planned_steps=planned_steps)
    assert caught.value.code == "bad_count"


def test_the_suggested_verdicts_are_the_outcomes_an_allergist_can_confirm():
    from challenges.models import Outcome  # the stored outcome (TextChoices); OutcomeVerdict is the computed one

    assert {verdict.value for verdict in OutcomeVerdict} == set(Outcome.values)


# --- Advice follows the outcome ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "advice"),
    [
        ("passed", "eat_regularly"),
        ("failed", "strict_avoidance"),
        ("equivocal", "rechallenge"),
        ("dose_not_reached", "rechallenge"),
    ],
)
def test_default_advice_follows_the_outcome(outcome, advice):
    assert default_advice(outcome) == advice


def test_failed_and_eat_regularly_contradict():
    assert advice_conflict("failed", "eat_regularly")
    assert advice_conflict("failed", "strict_avoidance") is None
    assert advice_conflict("failed", "rechallenge") is None


def test_passed_and_strict_avoidance_contradict():
    assert advice_conflict("passed", "strict_avoidance")
    assert advice_conflict("passed", "eat_regularly") is None


def test_a_failed_challenge_with_a_systemic_reaction_defaults_to_adrenaline():
    assert default_adrenaline_prescription("failed", systemic_reaction=True) is True
    assert default_adrenaline_prescription("failed", systemic_reaction=False) is False
    assert default_adrenaline_prescription("passed", systemic_reaction=True) is False


def test_highest_symptom_free_dose_is_the_highest_before_the_first_symptom():
    from decimal import Decimal as D

    from clinical.outcome import highest_symptom_free_mg

    assert highest_symptom_free_mg([(D(3), False), (D(10), False), (D(30), True), (D(100), False)]) == D(10)
    assert highest_symptom_free_mg([(D(3), True)]) is None
    assert highest_symptom_free_mg([(D(3), False), (D(10), False)]) == D(10)
    assert highest_symptom_free_mg([]) is None

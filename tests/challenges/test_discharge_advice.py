"""Structured discharge advice (clinical.outcome, clinical review R6): both sides of every refusal, and what is
printed for an unticked item."""

from __future__ import annotations

from datetime import date

from clinical.outcome import (
    EAT_REGULARLY,
    RECHALLENGE,
    STRICT_AVOIDANCE,
    DischargeAdvice,
    OutcomeVerdict,
    discharge_advice_lines,
    discharge_advice_problem,
)

DAY = date(2026, 11, 26)


def _problem(outcome: str, advice: str, **items: object) -> str | None:
    found = discharge_advice_problem(
        outcome=outcome,
        advice=advice,
        discharge=DischargeAdvice(**items),
        challenge_day=DAY,  # type: ignore[arg-type]
    )
    return None if found is None else found.code


def test_nothing_ticked_is_the_default_and_never_refused():
    blank = DischargeAdvice()
    assert not blank.rest_of_day
    assert not blank.action_plan_given
    assert not blank.autoinjector_trained
    assert blank.keep_eating == blank.form_advice == ""
    assert blank.follow_up_on is None
    for outcome, advice in [
        (OutcomeVerdict.PASSED, EAT_REGULARLY),
        (OutcomeVerdict.FAILED, STRICT_AVOIDANCE),
        (OutcomeVerdict.EQUIVOCAL, RECHALLENGE),
    ]:
        assert _problem(outcome, advice) is None


def test_how_much_to_keep_eating_goes_with_a_pass_not_with_avoidance():
    assert _problem(OutcomeVerdict.PASSED, EAT_REGULARLY, keep_eating="a normal portion twice a week") is None
    assert _problem(OutcomeVerdict.FAILED, STRICT_AVOIDANCE, keep_eating="a little") == "keep_eating_with_avoidance"
    assert _problem(OutcomeVerdict.FAILED, RECHALLENGE, keep_eating="a little") == "keep_eating_with_avoidance"
    assert _problem(OutcomeVerdict.EQUIVOCAL, STRICT_AVOIDANCE, keep_eating="a little") == "keep_eating_with_avoidance"
    assert _problem(OutcomeVerdict.FAILED, STRICT_AVOIDANCE, keep_eating="   ") is None  # blank is not advice


def test_rest_of_the_day_is_the_advice_after_a_passed_challenge_only():
    assert _problem(OutcomeVerdict.PASSED, EAT_REGULARLY, rest_of_day=True) is None
    assert _problem(OutcomeVerdict.FAILED, STRICT_AVOIDANCE, rest_of_day=True) == "rest_of_day_not_passed"
    assert _problem(OutcomeVerdict.DOSE_NOT_REACHED, RECHALLENGE, rest_of_day=True) == "rest_of_day_not_passed"


def test_the_follow_up_is_on_or_after_the_challenge_day():
    assert _problem(OutcomeVerdict.EQUIVOCAL, RECHALLENGE, follow_up_on=DAY) is None
    assert _problem(OutcomeVerdict.EQUIVOCAL, RECHALLENGE, follow_up_on=date(2026, 11, 25)) == (
        "follow_up_before_challenge"
    )


def test_printed_lines_say_not_recorded_for_an_unticked_item():
    lines = dict(discharge_advice_lines(DischargeAdvice(), food_name="Peanut", follow_up_text=""))
    assert lines == {
        "Written action plan given": "not recorded",
        "Auto-injector use trained": "not recorded",
        "Follow-up or re-challenge": "no date recorded",
    }
    assert discharge_advice_lines(DischargeAdvice(), food_name="Peanut", follow_up_text="", recorded_only=True) == ()


def test_printed_lines_of_a_full_record():
    advice = DischargeAdvice(
        rest_of_day=True,
        keep_eating=" a normal portion at least twice a week ",
        form_advice="Baked milk only; keep avoiding fresh milk.",
        action_plan_given=True,
        autoinjector_trained=True,
        follow_up_on=date(2027, 1, 5),
    )
    lines = discharge_advice_lines(advice, food_name="Baked milk muffin", follow_up_text="Tue 5 Jan 2027")
    assert lines == discharge_advice_lines(
        advice, food_name="Baked milk muffin", follow_up_text="Tue 5 Jan 2027", recorded_only=True
    )
    assert lines == (
        ("Rest of today", "avoid exercise and do not eat more baked milk muffin today"),
        ("Keep eating", "a normal portion at least twice a week"),
        ("Form-specific advice", "Baked milk only; keep avoiding fresh milk."),
        ("Written action plan given", "yes"),
        ("Auto-injector use trained", "yes"),
        ("Follow-up or re-challenge", "Tue 5 Jan 2027"),
    )

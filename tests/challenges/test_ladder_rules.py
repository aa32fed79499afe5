"""Pure rules of ladders and linked challenges: a step of its own food (X4), the amount to keep eating between steps
(X11), and when a challenge may continue another (X5). Sources: docs/clinical-sources.md §13."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from clinical import continuation, home_plan, plan
from clinical.dosing import FoodSpec
from clinical.plan import PlannedStep

# The iMAP biscuit (0.035 g milk protein in a 10 g biscuit) and whole milk (3.15 g protein per 100 mL), §13.1.
BISCUIT = FoodSpec(D("0.35"), name="Milk ladder biscuit, iMAP recipe, home-baked", protein_name="milk protein")
MILK = FoodSpec(D("3.15"), is_liquid=True, name="Cow's milk, whole, 3.25 %")
DAY = 24 * 60


def _rung(number: int, amount: str, food: FoodSpec | None = None, measure: str = "") -> PlannedStep:
    return PlannedStep(number, None, D(amount), measure, 7 * DAY, food=food, food_id=number if food else None)


def test_a_rung_of_its_own_food_counts_its_protein_in_that_food():
    lines = plan.step_lines(BISCUIT, [_rung(1, "10"), _rung(2, "100", MILK)])
    assert [line.protein_mg for line in lines] == [D("35"), D("3150")]
    assert [line.food_unit for line in lines] == ["g", "mL"]
    assert [line.food_label for line in lines] == [BISCUIT.name, MILK.name]
    assert lines[1].cumulative_protein_mg == D("3185")


def test_a_step_without_its_own_food_is_the_protocols():
    line = plan.step_lines(MILK, [_rung(1, "100")])[0]
    assert (line.protein_mg, line.food_label, line.food_unit) == (D("3150"), MILK.name, "mL")


def test_a_ladder_is_checked_in_protein_and_not_against_one_foods_serving():
    # 3 biscuits (105 mg) then 100 mL of milk (3,150 mg): a 30× rise is flagged, in protein; the running total of
    # biscuits and milk added together is not (it means nothing across foods).
    steps = [_rung(1, "30"), _rung(2, "100", MILK)]
    issues = plan.validation_issues(BISCUIT, steps, kind="home", min_interval_minutes=DAY)
    codes = {issue.code for issue in issues}
    assert "big_jump" in codes
    assert "beyond_serving" not in codes
    assert not [issue for issue in issues if issue.level == "error"]


def test_a_household_measure_is_weighed_in_the_rungs_own_food():
    muffin = FoodSpec(D("1.75"), name="Milk ladder muffin", measures=(("muffin", D("50")),))
    filled = plan.with_household_amounts(BISCUIT, [PlannedStep(1, None, None, "1/2 muffin", DAY, food=muffin)])
    assert filled[0].food_amount == D("25")


# --- keep eating between steps (X11) ---------------------------------------------------------------------------

RUNGS = [
    home_plan.RungAmount(1, "1 biscuit (10 g)", "milk ladder biscuit"),
    home_plan.RungAmount(2, "100 mL", "cow's milk"),
    home_plan.RungAmount(3, "200 mL", "cow's milk"),
]


def test_the_last_tolerated_rung_is_kept_daily_until_the_next():
    kept = home_plan.maintenance(RUNGS, 2, keep_eating=True)
    assert kept is not None
    assert kept.text == "Keep eating 100 mL of cow's milk daily until the next step."


@pytest.mark.parametrize(
    ("last", "keep_eating"),
    [
        (None, True),  # nothing tolerated yet
        (3, True),  # the last step: the plan is done, the outcome advice takes over
        (1, False),  # the protocol does not ask for it
    ],
)
def test_no_maintenance(last, keep_eating):
    assert home_plan.maintenance(RUNGS, last, keep_eating=keep_eating) is None


def test_a_lip_smear_has_nothing_to_keep_eating():
    rungs = [home_plan.RungAmount(1, "", "peanut butter"), *RUNGS[1:]]
    assert home_plan.maintenance(rungs, 1, keep_eating=True) is None


def test_a_repeated_step_keeps_its_own_amount():
    # Step 2 repeated after step 3 was planned: the latest tolerated step is 2 again, so 100 mL, not 200 mL.
    kept = home_plan.maintenance(RUNGS, 2, keep_eating=True)
    assert kept is not None
    assert kept.step_number == 2


# --- linked challenges (X5) --------------------------------------------------------------------------------------


def _earlier(**changes) -> continuation.Earlier:
    base = {"same_patient": True, "status": "completed", "outcome": "passed", "blinded_kind": False}
    return continuation.Earlier(**{**base, **changes})


def test_home_days_continue_a_passed_clinic_challenge_on_a_home_protocol():
    assert continuation.continuation_refusal("home_days", _earlier(), new_setting="home") is None
    refusal = continuation.continuation_refusal("home_days", _earlier(), new_setting="clinic")
    assert refusal is not None
    assert refusal.code == "continuation_not_home"


@pytest.mark.parametrize(
    ("kind", "earlier", "code"),
    [
        ("day_2", _earlier(same_patient=False), "continuation_other_patient"),
        ("day_2", _earlier(status="cancelled", outcome=""), "continuation_of_void"),
        ("day_2", _earlier(entered_in_error=True), "continuation_of_void"),
        ("day_2", _earlier(outcome="failed"), "continuation_after_failed"),
        ("open_after_dbpcfc", _earlier(blinded_kind=False), "continuation_not_blinded"),
        ("open_after_dbpcfc", _earlier(blinded_kind=True, outcome="equivocal"), "continuation_outcome"),
        ("home_days", _earlier(outcome=""), "continuation_outcome"),
        ("rechallenge", _earlier(outcome="passed"), "continuation_outcome"),
        ("someday", _earlier(), "continuation_kind"),
    ],
)
def test_continuations_refused(kind, earlier, code):
    refusal = continuation.continuation_refusal(kind, earlier, new_setting="clinic" if kind != "home_days" else "home")
    assert refusal is not None
    assert refusal.code == code


@pytest.mark.parametrize(
    ("kind", "earlier"),
    [
        ("day_2", _earlier(status="planned", outcome="")),  # booked ahead of day 1
        ("day_2", _earlier()),
        ("open_after_dbpcfc", _earlier(blinded_kind=True)),
        ("rechallenge", _earlier(outcome="equivocal")),
    ],
)
def test_continuations_allowed(kind, earlier):
    assert continuation.continuation_refusal(kind, earlier, new_setting="clinic") is None

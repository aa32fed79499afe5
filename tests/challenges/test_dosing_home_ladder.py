"""The home reintroduction ladder (clinical.home_ladder): fractions of a serving, the crumb, spacing and watch
(docs/clinical-sources.md §11)."""

from decimal import Decimal
from fractions import Fraction

import pytest

from clinical import dosing, home_ladder
from clinical.dosing import DosingError
from clinical.home_ladder import CRUMB, HomeStep, home_serving_ladder

D = Decimal


# --- home reintroduction ---------------------------------------------------------------------------------------


def test_home_ladder_for_a_cheesecake_serving():
    steps = home_serving_ladder(D("100"))
    # docs/clinical-sources.md §11.1: steps of at most about 3×.
    grams = ("0.1", "0.25", "0.5", "1", "2.5", "6.25", "12.5", "25", "50", "100")
    assert [step.food_g for step in steps] == [D(n) for n in grams]
    assert [step.fraction_label for step in steps] == [
        "crumb",
        "",
        "",
        "",
        "",
        "1/16",
        "1/8",
        "1/4",
        "1/2",
        "full serving",
    ]
    # docs/clinical-sources.md §5.4: a new amount every 3-5 days, watch 24-48 h.
    assert [step.day_offset for step in steps] == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]
    assert {step.watch_hours for step in steps} == {48}
    assert [step.number for step in steps] == list(range(1, 11))


def test_the_old_fractions_still_give_the_old_ladder():
    steps = home_serving_ladder(D("100"), home_ladder.HOME_FRACTIONS)
    assert [step.food_g for step in steps] == [D(n) for n in ("0.1", "6.25", "12.5", "25", "50", "100")]
    assert dosing.max_rise([step.food_g for step in steps]) == D("62.5")  # the jump the gentle ladder removes


@pytest.mark.parametrize("serving", ["2", "10", "30", "100", "250", "1000"])
def test_gentle_home_ladder_never_rises_more_than_3_times(serving):
    grams = [g for g, _label in home_ladder.gentle_home_amounts(D(serving))]
    rise = dosing.max_rise(grams)
    assert rise is not None
    assert rise <= home_ladder.HOME_MAX_RISE
    assert grams[0] == home_ladder.CRUMB_G
    assert grams[-1] == D(serving)


def test_gentle_home_ladder_below_the_crumb_limit():
    # 0.3 g: the crumb within 3× of 1/16 … no, 1/16 of 0.3 g is below the crumb and left out.
    assert [g for g, _ in home_ladder.gentle_home_amounts(D("0.3"))] == [D("0.1"), D("0.15"), D("0.3")]
    with pytest.raises(DosingError) as excinfo:
        home_ladder.gentle_home_amounts(D("0.1"))
    assert excinfo.value.code == "not_increasing"


@pytest.mark.parametrize(
    ("rise_limit_side", "amounts", "expected"),
    [
        ("at the limit", ("1", "3"), "3"),
        ("just above", ("1", "3.01"), "3.01"),
        ("one amount", ("1",), None),
    ],
)
def test_max_rise(rise_limit_side, amounts, expected):
    result = dosing.max_rise([D(a) for a in amounts])
    assert result == (None if expected is None else D(expected))


def test_home_ladder_rounds_to_the_scale():
    steps = home_serving_ladder(D("85"), (Fraction(1, 16), Fraction(1)))
    assert steps == [
        HomeStep(number=1, food_g=D("5.31"), fraction_label="1/16", day_offset=0, watch_hours=48),
        HomeStep(number=2, food_g=D("85"), fraction_label="full serving", day_offset=3, watch_hours=48),
    ]


def test_home_ladder_custom_spacing_and_crumb():
    steps = home_serving_ladder(D("40"), crumb_g=D("0.05"), days_between=5, watch_hours=24)
    assert steps[0].food_g == D("0.05")
    assert [step.day_offset for step in steps] == [5 * i for i in range(len(steps))]
    assert steps[-1].watch_hours == 24


@pytest.mark.parametrize(
    ("serving", "fractions", "options", "code"),
    [
        (D("1"), home_ladder.HOME_FRACTIONS, {}, "not_increasing"),  # 1/16 of 1 g is smaller than the crumb
        (D("100"), (Fraction(1, 2), Fraction(1, 4)), {}, "not_increasing"),
        (D("100"), (), {}, "not_increasing"),
        (D("100"), (Fraction(1, 8), CRUMB), {}, "crumb_not_first"),
        (D("100"), (Fraction(0), Fraction(1)), {}, "bad_fraction"),
        (D("100"), (Fraction(1, 2), Fraction(3, 2)), {}, "bad_fraction"),
        (D("0"), home_ladder.HOME_FRACTIONS, {}, "serving_not_positive"),
        (D("100"), home_ladder.HOME_FRACTIONS, {"crumb_g": D("0")}, "crumb_not_positive"),
        (D("100"), home_ladder.HOME_FRACTIONS, {"days_between": 1, "watch_hours": 48}, "watch_overlaps_next_step"),
        (D("100"), home_ladder.HOME_FRACTIONS, {"days_between": 0}, "timing_not_positive"),
    ],
)
def test_home_ladder_rejects_bad_input(serving, fractions, options, code):
    with pytest.raises(DosingError) as excinfo:
        home_serving_ladder(serving, fractions, **options)
    assert excinfo.value.code == code


def test_home_ladder_allows_a_watch_that_ends_as_the_next_step_starts():
    assert home_serving_ladder(D("100"), days_between=2, watch_hours=48)[1].day_offset == 2

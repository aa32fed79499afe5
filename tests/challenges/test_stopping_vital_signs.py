"""Stop rules read from vital signs (clinical.stopping): hypotension by age and against baseline, heart rate,
PEF, SpO2 and FEV1, each on both sides of its limit."""

from decimal import Decimal

import pytest

from clinical.stop_observations import Vitals
from clinical.stop_rules import STOP, StopRuleError, StopRules
from tests.challenges.stopping_helpers import at, check, codes, only

# --- Age hypotension (the table itself is tested in test_vitals.py) ------------------------------------------


@pytest.mark.parametrize(
    ("age", "limit"),
    [
        ("0.5", 70),  # docs/clinical-sources.md §7 vector
        ("0.99", 70),
        ("1", 72),
        ("1.5", 72),  # a Decimal age counts in completed years
        ("5.9", 80),
        ("10.9", 90),
        ("45", 90),  # adult
    ],
)
def test_a_decimal_age_uses_the_limit_for_its_completed_years(age, limit):
    assert check(vitals=[Vitals(at(10), systolic=limit)], age=Decimal(age)) == []
    hit = only(check(vitals=[Vitals(at(10), systolic=limit - 1)], age=Decimal(age)), "hypotension")
    assert f"(limit: below {limit} mmHg at age {age} years)" in hit.message


@pytest.mark.parametrize("age", [Decimal(-1), Decimal("NaN"), 5.0, "5", True])
def test_evaluate_refuses_a_bad_age(age):
    with pytest.raises(StopRuleError) as caught:
        check(vitals=[Vitals(at(10), systolic=120)], age=age)
    assert caught.value.code == "bad_age"


@pytest.mark.parametrize(
    ("age", "breach", "no_breach"),
    [("0.5", 69, 70), ("1", 71, 72), ("5", 79, 80), ("10", 89, 90), ("11", 89, 90), ("40", 89, 90)],
)
def test_age_hypotension_applies_below_the_limit_without_a_baseline(age, breach, no_breach):
    assert check(vitals=[Vitals(at(10), systolic=no_breach)], age=Decimal(age)) == []
    hit = only(check(vitals=[Vitals(at(10), systolic=breach)], age=Decimal(age)), "hypotension")
    assert f"systolic BP {breach} mmHg" in hit.message
    assert f"below {no_breach} mmHg at age {age} years" in hit.message


def test_age_hypotension_can_be_switched_off():
    rules = StopRules(use_age_hypotension=False)
    assert check(vitals=[Vitals(at(10), systolic=60)], rules=rules) == []


# --- Systolic BP relative to baseline ----------------------------------------------------------------------


def test_sbp_drop_of_exactly_20_mmhg_is_not_a_breach():
    assert check(vitals=[Vitals(at(10), systolic=100)], baseline=Vitals(at(9), systolic=120)) == []


def test_sbp_drop_of_21_mmhg_is_a_breach_with_units_in_the_message():
    hits = check(vitals=[Vitals(at(10), systolic=99)], baseline=Vitals(at(9), systolic=120))
    assert codes(hits) == ["sbp_drop"]
    assert hits[0].message == "Systolic BP 99 mmHg is 21 mmHg below baseline 120 mmHg (limit: drop > 20 mmHg)"


def test_sbp_drop_message_names_the_worst_reading_and_lists_all():
    readings = [Vitals(at(10), systolic=99), Vitals(at(10, 15), systolic=88), Vitals(at(10, 30), systolic=110)]
    hit = only(check(vitals=readings, baseline=Vitals(at(9), systolic=120)), "sbp_drop")
    assert hit.message == "Systolic BP 88 mmHg is 32 mmHg below baseline 120 mmHg (limit: drop > 20 mmHg)"
    assert hit.evidence == ("10:00 systolic BP 99 mmHg", "10:15 systolic BP 88 mmHg")


def test_adult_baseline_120_reading_84_is_exactly_30_percent_and_not_hypotension():
    # Isolate the NIAID relative rule: age limit off, mmHg rule wide.
    rules = StopRules(use_age_hypotension=False, sbp_drop_mmhg=50)
    assert check(vitals=[Vitals(at(10), systolic=84)], baseline=Vitals(at(9), systolic=120), rules=rules) == []


def test_adult_baseline_120_reading_83_is_more_than_30_percent_drop():
    rules = StopRules(use_age_hypotension=False, sbp_drop_mmhg=50)
    hits = check(vitals=[Vitals(at(10), systolic=83)], baseline=Vitals(at(9), systolic=120), rules=rules)
    assert codes(hits) == ["hypotension"]
    assert hits[0].message == (
        "Hypotension: systolic BP 83 mmHg is 30.8 % below baseline 120 mmHg (limit: drop > 30 %)"
    )


def test_one_reading_can_meet_several_bp_rules():
    hits = check(vitals=[Vitals(at(10), systolic=80)], baseline=Vitals(at(9), systolic=120))
    assert codes(hits) == ["sbp_drop", "hypotension", "hypotension"]
    assert "limit: below 90 mmHg" in hits[1].message
    assert "limit: drop > 30 %" in hits[2].message


# --- Heart rate, PEF, SpO2 ---------------------------------------------------------------------------------


def test_heart_rate_rise_of_exactly_20_percent_is_not_a_breach():
    assert check(vitals=[Vitals(at(10), heart_rate=120)], baseline=Vitals(at(9), heart_rate=100)) == []


def test_heart_rate_rise_above_20_percent_is_a_breach():
    hits = check(vitals=[Vitals(at(10), heart_rate=121)], baseline=Vitals(at(9), heart_rate=100))
    assert codes(hits) == ["hr_rise"]
    assert hits[0].message == (
        "Heart rate 121/min is 21 % above baseline 100/min (limit: rise > 20 %); advisory on its own: look for "
        "another sign"
    )
    assert hits[0].evidence == ("10:00 heart rate 121/min",)


def test_pef_drop_of_exactly_20_percent_is_not_a_breach():
    assert check(vitals=[Vitals(at(10), pef=240)], baseline=Vitals(at(9), pef=300)) == []


def test_pef_drop_above_20_percent_is_a_breach():
    hits = check(vitals=[Vitals(at(10), pef=239)], baseline=Vitals(at(9), pef=300))
    assert codes(hits) == ["pef_drop"]
    assert hits[0].message == "PEF 239 L/min is 20.3 % below baseline 300 L/min (limit: drop > 20 %)"


def test_a_breach_just_over_the_limit_never_reads_as_the_limit():
    hit = only(check(vitals=[Vitals(at(10), pef=399)], baseline=Vitals(at(9), pef=499)), "pef_drop")
    assert "is 20.05 % below" in hit.message


def test_spo2_92_is_not_low_and_91_is():
    assert check(vitals=[Vitals(at(10), spo2=92)]) == []
    hits = check(vitals=[Vitals(at(10), spo2=91)])
    assert codes(hits) == ["spo2_low"]
    assert hits[0].message == "SpO2 91 % (limit: below 92 %)"


def test_without_baseline_relative_rules_are_skipped_but_absolute_ones_apply():
    reading = Vitals(at(10), heart_rate=190, systolic=85, spo2=90, pef=50)
    assert codes(check(vitals=[reading], baseline=None)) == ["hypotension", "spo2_low"]


def test_baseline_without_a_value_skips_only_that_rule():
    baseline = Vitals(at(9), heart_rate=100)  # no systolic, no PEF
    hits = check(vitals=[Vitals(at(10), heart_rate=130, systolic=95, pef=50)], baseline=baseline)
    assert codes(hits) == ["hr_rise"]


def test_zero_baseline_is_refused():
    with pytest.raises(StopRuleError) as caught:
        check(vitals=[Vitals(at(10), heart_rate=90)], baseline=Vitals(at(9), heart_rate=0))
    assert caught.value.code == "bad_baseline"


# --- FEV1 (EuroPrevall: drop > 12 %) -----------------------------------------------------------------------------


def test_fev1_drop_of_exactly_12_percent_is_not_a_breach():
    assert check(vitals=[Vitals(at(10), fev1_ml=2200)], baseline=Vitals(at(9), fev1_ml=2500)) == []


def test_fev1_drop_above_12_percent_stops():
    hit = only(check(vitals=[Vitals(at(10), fev1_ml=2199)], baseline=Vitals(at(9), fev1_ml=2500)), "fev1_drop")
    assert hit.tier == STOP
    assert hit.message == "FEV1 2199 mL is 12.04 % below baseline 2500 mL (limit: drop > 12 %)"


def test_fev1_without_a_baseline_is_not_judged():
    assert check(vitals=[Vitals(at(10), fev1_ml=1000)]) == []

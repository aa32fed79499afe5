"""The one NIAID/FAAN low-systolic table (clinical.vitals) and the two rule sets that read it."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from clinical import grading, stop_observations, stop_rules, stopping
from clinical.vitals import systolic_drop_exceeds, systolic_hypotension_limit

AGES_AND_LIMITS = [
    (0, 70),  # under 1 year: <70 mmHg (the source starts at 1 month; we keep 70 below it)
    (1, 72),  # 1-10 years: 70 + 2 x age; at exactly 1 year the child formula, the safer 72
    (2, 74),
    (5, 80),  # docs/clinical-sources.md §7 vector
    (10, 90),  # 70 + 2 x 10 meets the older value without a jump
    (11, 90),  # 11-17 years: <90
    (17, 90),
    (18, 90),  # adult: <90
    (80, 90),
]


@pytest.mark.parametrize(("age", "limit"), AGES_AND_LIMITS)
def test_limit_by_completed_years(age, limit):
    assert systolic_hypotension_limit(age) == limit


@pytest.mark.parametrize(("younger", "older"), [(0, 1), (1, 2), (9, 10), (10, 11), (17, 18)])
def test_each_boundary_from_both_sides(younger, older):
    # The limit never falls as a child gets older, and moves only where the table says it does.
    low, high = systolic_hypotension_limit(younger), systolic_hypotension_limit(older)
    assert low <= high
    assert (low != high) == (older <= 10)


@pytest.mark.parametrize("age", [Decimal("5.5"), 5.0, "5", True, None])
def test_limit_takes_completed_years_only(age):
    with pytest.raises(TypeError):
        systolic_hypotension_limit(age)


def test_limit_refuses_a_negative_age():
    with pytest.raises(ValueError, match="-1"):
        systolic_hypotension_limit(-1)


@pytest.mark.parametrize(
    ("systolic", "baseline", "exceeds"),
    [(84, 120, False), (83, 120, True), (98, 140, False), (97, 140, True), (120, 120, False)],
)
def test_a_drop_must_be_more_than_30_percent(systolic, baseline, exceeds):
    assert systolic_drop_exceeds(systolic, baseline) is exceeds


# --- both users of the table give the same limit at every boundary age --------------------------------------

TZ = ZoneInfo("Europe/London")


def _stop_rule_fires(systolic: int, age: int) -> bool:
    reading = stop_observations.Vitals(datetime(2026, 3, 2, 10, tzinfo=TZ), systolic=systolic)
    hits = stopping.evaluate(
        stop_rules.DEFAULT_RULES, findings=[], vitals=[reading], baseline=None, age_years=Decimal(age)
    )
    return any(hit.code == "hypotension" for hit in hits)


def _grade_counts_hypotension(systolic: int, age: int) -> bool:
    data = grading.GradeInput(findings=[("skin_urticaria", 1)], min_systolic=systolic, age_years=Decimal(age))
    return grading.suggest_sampson(data).grade == "4"


@pytest.mark.parametrize(("age", "limit"), AGES_AND_LIMITS)
def test_stop_rules_and_grading_read_the_same_limit(age, limit):
    assert _stop_rule_fires(limit - 1, age)
    assert not _stop_rule_fires(limit, age)
    assert _grade_counts_hypotension(limit - 1, age)
    assert not _grade_counts_hypotension(limit, age)

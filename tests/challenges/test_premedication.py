"""Premedication as a model (clinical.premedication): dose by age, regimens on the medication list, step timing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from clinical import premedication
from clinical.premedication import (
    BEFORE_EACH_STEP,
    BEFORE_FIRST_DOSE,
    CROMOLYN_ORAL,
    FIXED,
    FLAG,
    PREMED_NOT_TAKEN,
    PREMED_TOO_SOON,
    REFUSE,
    REGIMEN,
    CurrentMedication,
    Item,
    PremedicationError,
    dose_for_age,
    first_refusal,
    missing_regimens,
    planned_dose,
    step_problems,
)
from clinical.washout import PREMEDICATION_NOT_ON_LIST, WARN, Medication, PremedItem, check_washout

LONDON = ZoneInfo("Europe/London")
STEP = datetime(2026, 3, 9, 9, 0, tzinfo=LONDON)
CROMOLYN = Item(key=1, drug="Cromolyn sodium (oral)", med_class="mast_cell_stabiliser", timing=BEFORE_EACH_STEP,
                minutes_before=30)  # fmt: skip


# --- dose by age (FDA Gastrocrom label, docs/clinical-sources.md §5.5) ----------------------------------------


@pytest.mark.parametrize(
    ("age", "dose"),
    [(0, None), (1, None), (2, Decimal(100)), (12, Decimal(100)), (13, Decimal(200)), (70, Decimal(200))],
)
def test_oral_cromolyn_dose_by_age_both_sides_of_each_boundary(age, dose):
    assert dose_for_age(CROMOLYN_ORAL, age) == dose


def test_planned_dose_shows_the_age_dose_and_water_only():
    child, teenager = planned_dose(CROMOLYN_ORAL, "by age", 12), planned_dose(CROMOLYN_ORAL, "by age", 13)
    assert (child.text, teenager.text) == ("100 mg", "200 mg")
    assert "water" in child.how_to_take
    assert "milk" in child.how_to_take
    assert child.short_note == "dissolved in water only"
    assert not child.clinician_decides


def test_below_the_labels_youngest_age_the_allergist_decides():
    infant = planned_dose(CROMOLYN_ORAL, "by age", 1)
    assert infant.clinician_decides
    assert infant.text == "no label dose under 2 years: the allergist decides"


def test_a_fixed_dose_is_the_dose_as_written():
    assert planned_dose(FIXED, "10 mg", None) == premedication.PlannedDose("10 mg")


@pytest.mark.parametrize(("rule", "age"), [("ketotifen", 30), (CROMOLYN_ORAL, -1), (CROMOLYN_ORAL, True)])
def test_bad_dose_rule_or_age_is_refused(rule, age):
    with pytest.raises(PremedicationError):
        dose_for_age(rule, age)


def test_a_dose_by_age_needs_the_age():
    with pytest.raises(PremedicationError):
        planned_dose(CROMOLYN_ORAL, "by age", None)


# --- the step against the premedication taken ------------------------------------------------------------------


def _problems(taken, *, items=(CROMOLYN,), step_at=STEP, first_step=True, since=None):
    return step_problems(items, {1: taken}, step_at=step_at, first_step=first_step, since=since)


@pytest.mark.parametrize(
    ("lead", "ok"),
    [
        (timedelta(minutes=30), True),
        (timedelta(minutes=31), True),
        (timedelta(minutes=29), False),
        (timedelta(minutes=29, seconds=59), False),
        (timedelta(0), False),
    ],
)
def test_lead_time_both_sides_of_30_minutes(lead, ok):
    problems = _problems([STEP - lead])
    assert (problems == []) is ok
    if not ok:
        assert [p.code for p in problems] == [PREMED_TOO_SOON]
        assert problems[0].ready_at == STEP - lead + timedelta(minutes=30)
        assert "the plan says at least 30 min" in problems[0].message


def test_not_taken_is_a_problem_with_the_items_action():
    (problem,) = _problems([])
    assert (problem.code, problem.action) == (PREMED_NOT_TAKEN, REFUSE)
    assert problem.message == (
        "Cromolyn sodium (oral) is not recorded as taken for this step (planned 30 min before each step)."
    )
    assert first_refusal([problem]) == problem


def test_a_flagging_item_gives_a_flag_not_a_refusal():
    flagging = Item(key=1, drug="Cromolyn", med_class="mast_cell_stabiliser", timing=BEFORE_EACH_STEP,
                    minutes_before=30, if_not_taken=FLAG)  # fmt: skip
    problems = _problems([], items=(flagging,))
    assert [p.action for p in problems] == [FLAG]
    assert first_refusal(problems) is None


def test_a_dose_taken_before_the_last_step_does_not_count_for_this_one():
    last_step = STEP - timedelta(days=3)
    earlier = last_step - timedelta(minutes=30)
    assert [p.code for p in _problems([earlier], first_step=False, since=last_step)] == [PREMED_NOT_TAKEN]
    assert _problems([earlier, STEP - timedelta(minutes=45)], first_step=False, since=last_step) == []


def test_a_dose_recorded_after_the_step_does_not_count():
    assert [p.code for p in _problems([STEP + timedelta(minutes=1)])] == [PREMED_NOT_TAKEN]


def test_the_latest_dose_is_the_one_timed():
    assert [p.code for p in _problems([STEP - timedelta(hours=2), STEP - timedelta(minutes=10)])] == [PREMED_TOO_SOON]


def test_before_the_first_dose_is_checked_on_the_first_step_only():
    first = Item(key=1, drug="Cetirizine", med_class="h1_antihistamine", timing=BEFORE_FIRST_DOSE, minutes_before=60)
    assert [p.code for p in _problems([], items=(first,))] == [PREMED_NOT_TAKEN]
    assert _problems([], items=(first,), first_step=False, since=STEP - timedelta(minutes=30)) == []


def test_optional_items_and_regimens_are_not_checked_per_step():
    optional = Item(key=1, drug="Cromolyn", med_class="mast_cell_stabiliser", timing=BEFORE_EACH_STEP, required=False)
    regimen = Item(key=1, drug="H1 antihistamine", med_class="h1_antihistamine", timing=REGIMEN)
    assert _problems([], items=(optional, regimen)) == []


@pytest.mark.parametrize(
    "kwargs",
    [{"timing": "sometimes"}, {"if_not_taken": "ignore"}, {"established_weeks": 53}, {"minutes_before": -1}],
)
def test_bad_item_data_is_refused(kwargs):
    with pytest.raises(PremedicationError):
        Item(**{"key": 1, "drug": "x", "med_class": "other", "timing": REGIMEN, **kwargs})


# --- established regimens against the medication list ----------------------------------------------------------

REGIMEN_CROMOLYN = Item(key=2, drug="Cromolyn sodium (oral)", med_class="mast_cell_stabiliser", timing=REGIMEN,
                        established_weeks=4)  # fmt: skip


def test_a_regimen_missing_from_the_medication_list_is_named():
    h1 = CurrentMedication("Cetirizine 10 mg", "h1_antihistamine")
    assert missing_regimens([REGIMEN_CROMOLYN], [h1]) == [REGIMEN_CROMOLYN]
    assert missing_regimens([REGIMEN_CROMOLYN], [h1, CurrentMedication("Gastrocrom", "mast_cell_stabiliser")]) == []


def test_a_regimen_of_class_other_matches_by_name():
    vitamin = Item(key=3, drug="Vitamin C (usual)", med_class="other", timing=REGIMEN)
    assert missing_regimens([vitamin], [CurrentMedication("Aspirin", "other")]) == [vitamin]
    assert missing_regimens([vitamin], [CurrentMedication("Vitamin C 500 mg", "other")]) == []


def test_timed_items_are_not_checked_against_the_list():
    assert missing_regimens([CROMOLYN], []) == []


def test_regimen_text_names_the_weeks():
    assert premedication.regimen_text(REGIMEN_CROMOLYN) == "an established regimen, for at least 4 weeks"
    assert premedication.regimen_text(
        Item(key=1, drug="x", med_class="other", timing=REGIMEN, established_weeks=1)
    ) == ("an established regimen, for at least 1 week")


def test_the_plan_warns_when_the_list_lacks_an_established_regimen():
    premeds = [PremedItem("Cromolyn sodium (oral)", "mast_cell_stabiliser", regimen=True, established_weeks=4)]
    stopped = Medication("Nalcrom", "mast_cell_stabiliser", stopped_on=date(2026, 1, 1))
    conflicts = check_washout(
        medications=[stopped], rules=(), challenge_start=STEP, diagnostic=False, premedication=premeds
    )
    (missing,) = [c for c in conflicts if c.kind == PREMEDICATION_NOT_ON_LIST]
    assert missing.severity == WARN
    assert "as an established regimen, for at least 4 weeks" in missing.message
    on_it = Medication("Nalcrom", "mast_cell_stabiliser")
    kinds = [c.kind for c in check_washout(medications=[on_it], rules=(), challenge_start=STEP, diagnostic=False,
                                           premedication=premeds)]  # fmt: skip
    assert PREMEDICATION_NOT_ON_LIST not in kinds

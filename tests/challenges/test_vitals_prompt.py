"""clinical.run_rules.vitals_prompt: vital signs at a reaction and before each next dose (clinical review V2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from clinical.run_rules import vitals_prompt

TZ = ZoneInfo("Europe/London")
DOSE = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


def prompt(last_vitals_at=None, alert_raised_at=None, last_dose_at=DOSE):
    return vitals_prompt(
        last_dose_at=last_dose_at, last_dose_number=2, last_vitals_at=last_vitals_at, alert_raised_at=alert_raised_at
    )


def test_nothing_is_due_before_the_first_dose():
    assert prompt(last_dose_at=None) == ""


def test_vitals_at_or_after_the_last_dose_are_enough():
    assert prompt(last_vitals_at=DOSE) == ""
    assert prompt(last_vitals_at=DOSE + timedelta(minutes=15)) == ""


def test_no_vitals_since_the_last_dose_prompts_before_the_next():
    assert prompt(last_vitals_at=DOSE - timedelta(minutes=1)) == (
        "Record vital signs before the next dose: none since dose 2 at 10:00."
    )


def test_a_reaction_with_no_vitals_since_prompts_now():
    raised = DOSE + timedelta(minutes=10)
    assert prompt(last_vitals_at=DOSE + timedelta(minutes=5), alert_raised_at=raised) == (
        "Record vital signs now: a stop rule or hold was raised at 10:10."
    )
    assert prompt(last_vitals_at=raised, alert_raised_at=raised) == ""

"""What the rule-code tests (test_rule_codes*.py) share: `assert_refused` (the refusal's code, and nothing stored) and
the steps that drive a challenge to where a rule applies, through the services as the pages would."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from challenges.run import services as runs
from challenges.run.models import Challenge, PreChallengeCheck
from challenges.run.services import ChallengeRuleError
from tests.helpers import second_checker
from tests.run.conftest import START
from tests.run.helpers import db_state

ANSWERS = dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True)
BASELINE = {"heart_rate": 80, "systolic": 120, "diastolic": 70}


def assert_refused(code: str, write: Callable[[], object]) -> ChallengeRuleError:
    """The write is refused with `code`, and the database is unchanged."""
    before = db_state()
    with pytest.raises(ChallengeRuleError) as excinfo:
        write()
    assert excinfo.value.code == code, excinfo.value.message
    assert db_state() == before
    return excinfo.value


def _check_in(challenge: Challenge, by, clock, **answers: bool) -> None:
    runs.checks_record(
        challenge=challenge, by=by, answers={**ANSWERS, **answers}, baseline={**BASELINE, "taken_at": clock.now}
    )


def _dose(challenge: Challenge, by, clock, **extra) -> runs.DoseRecorded:
    extra.setdefault("idempotency_key", uuid.uuid4())
    extra.setdefault("food_amount", None)
    if challenge.setting == "clinic":  # a diluted dose in clinic is checked by a second person
        extra.setdefault("checked_by", second_checker(challenge, by))
    return runs.dose_record(challenge=challenge, by=by, given_at=clock.now, **extra)


def _doses(challenge: Challenge, by, clock, count: int) -> None:
    for _ in range(count):
        _dose(challenge, by, clock)
        clock.move(minutes=30)


def _urticaria(challenge: Challenge, by, clock) -> None:
    runs.observation_record(challenge=challenge, by=by, item_code="skin_urticaria", severity=2, observed_at=clock.now)


def _refused_outcome() -> runs.OutcomeInput:
    return runs.OutcomeInput("dose_not_reached", "Refused further doses", "wao_2010", "", "rechallenge", False)


def _stopped_with_outcome(challenge: Challenge, nurse, allergist, clock) -> Challenge:
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    runs.challenge_stop(challenge=challenge, by=nurse, reason="Child refused further doses")
    runs.outcome_confirm(challenge=challenge, by=allergist, data=_refused_outcome())
    return challenge


def _schedule(patient, protocol, allergist, nurse, by, **extra) -> Challenge:
    return runs.challenge_schedule(
        patient=patient, protocol=protocol, scheduled_at=START, allergist=allergist, nurse=nurse, by=by, **extra
    )


def _alert(challenge: Challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    _urticaria(challenge, nurse, clock)
    return challenge.alerts.get()

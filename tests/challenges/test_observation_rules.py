"""How long observation lasts after a challenge, and from when (clinical.observation; RCUK 2021)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinical.observation import (
    Basis,
    ObservationError,
    Reaction,
    after_resolution,
    is_over,
    observation_period,
)

LONDON = ZoneInfo("Europe/London")
LAST_DOSE = datetime(2026, 3, 2, 11, 0, tzinfo=LONDON)
RESOLVED = LAST_DOSE + timedelta(minutes=90)


def reaction(**overrides) -> Reaction:
    values = {
        "adrenaline_doses": 0,
        "good_response": None,
        "severe_respiratory": False,
        "lowest_spo2": None,
        "resolved_at": RESOLVED,
        "last_symptom_at": LAST_DOSE + timedelta(minutes=10),
    }
    return Reaction(**{**values, **overrides})


@pytest.mark.parametrize(
    ("doses", "good", "severe", "basis"),
    [
        (0, None, False, Basis.FAST_TRACK),  # no adrenaline: 2 h
        (1, True, False, Basis.FAST_TRACK),  # one dose, good response: 2 h
        (1, False, False, Basis.TWO_DOSES),  # one dose, response not good: not the fast-track
        (1, None, False, Basis.TWO_DOSES),  # response not stated: not the fast-track
        (2, True, False, Basis.TWO_DOSES),  # two doses: at least 6 h
        (3, True, False, Basis.SEVERE),  # more than two doses: at least 12 h
        (0, None, True, Basis.SEVERE),  # severe respiratory compromise: at least 12 h
        (2, None, True, Basis.SEVERE),
    ],
)
def test_the_tier_follows_the_adrenaline_and_the_airway(doses, good, severe, basis):
    assert after_resolution(adrenaline_doses=doses, good_response=good, severe_respiratory=severe) == basis


@pytest.mark.parametrize("doses", [-1, True, 1.0])
def test_a_dose_count_must_be_a_whole_number(doses):
    with pytest.raises(ObservationError) as error:
        after_resolution(adrenaline_doses=doses, good_response=None, severe_respiratory=False)
    assert error.value.code == "bad_count"


@pytest.mark.parametrize(
    ("overrides", "hours"),
    [
        ({}, 2),
        ({"adrenaline_doses": 1, "good_response": True}, 2),
        ({"adrenaline_doses": 2}, 6),
        ({"adrenaline_doses": 3}, 12),
        ({"severe_respiratory": True}, 12),
        ({"lowest_spo2": 91}, 12),  # below 92 %: severe
        ({"lowest_spo2": 92}, 2),  # 92 % is not below 92 %
    ],
)
def test_a_reaction_is_observed_from_resolution(overrides, hours):
    period = observation_period(last_dose_at=LAST_DOSE, protocol_minutes=120, reaction=reaction(**overrides))
    assert period.starts_at == RESOLVED
    assert period.ends_at == RESOLVED + timedelta(hours=hours)


def test_the_protocols_time_after_the_last_dose_ends_later_when_longer():
    """FPIES observes 4 h after the last dose: a 2 h fast-track from an early resolution does not shorten it."""
    early = reaction(resolved_at=LAST_DOSE + timedelta(minutes=30))
    period = observation_period(last_dose_at=LAST_DOSE, protocol_minutes=240, reaction=early)
    assert period.ends_at == LAST_DOSE + timedelta(hours=4)
    assert "ends later" in period.explanation


def test_a_negative_challenge_observes_the_protocols_time_after_the_last_dose():
    period = observation_period(last_dose_at=LAST_DOSE, protocol_minutes=120, reaction=None)
    assert (period.starts_at, period.ends_at, period.basis) == (LAST_DOSE, LAST_DOSE + timedelta(hours=2), "protocol")
    assert period.explanation == "2 h after the last dose (protocol)"


def test_a_reaction_not_yet_resolved_has_no_end():
    period = observation_period(last_dose_at=LAST_DOSE, protocol_minutes=120, reaction=reaction(resolved_at=None))
    assert period.awaiting_resolution
    assert period.ends_at is None
    assert not is_over(period, LAST_DOSE + timedelta(days=2))


@pytest.mark.parametrize(("seconds", "waiting"), [(-1, True), (0, False)])
def test_a_symptom_after_the_resolution_voids_it(seconds, waiting):
    last = RESOLVED + timedelta(seconds=-seconds)
    period = observation_period(last_dose_at=LAST_DOSE, protocol_minutes=120, reaction=reaction(last_symptom_at=last))
    assert period.awaiting_resolution is waiting


def test_nothing_to_observe_without_a_dose():
    period = observation_period(last_dose_at=None, protocol_minutes=120, reaction=None)
    assert period.basis == Basis.NOTHING_GIVEN
    assert is_over(period, LAST_DOSE)


@pytest.mark.parametrize(("seconds", "over"), [(-1, False), (0, True), (1, True)])
def test_the_observation_is_over_at_its_end(seconds, over):
    period = observation_period(last_dose_at=LAST_DOSE, protocol_minutes=120, reaction=reaction())
    assert is_over(period, RESOLVED + timedelta(hours=2, seconds=seconds)) is over


def test_negative_minutes_are_refused():
    with pytest.raises(ObservationError) as error:
        observation_period(last_dose_at=LAST_DOSE, protocol_minutes=-1, reaction=None)
    assert error.value.code == "bad_minutes"

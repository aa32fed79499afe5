"""Whole challenges driven through the services: the reaction onset and every figure that hangs on it.

Onset, eliciting dose, cumulative dose at reaction, highest tolerated dose and the WAO adrenaline suffix come from one
rule (clinical.onset via challenges.run.facts), the same on the bedside page, the report and the FHIR export
(clinical review G1, G2, G5).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.models import Challenge, PreChallengeCheck
from challenges.reports.build_challenge import challenge_report
from challenges.run import facts, selectors
from challenges.run import services as runs
from clinical.grading import SAMPSON
from tests.helpers import START, second_checker

ANSWERS = dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True)


def _loaded(challenge: Challenge) -> Challenge:
    return selectors.with_run_data(Challenge.objects.filter(pk=challenge.pk)).get()


def _state(challenge: Challenge) -> selectors.RunState:
    return selectors.run_state(_loaded(challenge))


def _check_in(challenge: Challenge, nurse, clock) -> None:
    baseline = {"taken_at": clock.now, "heart_rate": 80, "systolic": 120, "diastolic": 70, "spo2": 98}
    runs.checks_record(challenge=challenge, by=nurse, answers=ANSWERS, baseline=baseline)


def _doses(challenge: Challenge, nurse, clock, count: int) -> None:
    """`count` planned doses, 30 min apart; the clock is left at the last dose."""
    for index in range(count):
        if index:
            clock.move(minutes=30)
        runs.dose_record(
            challenge=challenge,
            by=nurse,
            food_amount=None,
            given_at=clock.now,
            idempotency_key=uuid.uuid4(),
            checked_by=second_checker(challenge, nurse),
        )


def _finding(challenge: Challenge, nurse, item: str, severity: int, at: datetime, note: str = ""):
    return runs.observation_record(
        challenge=challenge, by=nurse, item_code=item, severity=severity, observed_at=at, note=note
    )


def _decide(challenge: Challenge, allergist, decision: str, reason: str) -> None:
    runs.alert_decide(alert=challenge.alerts.get(decision=""), by=allergist, decision=decision, reason=reason)


def _adrenaline(challenge: Challenge, nurse, at: datetime) -> None:
    runs.treatment_record(
        challenge=challenge,
        by=nurse,
        kind="adrenaline",
        drug="Adrenaline 1 mg/mL",
        dose="0.3 mg",
        route="im",
        given_at=at,
    )


def test_a_trivial_early_itch_judged_continue_then_hives_at_300_mg(client, challenge, nurse, allergist, clock):
    """The reviewer's scenario (G1): the onset is the hives after dose 5, not the itch and redness after dose 1."""
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)  # 09:00, 3 mg
    itch_at = clock.move(minutes=10)
    _finding(challenge, nurse, "skin_pruritus", 1, itch_at, "rubbing her chin")
    _finding(challenge, nurse, "skin_erythema", 1, itch_at, "where the spoon touched the chin")
    clock.move(minutes=2)
    _decide(challenge, allergist, "continue", "Contact redness and a trivial itch only")
    clock.move(minutes=18)  # 09:30
    _doses(challenge, nurse, clock, 4)  # 09:30, 10:00, 10:30, 11:00: 10, 30, 100, 300 mg
    hives_at = clock.move(minutes=10)  # 11:10
    _finding(challenge, nurse, "skin_urticaria", 2, hives_at, "hives on the trunk")
    _finding(challenge, nurse, "skin_erythema", 2, clock.move(minutes=1), "flushed face and neck")
    clock.move(minutes=2)
    _decide(challenge, allergist, "stop", "Objective urticaria after 300 mg")
    stop_alert = challenge.alerts.get(decision="stop")
    evidence = [e for hit in stop_alert.hits for e in hit["evidence"]]
    assert any("09:10" in e for e in evidence)  # the judged redness is still named by the stop alert

    state = _state(challenge)
    assert facts.reaction_onset(_loaded(challenge)) == hives_at
    result = state.result
    assert result.first_symptom_at == hives_at
    assert (result.eliciting_dose_mg, result.eliciting_dose_number) == (Decimal(300), 5)
    # Steps 1-4 are mixes of peanut flour: they count what the mix given delivered (docs/clinical-sources.md §12),
    # 2.871 + 9.918 + 29.232 + 100.224 = 142.245 mg; step 5 (300 mg) is weighed.
    assert result.cumulative_at_reaction_mg == Decimal("442.245")
    assert (result.highest_tolerated_mg, result.highest_tolerated_cumulative_mg) == (
        Decimal("100.224"),
        Decimal("142.245"),
    )
    assert result.minutes_from_last_dose_to_first_symptom == 10
    assert state.grade.grade == "1z"  # skin only; no adrenaline

    # The report and the FHIR export read the same figures.
    report = {line.label: line.value for line in challenge_report(challenge).result.lines}
    assert report["Eliciting dose (discrete)"].startswith("300 mg")
    assert report["Cumulative protein at reaction"] == "442.2 mg"
    assert report["Highest tolerated dose (discrete)"] == "100.2 mg"
    assert report["Highest tolerated dose (cumulative)"] == "142.2 mg"
    assert report["First symptom"] == "10 min after dose 5 (11:10)"
    runs.outcome_confirm(
        challenge=challenge,
        by=allergist,
        data=runs.OutcomeInput("failed", "Urticaria after 300 mg", "wao_2010", "1z", "strict_avoidance", True),
    )
    client.force_login(nurse)
    response = client.get(reverse("challenges:challenge-fhir", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    resources = [e["resource"] for e in json.loads(response.content)["entry"]]
    (allergy,) = [r for r in resources if r["resourceType"] == "AllergyIntolerance"]
    assert allergy["reaction"][0]["onset"] == "2026-11-26T11:10:00+00:00"
    figures = {
        r["code"]["coding"][0]["code"]: r["valueQuantity"]["value"]
        for r in resources
        if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"].endswith("dose")
    }
    assert figures["eliciting-dose"] == 300
    assert figures["highest-tolerated-dose"] == 100.224


def test_a_finding_before_the_first_dose_is_neither_the_onset_nor_graded(challenge, nurse, allergist, clock):
    """G5: baseline nausea (another organ system) must not turn skin-only hives into WAO grade 2."""
    _check_in(challenge, nurse, clock)
    _finding(challenge, nurse, "gi_subjective", 1, clock.now - timedelta(minutes=5), "anxious, queasy")
    _doses(challenge, nurse, clock, 2)
    hives_at = clock.move(minutes=10)  # 09:40, after dose 2
    _finding(challenge, nurse, "gi_subjective", 1, hives_at)  # no worse than before the food
    _finding(challenge, nurse, "skin_urticaria", 1, hives_at)
    _decide(challenge, allergist, "stop", "Hives")
    state = _state(challenge)
    assert state.result.first_symptom_at == hives_at
    assert state.result.eliciting_dose_number == 2
    assert state.grade.grade == "1z"
    assert state.grade.reasons[0] == "Urticaria/angioedema: mild (1)"
    sampson = facts.suggest_grade(_loaded(challenge), hives_at, SAMPSON)
    assert sampson.grade == "1"  # baseline nausea would be Sampson GI 2


def test_a_reaction_only_after_placebo_has_no_onset(dbpcfc, patient, allergist, nurse, clock):
    challenge = runs.challenge_schedule(
        patient=patient,
        protocol=dbpcfc,
        scheduled_at=START,
        allergist=allergist,
        nurse=nurse,
        by=nurse,
        placebo_doses=1,
    )
    challenge.blind_order = [1, -2, 2, 3, 4, 5, 6, 7]  # dose 2 is placebo, added before step 2
    challenge.save()
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)  # dose 2 (09:30) is placebo
    _finding(challenge, nurse, "skin_urticaria", 1, clock.move(minutes=10))
    _decide(challenge, allergist, "stop", "Hives")
    state = _state(challenge)
    assert state.result.first_symptom_at is None
    assert state.result.eliciting_dose_mg is None
    assert state.grade is None


def _reaction_with_adrenaline(challenge, nurse, allergist, clock, after: timedelta) -> datetime:
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    onset = clock.move(minutes=10)
    _finding(challenge, nurse, "skin_urticaria", 2, onset)
    _finding(challenge, nurse, "lower_resp_wheeze", 2, onset)
    _decide(challenge, allergist, "stop", "Urticaria and wheeze")
    clock.move(seconds=after.total_seconds() + 60)
    _adrenaline(challenge, nurse, onset + after)
    return onset


@pytest.mark.parametrize(
    ("after", "suffix"),
    [
        (timedelta(minutes=5), "a"),  # WAO 2010: a = within 5 min of the first symptom
        (timedelta(minutes=5, seconds=1), "b"),  # b = > 5 to 10 min
        (timedelta(minutes=10), "b"),
        (timedelta(minutes=10, seconds=1), "c"),  # c = > 10 to 20 min
        (timedelta(minutes=15), "c"),  # 15 min is no WAO 2010 boundary: both sides are "c"
        (timedelta(minutes=15, seconds=1), "c"),
        (timedelta(minutes=20), "c"),
        (timedelta(minutes=20, seconds=1), "d"),  # d = > 20 min
    ],
)
def test_the_wao_suffix_counts_from_the_onset(challenge, nurse, allergist, clock, after, suffix):
    _reaction_with_adrenaline(challenge, nurse, allergist, clock, after)
    grade = _state(challenge).grade
    assert grade.grade == f"2{suffix}"  # urticaria + wheeze (WAO 2: asthma, response to bronchodilator not known)
    assert "after the first symptom" in grade.reasons[-1]


def test_adrenaline_recorded_before_a_later_onset_is_flagged_never_z(challenge, nurse, allergist, clock):
    """G2: the hives were first timed 11 min after dose 2, then corrected to 16 min, after the adrenaline at 13."""
    onset = _reaction_with_adrenaline(challenge, nurse, allergist, clock, timedelta(minutes=3))
    hives = challenge.observations.get(item_code="skin_urticaria")
    wheeze = challenge.observations.get(item_code="lower_resp_wheeze")
    for finding in (hives, wheeze):
        runs.record_mark_entered_in_error(record=finding, by=nurse, reason="Timed too early")
    clock.move(minutes=5)
    _finding(challenge, nurse, "skin_urticaria", 2, onset + timedelta(minutes=6))
    _decide(challenge, allergist, "stop", "Urticaria, timed again")
    state = _state(challenge)
    assert state.result.first_symptom_at == onset + timedelta(minutes=6)
    assert state.grade is None  # no grade with a made-up suffix
    assert "Adrenaline is recorded at 09:43, before the first symptom of the reaction at 09:46" in state.grade_problem
    report = {line.label: line.value for line in challenge_report(challenge).result.lines}
    assert report["Adrenaline timing"].startswith("CHECK THE TIMES: Adrenaline is recorded at 09:43")

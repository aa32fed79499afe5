"""Observation after the challenge and the discharge, through the services and the real URLs (clinical review O3, O5,
R4, R5; security review H2). Printed overrides and the discharge are read back from the PDF with pypdf."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.models import Challenge, Discharge, PreChallengeCheck, Status, VitalsKind
from challenges.run import facts
from challenges.run import services as runs
from tests.helpers import second_checker
from tests.reports.helpers import text
from tests.run.helpers import db_state, local

ANSWERS = dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True)
LONG = "x" * 2001
DISCHARGE_VITALS = {"heart_rate": "84", "systolic": "118", "diastolic": "72", "spo2": "98"}
FAILED = runs.OutcomeInput("failed", "Urticaria and wheeze", "wao_2010", "2a", "strict_avoidance", True)


def _check_in(challenge: Challenge, nurse, clock) -> None:
    baseline = {"taken_at": clock.now, "heart_rate": 80, "systolic": 120, "diastolic": 70, "spo2": 98}
    runs.checks_record(challenge=challenge, by=nurse, answers=ANSWERS, baseline=baseline)


def _doses(challenge: Challenge, nurse, clock, count: int) -> datetime:
    """`count` planned doses 30 min apart; returns the last dose's time (the clock is left there)."""
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
    return clock.now


def _reaction(challenge: Challenge, nurse, allergist, clock, adrenaline: int = 0) -> datetime:
    """Hives and wheeze 10 min after dose 2, stopped, `adrenaline` doses 5 min apart from 3 min after the onset."""
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    onset = clock.move(minutes=10)
    for item in ("skin_urticaria", "lower_resp_wheeze"):
        runs.observation_record(challenge=challenge, by=nurse, item_code=item, severity=2, observed_at=onset)
    runs.alert_decide(alert=challenge.alerts.get(), by=allergist, decision="stop", reason="Urticaria and wheeze")
    for number in range(adrenaline):
        clock.move(minutes=3 if number == 0 else 5)
        runs.treatment_record(
            challenge=challenge,
            by=nurse,
            kind="adrenaline",
            drug="Adrenaline 1 mg/mL",
            dose="0.3 mg",
            route="im",
            given_at=clock.now,
        )
    return onset


def _page(client, challenge: Challenge) -> str:
    response = client.get(reverse("challenges:detail", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def _board(client) -> str:
    return client.get(reverse("challenges:board")).content.decode()


def _report(client, challenge: Challenge) -> str:
    response = client.get(reverse("challenges:report", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    return text(b"".join(response.streaming_content) if response.streaming else response.content)


def _resolve(client, challenge: Challenge, at: datetime, **data: str):
    return client.post(reverse("challenges:symptoms-resolved", args=[challenge.pk]), {"resolved_at": local(at), **data})


def _discharge(client, challenge: Challenge, at: datetime, condition: str = "well", **vitals: str):
    data = {"discharged_at": local(at), "condition": condition, "notes": "Home with mother", **vitals}
    return client.post(reverse("challenges:discharge", args=[challenge.pk]), data)


# --- how long: the reaction decides ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("adrenaline", "response", "severe", "hours"),
    [
        (0, "", "", 2),  # no adrenaline: 2 h after resolution
        (1, "yes", "", 2),  # one dose, good response: RCUK fast-track
        (1, "no", "", 6),  # one dose, response not good: not the fast-track
        (2, "", "", 6),  # two doses: at least 6 h
        (3, "", "", 12),  # more than two doses: at least 12 h
        (0, "", "on", 12),  # severe respiratory compromise: at least 12 h
    ],
)
def test_the_observation_starts_at_resolution_and_follows_the_reaction(
    client, challenge, nurse, allergist, clock, adrenaline, response, severe, hours
):
    _reaction(challenge, nurse, allergist, clock, adrenaline)
    client.force_login(nurse)
    assert "Observation starts when the symptoms have resolved" in _page(client, challenge)
    resolved = clock.move(minutes=40)
    response = _resolve(client, challenge, resolved, good_response=response, severe_respiratory=severe)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-3000:]
    challenge.refresh_from_db()
    assert challenge.symptoms_resolved_at == resolved
    assert challenge.symptoms_resolved_by == nurse
    ends = resolved + timedelta(hours=hours)
    assert facts.observation_ends_at(challenge) == ends
    page = _page(client, challenge)
    assert f"Ends at <strong>{ends:%a %-d %b %H:%M}</strong>" in page
    assert f"{hours} h after the symptoms resolved" in page
    runs.outcome_confirm(challenge=challenge, by=allergist, data=FAILED)
    clock.move(seconds=(ends - clock.now).total_seconds() - 60)  # a minute before the end
    client.force_login(allergist)
    refused = client.post(reverse("challenges:sign", args=[challenge.pk]), {"observation_override_reason": ""})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "The observation period has 1 min to run" in refused.content.decode()
    clock.move(minutes=1)  # the end: over
    assert client.post(reverse("challenges:sign", args=[challenge.pk])).status_code == HTTPStatus.FOUND
    challenge.refresh_from_db()
    assert challenge.is_signed


def test_a_reaction_needing_two_doses_of_adrenaline(client, challenge, nurse, allergist, clock):
    """The issue's scenario: onset, eliciting and tolerated doses, suffix and observation end in one challenge."""
    onset = _reaction(challenge, nurse, allergist, clock, adrenaline=2)  # adrenaline 3 and 8 min after the onset
    resolved = clock.move(minutes=50)
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=resolved)
    from challenges.run import selectors

    state = selectors.run_state(selectors.with_run_data(Challenge.objects.filter(pk=challenge.pk)).get())
    assert state.result.first_symptom_at == onset
    # Diluted doses count what the volume of mix given delivered (docs/clinical-sources.md §12): 1.9 mL of 1 g of
    # peanut flour in 100 mL (5.22 mg/mL) and 1.1 mL of 1 g in 200 mL (2.61 mg/mL).
    assert (state.result.eliciting_dose_mg, state.result.highest_tolerated_mg) == (Decimal("9.918"), Decimal("2.871"))
    assert state.grade.grade == "2a"  # adrenaline 3 min after the first symptom
    assert state.observation.period.ends_at == resolved + timedelta(hours=6)
    assert state.observation.period.explanation == "6 h after the symptoms resolved (2 doses of adrenaline)"


def test_a_symptom_after_the_resolution_restarts_the_wait(client, challenge, nurse, allergist, clock):
    _reaction(challenge, nurse, allergist, clock)
    resolved = clock.move(minutes=30)
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=resolved)
    clock.move(minutes=40)
    runs.observation_record(
        challenge=challenge, by=nurse, item_code="skin_urticaria", severity=1, observed_at=clock.now
    )  # hives again: a new alert too
    challenge.refresh_from_db()
    assert facts.observation_ends_at(challenge) is None
    runs.alert_decide(alert=challenge.alerts.get(decision=""), by=allergist, decision="stop", reason="Recurrence")
    client.force_login(nurse)
    assert "after the resolution recorded at" in _page(client, challenge)
    again = clock.move(minutes=20)
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=again)
    challenge.refresh_from_db()
    assert facts.observation_ends_at(challenge) == again + timedelta(hours=2)
    assert challenge.history.filter(symptoms_resolved_at=resolved).exists()  # the first time is kept


def test_the_resolution_form_refuses_bad_input(client, challenge, nurse, allergist, clock):
    _reaction(challenge, nurse, allergist, clock, adrenaline=1)
    clock.move(minutes=30)
    client.force_login(nurse)
    before = db_state()
    response = client.post(reverse("challenges:symptoms-resolved", args=[challenge.pk]), {"resolved_at": "soon"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Symptoms resolved at: Enter a valid date/time." in response.content.decode()
    # An empty time means now (issue 16: stamped at submission); the response to the adrenaline is still required.
    response = client.post(reverse("challenges:symptoms-resolved", args=[challenge.pk]), {"resolved_at": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "say whether the response was good" in response.content.decode()
    response = _resolve(client, challenge, clock.now)  # one dose of adrenaline: the response must be given
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "say whether the response was good" in response.content.decode()
    assert db_state() == before


def test_a_negative_challenge_observes_the_protocols_time_after_the_last_dose(
    client, challenge, nurse, allergist, clock
):
    _check_in(challenge, nurse, clock)
    last = _doses(challenge, nurse, clock, 7)
    ends = last + timedelta(hours=2)
    challenge.refresh_from_db()
    assert facts.observation_ends_at(challenge) == ends
    client.force_login(allergist)
    outcome = {
        "outcome": "passed",
        "reason": "All doses tolerated",
        "grade_scale": "wao_2010",
        "grade": "none",
        "advice": "eat_regularly",
        "new_adrenaline_prescription": "no",
    }
    clock.move(seconds=(ends - clock.now).total_seconds() - 60)
    refused = client.post(reverse("challenges:outcome", args=[challenge.pk]), outcome)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "The observation period has 1 min to run (until 14:00)" in refused.content.decode()
    challenge.refresh_from_db()
    assert challenge.outcome == ""
    clock.move(minutes=1)
    assert client.post(reverse("challenges:outcome", args=[challenge.pk]), outcome).status_code == HTTPStatus.FOUND


# --- overriding: an allergist, a reason, printed ---------------------------------------------------------------


def test_passed_before_the_end_needs_an_allergists_reason_that_the_report_prints(
    client, challenge, nurse, allergist, clock
):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 7)
    clock.move(minutes=30)
    client.force_login(allergist)
    outcome = {
        "outcome": "passed",
        "reason": "All doses tolerated",
        "grade_scale": "wao_2010",
        "grade": "none",
        "advice": "eat_regularly",
        "new_adrenaline_prescription": "no",
    }
    url = reverse("challenges:outcome", args=[challenge.pk])
    for reason, error in ((LONG, "at most 2000 characters (it has 2001)"), (" \n ", "1 h 30 min to run")):
        before = db_state()
        response = client.post(url, {**outcome, "observation_override_reason": reason})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert error in response.content.decode()
        assert db_state() == before
    reason = "Family must catch the last ferry; observed 90 min, well; phone review at 2 h"
    assert client.post(url, {**outcome, "observation_override_reason": reason}).status_code == HTTPStatus.FOUND
    challenge.refresh_from_db()
    assert challenge.outcome == "passed"
    assert challenge.events.get(kind="observation_override").reason == reason
    assert challenge.events.get(kind="observation_override").by == allergist
    printed = _report(client, challenge)
    assert f"Ended early (override) Amira Okafor, 12:30: {reason}" in printed
    assert f"Observation ended early (Amira Okafor): {reason}" in printed  # and among the deviations


def test_signing_before_the_end_needs_an_allergists_reason_that_the_signed_pdf_prints(
    client, challenge, nurse, allergist, clock
):
    _reaction(challenge, nurse, allergist, clock)
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=clock.move(minutes=20))
    runs.outcome_confirm(challenge=challenge, by=allergist, data=FAILED)
    url = reverse("challenges:sign", args=[challenge.pk])
    client.force_login(nurse)
    assert client.post(url, {"observation_override_reason": "x"}).status_code == HTTPStatus.BAD_REQUEST
    client.force_login(allergist)
    page = _page(client, challenge)
    assert "The observation has not ended: signing now needs a reason." in page
    response = client.post(url, {"observation_override_reason": LONG})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most 2000 characters (it has 2001)" in response.content.decode()
    response = client.post(url, {"observation_override_reason": "   "})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "to run (until" in response.content.decode()
    challenge.refresh_from_db()
    assert not challenge.is_signed
    reason = "Transferred to the ward team, who continue the observation"
    assert client.post(url, {"observation_override_reason": reason}).status_code == HTTPStatus.FOUND
    challenge.refresh_from_db()
    assert challenge.is_signed
    signed = text(bytes(challenge.signed_pdf))
    assert "Ended early (override) Amira Okafor" in signed
    assert reason in signed
    assert "Discharged not recorded" in signed


def test_ending_the_observation_mid_dosing_is_an_allergists_reasoned_override(
    client, challenge, nurse, allergist, clock
):
    """Security review H2: a nurse's post mid-dosing is refused; an allergist's needs a reason, which is printed."""
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    url = reverse("challenges:finish-observation", args=[challenge.pk])
    client.force_login(nurse)
    before = db_state()
    response = client.post(url, {"reason": "Parent wants to leave"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Only an allergist can do this." in response.content.decode()
    assert db_state() == before
    client.force_login(allergist)
    before = db_state()
    response = client.post(url, {"reason": " "})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Give a written reason." in response.content.decode()
    assert db_state() == before
    reason = "Intercurrent fever; challenge abandoned after dose 1, observed on the ward"
    assert client.post(url, {"reason": reason}).status_code == HTTPStatus.FOUND
    challenge.refresh_from_db()
    assert challenge.status == Status.COMPLETED
    assert reason in _report(client, challenge)


# --- discharge ----------------------------------------------------------------------------------------------


def test_discharge_is_recorded_and_printed_and_ends_the_observation_display(client, challenge, nurse, allergist, clock):
    _reaction(challenge, nurse, allergist, clock, adrenaline=1)
    resolved = clock.move(minutes=30)
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=resolved, good_response=True)
    ends = resolved + timedelta(hours=2)  # 10:13 + 2 h
    clock.move(minutes=30)
    client.force_login(nurse)
    board = _board(client)
    assert f"observation ends {ends:%a %H:%M}" in board
    # Before the end: refused, nothing stored.
    before = db_state()
    early = _discharge(client, challenge, clock.now, **DISCHARGE_VITALS)
    assert early.status_code == HTTPStatus.BAD_REQUEST
    assert "The observation runs until 12:13 (1 h 30 min after the discharge time)" in early.content.decode()
    no_vitals = _discharge(client, challenge, clock.now)
    assert no_vitals.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter at least one vital sign." in no_vitals.content.decode()
    assert db_state() == before
    # The end reached, the observation card still shows until discharge.
    clock.move(seconds=(ends - clock.now).total_seconds())
    assert 'data-testid="observation"' in _page(client, challenge)
    assert "observation over; not yet discharged" in _board(client)
    response = _discharge(client, challenge, clock.now, **DISCHARGE_VITALS)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-2000:]
    discharge = Discharge.objects.get(challenge=challenge)
    assert (discharge.discharged_at, discharge.condition, discharge.discharged_by) == (ends, "well", nurse)
    assert discharge.vitals.kind == VitalsKind.DISCHARGE
    assert (discharge.vitals.heart_rate, discharge.vitals.spo2) == (84, 98)
    assert discharge.history.count() == 1
    assert challenge.events.filter(kind="discharged", by=nurse).exists()
    page = _page(client, challenge)
    assert 'data-testid="observation"' not in page
    assert "Well, no symptoms" in page
    assert 'data-testid="board-observation"' not in _board(client)
    printed = _report(client, challenge)
    assert (
        "Discharged 12:13 by Sam Lee; Well, no symptoms; vital signs HR 84/min · BP 118/72 mmHg · SpO₂ 98 %; "
        "Home with mother" in printed
    )
    assert "Symptoms resolved 10:13 (recorded by Sam Lee)" in printed
    assert (
        "from 10:13, due to end 12:13: 2 h after the symptoms resolved (1 dose of adrenaline with a good response)"
        in printed
    )


def test_a_transfer_may_leave_before_the_observation_ends(client, challenge, nurse, allergist, clock):
    _reaction(challenge, nurse, allergist, clock, adrenaline=3)
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=clock.move(minutes=30))
    client.force_login(nurse)
    response = _discharge(client, challenge, clock.move(minutes=10), condition="transferred", **DISCHARGE_VITALS)
    assert response.status_code == HTTPStatus.FOUND
    assert Discharge.objects.get(challenge=challenge).condition == "transferred"


def test_an_undischarged_challenge_stays_on_the_next_days_board(client, challenge, nurse, allergist, clock):
    """A 12 h observation runs past midnight: the board keeps the challenge until the patient is discharged."""
    _reaction(challenge, nurse, allergist, clock, adrenaline=3)
    resolved = clock.move(hours=8)  # 17:53
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=resolved)
    client.force_login(nurse)
    clock.move(hours=8)  # 01:53 the next day
    board = _board(client)
    assert challenge.patient.full_name in board
    assert "observation ends Fri 05:53" in board
    clock.move(hours=4)
    _discharge(client, challenge, clock.now, **DISCHARGE_VITALS)
    assert challenge.patient.full_name not in _board(client)

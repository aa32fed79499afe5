"""The hold tier through the services and the real URLs: a severe or persisting subjective symptom holds the next
dose until a clinician decides (continue, repeat the same dose, wait longer or stop); contact redness and a
heart-rate rise alone are shown without holding anything (clinical review S1-S3)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.models import Challenge, PreChallengeCheck, Status
from challenges.run import facts
from challenges.run import services as runs
from challenges.run.services import ChallengeRuleError
from tests.helpers import second_checker
from tests.run.helpers import local

ANSWERS = dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True)


def _check_in(challenge: Challenge, nurse, clock) -> None:
    baseline = {"taken_at": clock.now, "heart_rate": 100, "systolic": 120, "diastolic": 70, "fev1_ml": 2500}
    runs.checks_record(challenge=challenge, by=nurse, answers=ANSWERS, baseline=baseline)


def _dose(challenge: Challenge, nurse, clock) -> runs.DoseRecorded:
    return runs.dose_record(
        challenge=challenge,
        by=nurse,
        food_amount=None,
        given_at=clock.now,
        idempotency_key=uuid.uuid4(),
        checked_by=second_checker(challenge, nurse),  # steps 1-4 are peanut-flour mixes: two-person check
    )


def _doses(challenge: Challenge, nurse, clock, count: int) -> datetime:
    for index in range(count):
        if index:
            clock.move(minutes=30)
        _dose(challenge, nurse, clock)
    return clock.now


def _finding(challenge: Challenge, nurse, at: datetime, item: str, severity: int) -> None:
    runs.observation_record(challenge=challenge, by=nurse, item_code=item, severity=severity, observed_at=at)


def _page(client, challenge: Challenge) -> str:
    response = client.get(reverse("challenges:detail", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def _severe_nausea_after_dose_3(challenge: Challenge, nurse, clock) -> None:
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 3)
    _finding(challenge, nurse, clock.move(minutes=10), "gi_subjective", 2)


def test_a_severe_subjective_symptom_at_dose_3_holds_dose_4_until_decided(challenge, nurse, allergist, clock):
    _severe_nausea_after_dose_3(challenge, nurse, clock)
    alert = challenge.alerts.get()
    assert alert.is_hold
    assert alert.tier == "hold"
    clock.move(minutes=30)
    with pytest.raises(ChallengeRuleError) as caught:
        _dose(challenge, nurse, clock)
    assert caught.value.code == "hold_open"
    runs.alert_decide(alert=alert, by=allergist, decision="continue", reason="Settled after a drink")
    assert _dose(challenge, nurse, clock).dose.step_number == 4


def test_a_hold_decided_repeat_gives_the_same_dose_again(challenge, nurse, allergist, clock):
    _severe_nausea_after_dose_3(challenge, nurse, clock)
    runs.alert_decide(alert=challenge.alerts.get(), by=allergist, decision="repeat", reason="Unclear, repeat")
    clock.move(minutes=30)
    assert _dose(challenge, nurse, clock).dose.step_number == 3


def test_a_hold_decided_wait_longer_moves_the_next_dose_on(challenge, nurse, allergist, clock):
    _severe_nausea_after_dose_3(challenge, nurse, clock)
    decided_at = clock.now
    runs.alert_decide(
        alert=challenge.alerts.get(), by=allergist, decision="wait", reason="Watch a while", wait_minutes=60
    )
    challenge.refresh_from_db()
    step = facts.upcoming_step(challenge)
    assert step.number == 4
    assert step.due_at == decided_at + timedelta(minutes=60)
    clock.move(minutes=59)
    with pytest.raises(ChallengeRuleError) as caught:
        _dose(challenge, nurse, clock)
    assert caught.value.code == "too_early"
    clock.move(minutes=1)
    assert _dose(challenge, nurse, clock).dose.step_number == 4


def test_a_hold_decided_repeat_makes_no_reaction_onset(challenge, nurse, allergist, clock):
    _severe_nausea_after_dose_3(challenge, nurse, clock)
    runs.alert_decide(alert=challenge.alerts.get(), by=allergist, decision="repeat", reason="Unclear, repeat")
    assert facts.reaction_onset(challenge) is None


def test_a_mild_subjective_symptom_lasting_46_min_holds(challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    start = clock.move(minutes=5)
    _finding(challenge, nurse, start, "oral_symptoms", 1)
    _finding(challenge, nurse, clock.move(minutes=45), "oral_symptoms", 1)
    assert not challenge.alerts.exists()
    _finding(challenge, nurse, clock.move(minutes=1), "oral_symptoms", 1)
    assert challenge.alerts.get().is_hold


def test_the_bedside_page_shows_the_hold_with_its_reason_and_the_four_choices(
    client, challenge, nurse, allergist, clock
):
    _severe_nausea_after_dose_3(challenge, nurse, clock)
    client.force_login(allergist)
    page = _page(client, challenge)
    assert 'data-testid="hold"' in page
    assert "no further dose until a clinician decides" in page
    assert "Nausea/abdominal pain, moderate (2)" in page
    for choice in ("Stop the challenge", "Hold and repeat the same dose", "Wait longer", "Continue"):
        assert choice in page
    assert "Dosing is on hold until a clinician decides" in page


def test_wait_longer_through_the_page_needs_minutes(client, challenge, nurse, allergist, clock):
    _severe_nausea_after_dose_3(challenge, nurse, clock)
    client.force_login(allergist)
    alert = challenge.alerts.get()
    url = reverse("challenges:decide", args=[challenge.pk, alert.pk])
    client.post(url, {"decision": "wait", "reason": "Watch"})
    alert.refresh_from_db()
    assert alert.is_open
    response = client.post(url, {"decision": "wait", "reason": "Watch", "wait_minutes": "30"})
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    alert.refresh_from_db()
    assert alert.decision == "wait"
    assert alert.wait_until is not None


def test_contact_redness_and_a_heart_rate_rise_are_shown_and_hold_nothing(client, challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    _finding(challenge, nurse, clock.move(minutes=5), "skin_contact", 1)
    runs.vitals_record(challenge=challenge, by=nurse, values={"taken_at": clock.now, "heart_rate": 125})
    assert not challenge.alerts.exists()
    client.force_login(nurse)
    page = _page(client, challenge)
    assert 'data-testid="notices"' in page
    assert "contact or perioral redness alone is not a stop sign" in page
    assert "advisory on its own" in page
    clock.move(minutes=30)
    assert _dose(challenge, nurse, clock).dose.step_number == 2


def test_an_fev1_drop_over_12_percent_recorded_through_the_page_stops(client, challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    client.force_login(nurse)
    at = clock.move(minutes=10)
    client.post(reverse("challenges:vitals", args=[challenge.pk]), {"taken_at": local(at), "fev1_ml": "2199"})
    alert = challenge.alerts.get()
    assert alert.tier == "stop"
    assert "FEV1 2199 mL is 12.04 % below baseline 2500 mL" in alert.hits[0]["message"]
    challenge.refresh_from_db()
    assert challenge.status == Status.DOSING


# --- outcome rules: hold and repeat is no failure; a stop for refusal is "dose not reached" (O1, O2) -------------


def _suggested(challenge: Challenge) -> str:
    from challenges.run import selectors

    return selectors.run_state(
        selectors.with_run_data(Challenge.objects.filter(pk=challenge.pk)).get()
    ).suggested_outcome


def test_hold_and_repeat_then_every_dose_tolerated_is_suggested_passed(challenge, nurse, allergist, clock):
    _severe_nausea_after_dose_3(challenge, nurse, clock)
    runs.alert_decide(alert=challenge.alerts.get(), by=allergist, decision="repeat", reason="Unclear, repeat")
    for _ in range(5):  # step 3 again, then 4 to 7
        clock.move(minutes=30)
        _dose(challenge, nurse, clock)
    assert _suggested(challenge) == "passed"


def test_a_stop_for_refusal_through_the_page_is_suggested_dose_not_reached(client, challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    client.force_login(nurse)
    response = client.post(
        reverse("challenges:stop", args=[challenge.pk]), {"kind": "refusal", "reason": "Would not eat more"}
    )
    assert response.status_code == HTTPStatus.FOUND
    challenge.refresh_from_db()
    assert challenge.stop_kind == "refusal"
    assert _suggested(challenge) == "dose_not_reached"


def test_a_stop_for_doubtful_symptoms_is_suggested_equivocal(client, challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    client.force_login(nurse)
    client.post(reverse("challenges:stop", args=[challenge.pk]), {"kind": "reaction", "reason": "Unsure, quiet"})
    assert _suggested(challenge) == "equivocal"


def test_the_outcome_form_defaults_advice_and_adrenaline_from_the_reaction(client, challenge, nurse, allergist, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    at = clock.move(minutes=10)
    for item in ("skin_urticaria", "lower_resp_wheeze"):
        runs.observation_record(challenge=challenge, by=nurse, item_code=item, severity=2, observed_at=at)
    runs.alert_decide(alert=challenge.alerts.get(), by=allergist, decision="stop", reason="Anaphylaxis")
    client.force_login(allergist)
    page = _page(client, challenge)
    assert '<option value="strict_avoidance" selected>' in page
    assert '<option value="yes" selected>' in page


def test_an_equivocal_report_shows_its_symptoms_and_the_highest_symptom_free_dose(client, challenge, nurse, clock):
    from tests.reports.helpers import text

    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 3)
    _finding(challenge, nurse, clock.move(minutes=10), "oral_symptoms", 1)
    client.force_login(nurse)
    client.post(reverse("challenges:stop", args=[challenge.pk]), {"kind": "reaction", "reason": "Unsure, tingling"})
    response = client.get(reverse("challenges:report", args=[challenge.pk]))
    body = " ".join(text(b"".join(response.streaming_content) if response.streaming else response.content).split())
    assert "Not yet confirmed (suggested: Equivocal)" in body
    assert "Symptoms (equivocal)" in body
    assert "Oral itch/tingling" in body
    assert "after dose 3" in body
    # Dose 2 was 1.9 mL of a 5.22 mg/mL peanut-flour mix: 9.918 mg delivered (the planned 10 mg is the target)
    assert "Highest symptom-free dose 9.92 mg" in body


def test_placebo_doses_show_no_protein_eaten_once_unblinded(client, challenge, nurse, allergist, clock):
    challenge.placebo_steps = [1]
    challenge.save()
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    client.force_login(allergist)
    page = _page(client, challenge)
    assert "none (placebo)" in page


def test_an_undecided_hold_makes_no_reaction_onset(challenge, nurse, clock):
    _severe_nausea_after_dose_3(challenge, nurse, clock)
    assert challenge.alerts.get().is_open
    assert facts.reaction_onset(challenge) is None


def test_the_bedside_page_prompts_for_vital_signs_before_the_next_dose_and_at_a_hold(client, challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    clock.move(minutes=5)  # the baseline was taken before the first dose
    _doses(challenge, nurse, clock, 1)
    client.force_login(nurse)
    assert "Record vital signs before the next dose: none since dose 1" in _page(client, challenge)
    runs.vitals_record(challenge=challenge, by=nurse, values={"taken_at": clock.move(minutes=5), "heart_rate": 100})
    assert 'data-testid="vitals-prompt"' not in _page(client, challenge)
    _finding(challenge, nurse, clock.move(minutes=5), "gi_subjective", 2)
    assert "Record vital signs now: a stop rule or hold was raised" in _page(client, challenge)

"""Wash-out and risk review, from booking to the report (docs/clinical-sources.md §5.1; clinical review W1-W8).

The clock stands at Thu 26 Nov 2026 09:00 (tests.helpers.START). Codes are asserted, never wording, except where
the wording is the point (the earliest date offered, the word "stop" never said about a beta-blocker).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.models import Challenge, ChallengeEvent, WashoutDecision
from challenges.run import services as runs
from challenges.run.models import PreChallengeCheck
from challenges.run.services import ChallengeRuleError
from tests.factories import MedicationFactory
from tests.helpers import LONDON, START, second_checker
from tests.reports.helpers import text
from tests.run.helpers import db_state, local

ANSWERS = dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True)
BASELINE = {"heart_rate": 80, "systolic": 120, "diastolic": 70}
OVERRIDE_REASON = "Chronic urticaria flares off cetirizine; accept a possible false negative"


def _refused(code: str, write) -> None:
    before = db_state()
    with pytest.raises(ChallengeRuleError) as excinfo:
        write()
    assert excinfo.value.code == code, excinfo.value.message
    assert db_state() == before


def _check_in(challenge, nurse, clock) -> None:
    runs.checks_record(challenge=challenge, by=nurse, answers=ANSWERS, baseline={**BASELINE, "taken_at": clock.now})


def _dose(challenge, nurse, clock) -> runs.DoseRecorded:
    return runs.dose_record(
        challenge=challenge,
        by=nurse,
        food_amount=None,
        given_at=clock.now,
        idempotency_key=uuid.uuid4(),
        checked_by=second_checker(challenge, nurse),
    )


def _report(client, user, challenge) -> str:
    client.force_login(user)
    response = client.get(reverse("challenges:report", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    return text(response.content)


# --- at booking: the scheduling form checks before it saves ----------------------------------------------------


def _booking(practall, allergist, nurse, when: str, **extra) -> dict[str, str]:
    return {
        "protocol": str(practall.pk),
        "scheduled_at": when,
        "purpose": "diagnosis",
        "allergist": str(allergist.pk),
        "nurse": str(nurse.pk),
        "indication": "Peanut sensitised; confirm tolerance.",
        "placebo_doses": "",
        **extra,
    }


def _reviewed(page: str) -> str:
    return re.search(r'name="reviewed" value="([0-9a-f]+)"', page).group(1)


def test_schedule_form_shows_the_conflict_and_the_earliest_date_before_saving(
    client, patient, practall, allergist, nurse, clock
):
    MedicationFactory(patient=patient, name="Cetirizine", dose="10 mg", med_class="h1_antihistamine")
    client.force_login(allergist)
    url = reverse("challenges:schedule", args=[patient.pk])
    before = db_state()
    # Booked for Saturday: the 7-day stop-by date (Sat 21 Nov) is already past.
    response = client.post(url, _booking(practall, allergist, nurse, "2026-11-28T09:00", schedule="1"))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Too late to stop Cetirizine 10 mg (H1 antihistamine) 7 days before" in page
    assert "earliest date Fri 4 Dec 2026." in page
    assert "the earliest date is Fri 4 Dec 2026." in page
    assert 'name="use_date" value="2026-12-04T09:00"' in page
    assert db_state() == before  # nothing saved
    # "Use this date": the check runs again for Friday 4 December; still nothing saved.
    data = _booking(practall, allergist, nurse, "2026-11-28T09:00", use_date="2026-12-04T09:00")
    page = client.post(url, data).content.decode()
    assert "Stop Cetirizine 10 mg (H1 antihistamine) by Fri 27 Nov 2026 09:00, 7 days before the challenge." in page
    assert 'data-testid="earliest"' not in page
    assert db_state() == before
    # Scheduling with the check just shown books it.
    data = _booking(practall, allergist, nurse, "2026-12-04T09:00", schedule="1", reviewed=_reviewed(page))
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND
    challenge = Challenge.objects.get(patient=patient)
    assert challenge.scheduled_at == datetime(2026, 12, 4, 9, 0, tzinfo=LONDON)


def test_the_check_runs_again_when_the_date_or_the_medication_list_changes(
    client, patient, practall, allergist, nurse, clock
):
    MedicationFactory(patient=patient, name="Loratadine", dose="10 mg", med_class="h1_antihistamine")
    client.force_login(nurse)
    url = reverse("challenges:schedule", args=[patient.pk])
    page = client.post(url, _booking(practall, allergist, nurse, "2026-12-10T09:00", check="1")).content.decode()
    seen = _reviewed(page)
    # Another date than the one checked: shown again, not saved.
    response = client.post(url, _booking(practall, allergist, nurse, "2026-12-11T09:00", schedule="1", reviewed=seen))
    assert response.status_code == HTTPStatus.OK
    assert "Stop Loratadine 10 mg (H1 antihistamine) by Fri 4 Dec 2026 09:00" in response.content.decode()
    assert not Challenge.objects.exists()
    # The medication list changed after the check: shown again with the new conflict, not saved.
    MedicationFactory(patient=patient, name="Famotidine", dose="20 mg", med_class="h2_blocker")
    response = client.post(url, _booking(practall, allergist, nurse, "2026-12-10T09:00", schedule="1", reviewed=seen))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Stop Famotidine 20 mg (H2 blocker) by Wed 9 Dec 2026 09:00" in page
    assert not Challenge.objects.exists()
    data = _booking(practall, allergist, nurse, "2026-12-10T09:00", schedule="1", reviewed=_reviewed(page))
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    assert Challenge.objects.filter(patient=patient).count() == 1


def test_a_patient_without_conflicts_is_booked_in_one_step(client, patient, practall, allergist, nurse, clock):
    client.force_login(nurse)
    url = reverse("challenges:schedule", args=[patient.pk])
    page = client.post(url, _booking(practall, allergist, nurse, "2026-12-01T09:00", check="1")).content.decode()
    assert "No medication conflicts with the patient" in page
    assert not Challenge.objects.exists()
    assert client.post(url, _booking(practall, allergist, nurse, "2026-12-01T09:00")).status_code == HTTPStatus.FOUND


def test_booking_a_beta_blocker_patient_asks_for_a_risk_review_not_a_stop(
    client, patient, practall, allergist, nurse, clock
):
    MedicationFactory(patient=patient, name="Bisoprolol", dose="2.5 mg", med_class="beta_blocker")
    client.force_login(allergist)
    url = reverse("challenges:schedule", args=[patient.pk])
    page = client.post(url, _booking(practall, allergist, nurse, "2026-11-27T09:00", check="1")).content.decode()
    panel = page[page.index('data-testid="booking-check"') :]
    panel = panel[: panel.index("</div></div>")]
    assert "Bisoprolol 2.5 mg (beta-blocker)" in panel
    assert "Risk review" in panel
    assert re.search(r"\bstop", panel, re.IGNORECASE) is None


# --- blocking means blocking -----------------------------------------------------------------------------------


def test_a_masking_conflict_refuses_dose_1_until_the_nurse_confirms_the_stop_date(challenge, patient, nurse, clock):
    loratadine = MedicationFactory(patient=patient, name="Loratadine", dose="10 mg", med_class="h1_antihistamine")
    _check_in(challenge, nurse, clock)
    _refused("washout_unresolved", lambda: _dose(challenge, nurse, clock))
    # Seven calendar days before a 09:00 start is too late for a 7-day drug; eight is in time.
    seven = START.date() - timedelta(days=7)
    _refused(
        "washout_too_short",
        lambda: runs.washout_confirm_stop(challenge=challenge, by=nurse, medication=loratadine, stopped_on=seven),
    )
    eight = START.date() - timedelta(days=8)
    decision = runs.washout_confirm_stop(challenge=challenge, by=nurse, medication=loratadine, stopped_on=eight)
    assert (decision.decided_by, decision.medication, decision.stopped_on, decision.action) == (
        nurse,
        loratadine,
        date(2026, 11, 18),
        "stop_confirmed",
    )
    assert decision.decided_at == START
    assert ChallengeEvent.objects.filter(challenge=challenge, kind="washout_stop_confirmed").exists()
    assert _dose(challenge, nurse, clock).created
    # Recorded once dosing has begun: refused.
    _refused(
        "after_first_dose",
        lambda: runs.washout_confirm_stop(challenge=challenge, by=nurse, medication=loratadine, stopped_on=eight),
    )


def test_an_override_lets_dose_1_through_and_the_report_prints_its_reason(
    client, challenge, patient, nurse, allergist, clock
):
    cetirizine = MedicationFactory(patient=patient, name="Cetirizine", dose="10 mg", med_class="h1_antihistamine")
    _check_in(challenge, nurse, clock)
    _refused("washout_unresolved", lambda: _dose(challenge, nurse, clock))
    _refused(
        "allergist_only",
        lambda: runs.washout_override(challenge=challenge, by=nurse, medication=cetirizine, reason=OVERRIDE_REASON),
    )
    runs.washout_override(challenge=challenge, by=allergist, medication=cetirizine, reason=f"  {OVERRIDE_REASON}  ")
    decision = WashoutDecision.objects.get(challenge=challenge)
    assert (decision.action, decision.reason, decision.decided_by) == ("overridden", OVERRIDE_REASON, allergist)
    assert _dose(challenge, nurse, clock).created
    body = _report(client, allergist, challenge)
    assert f"Overridden by Amira Okafor on Thu 26 Nov 2026 09:00: {OVERRIDE_REASON}" in body
    assert "Must be resolved" not in body
    # The challenge page shows it resolved (not red), with who and why.
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert 'data-testid="conflict-cleared"' in page
    assert 'data-testid="conflict-open"' not in page
    assert "Overridden by Amira Okafor" in page


def test_a_confirmed_stop_is_printed_on_the_report(client, challenge, patient, nurse, allergist, clock):
    famotidine = MedicationFactory(patient=patient, name="Famotidine", dose="20 mg", med_class="h2_blocker")
    _check_in(challenge, nurse, clock)
    runs.washout_confirm_stop(challenge=challenge, by=nurse, medication=famotidine, stopped_on=date(2026, 11, 24))
    _dose(challenge, nurse, clock)
    body = _report(client, allergist, challenge)
    assert "Stop date confirmed by Sam Lee on Thu 26 Nov 2026 09:00: last dose Tue 24 Nov 2026" in body


def test_override_and_decision_need_a_reason_through_the_real_urls(client, challenge, patient, allergist, clock):
    cetirizine = MedicationFactory(patient=patient, med_class="h1_antihistamine")
    client.force_login(allergist)
    before = db_state()
    for reason in ("", "   ", "x" * 2001):
        response = client.post(
            reverse("challenges:washout-override", args=[challenge.pk]),
            {"medication": cetirizine.pk, "reason": reason},
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
    assert db_state() == before
    response = client.post(
        reverse("challenges:washout-override", args=[challenge.pk]), {"medication": cetirizine.pk, "reason": "OK"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert WashoutDecision.objects.get().reason == "OK"


def test_the_nurse_confirms_a_stop_date_on_the_challenge_page(client, challenge, patient, nurse, clock):
    cetirizine = MedicationFactory(patient=patient, med_class="h1_antihistamine")
    client.force_login(nurse)
    url = reverse("challenges:detail", args=[challenge.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="conflict-open"' in page
    assert reverse("challenges:washout-confirm", args=[challenge.pk]) in page
    checks = client.get(reverse("challenges:checks", args=[challenge.pk])).content.decode()
    assert "Too late to stop Cetirizine 10 mg (H1 antihistamine)" in checks  # shown before the checks, no forms
    assert reverse("challenges:washout-confirm", args=[challenge.pk]) not in checks
    assert reverse("challenges:washout-override", args=[challenge.pk]) not in page  # the nurse cannot override
    confirm = reverse("challenges:washout-confirm", args=[challenge.pk])
    response = client.post(confirm, {"medication": cetirizine.pk, "stopped_on": "2026-11-19"})
    assert response.status_code == HTTPStatus.BAD_REQUEST  # 7 days before: too late
    assert not WashoutDecision.objects.exists()
    response = client.post(confirm, {"medication": cetirizine.pk, "stopped_on": "2026-11-18"})
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(url).content.decode()
    assert 'data-testid="conflict-cleared"' in page
    assert "Stop date confirmed by Sam Lee" in page


def test_a_decision_entered_in_error_opens_the_conflict_again(client, challenge, patient, nurse, clock):
    cetirizine = MedicationFactory(patient=patient, med_class="h1_antihistamine")
    _check_in(challenge, nurse, clock)
    decision = runs.washout_confirm_stop(
        challenge=challenge, by=nurse, medication=cetirizine, stopped_on=date(2026, 11, 1)
    )
    client.force_login(nurse)
    url = reverse("challenges:washout-error", args=[challenge.pk, decision.pk])
    assert client.post(url, {"reason": "Wrong patient's medicine list"}).status_code == HTTPStatus.FOUND
    decision.refresh_from_db()
    assert decision.entered_in_error
    assert WashoutDecision.objects.filter(pk=decision.pk).exists()  # kept, never deleted
    _refused("washout_unresolved", lambda: _dose(challenge, nurse, clock))


def test_conflicts_follow_the_current_medication_list(client, challenge, patient, nurse, clock):
    _check_in(challenge, nurse, clock)
    famotidine = MedicationFactory(patient=patient, name="Famotidine", med_class="h2_blocker")
    _refused("washout_unresolved", lambda: _dose(challenge, nurse, clock))
    client.force_login(nurse)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "Too late to stop Famotidine" in page
    assert 'data-testid="medication-hold"' in page  # the dose form gives way to why dose 1 waits
    assert 'data-testid="record-dose"' not in page
    famotidine.stopped_on = date(2026, 11, 20)  # recorded as stopped in the chart: the wash-out is met
    famotidine.save()
    assert _dose(challenge, nurse, clock).created


# --- risk factors and steroids: the allergist's decision ---------------------------------------------------------


def test_a_risk_factor_needs_the_allergists_review_before_dose_1(client, challenge, patient, nurse, allergist, clock):
    bisoprolol = MedicationFactory(patient=patient, name="Bisoprolol", dose="2.5 mg", med_class="beta_blocker")
    _check_in(challenge, nurse, clock)
    _refused("medication_review_required", lambda: _dose(challenge, nurse, clock))

    def decide(action: str, by=allergist) -> WashoutDecision:
        reason = "Discussed with cardiology: continue; IV access and glucagon ready"
        return runs.medication_decide(challenge=challenge, by=by, medication=bisoprolol, action=action, reason=reason)

    _refused("allergist_only", lambda: decide("proceed", by=nurse))
    _refused("bad_action", lambda: decide("overridden"))
    _refused(
        "no_conflict",  # a beta-blocker is not washed out, so there is nothing to override
        lambda: runs.washout_override(challenge=challenge, by=allergist, medication=bisoprolol, reason="x"),
    )
    decide("defer")
    _refused("medication_deferred", lambda: _dose(challenge, nurse, clock))
    clock.move(minutes=5)
    decide("proceed")
    assert ChallengeEvent.objects.filter(challenge=challenge, kind="medication_decision").count() == 2
    assert _dose(challenge, nurse, clock).created
    body = _report(client, allergist, challenge)
    assert "Proceed with precautions by Amira Okafor on Thu 26 Nov 2026 09:05" in body


def test_a_steroid_that_is_not_stopped_is_accepted_as_a_limitation(client, challenge, patient, nurse, allergist, clock):
    prednisolone = MedicationFactory(patient=patient, name="Prednisolone", dose="5 mg", med_class="systemic_steroid")
    _check_in(challenge, nurse, clock)
    _refused("medication_review_required", lambda: _dose(challenge, nurse, clock))
    _refused(
        "no_conflict",  # never a stop date for a steroid still taken
        lambda: runs.washout_confirm_stop(
            challenge=challenge, by=nurse, medication=prednisolone, stopped_on=date(2026, 11, 1)
        ),
    )
    runs.medication_decide(
        challenge=challenge,
        by=allergist,
        medication=prednisolone,
        action="accept_limitation",
        reason="Adrenal insufficiency risk; a negative result will be read with caution",
    )
    assert _dose(challenge, nurse, clock).created
    assert "Accept and document the limitation by Amira Okafor" in _report(client, allergist, challenge)


# --- a beta-blocker never produces the word "stop" ---------------------------------------------------------------


def _stops(body: str) -> int:
    return len(re.findall(r"\bstop", body, re.IGNORECASE))


def _patient_facing_and_pdfs(client, challenge, plan, patient, nurse, patient_user) -> dict[str, str]:
    client.force_login(nurse)
    texts = {
        name: text(client.get(reverse(url, args=[pk])).content)
        for name, url, pk in (
            ("report", "challenges:report", challenge.pk),
            ("preparation", "challenges:preparation-sheet", challenge.pk),
            ("home plan pdf", "challenges:home-plan-pdf", plan.pk),
            ("summary", "challenges:patient-summary", patient.pk),
        )
    }
    client.force_login(patient_user)
    texts["home plan page"] = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    texts["chart (patient)"] = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    return texts


def test_a_beta_blocker_never_says_stop_to_the_patient_or_on_the_pdfs(
    client, challenge, plan, patient, patient_user, nurse, allergist, clock
):
    without = _patient_facing_and_pdfs(client, challenge, plan, patient, nurse, patient_user)
    bisoprolol = MedicationFactory(patient=patient, name="Bisoprolol", dose="2.5 mg", med_class="beta_blocker")
    with_beta_blocker = _patient_facing_and_pdfs(client, challenge, plan, patient, nurse, patient_user)
    assert "Bisoprolol" in with_beta_blocker["report"]  # the positive control: it is on the report
    assert "Risk review" in with_beta_blocker["report"]
    assert "Your clinic is reviewing your medicines before your first step" in with_beta_blocker["home plan page"]
    for name, body in with_beta_blocker.items():
        assert _stops(body) == _stops(without[name]), name
    # The patient's first home step waits for the review, and the message does not say "stop" either.
    step = {"given_at": local(clock.now), "idempotency_key": str(uuid.uuid4()), "ate_all": "on"}
    response = client.post(reverse("challenges:home-step", args=[plan.pk]), step)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    [error] = re.findall(r'data-testid="error"[^>]*>(.*?)<', response.content.decode(), re.DOTALL)
    assert "medication decision for Bisoprolol 2.5 mg" in error
    assert _stops(error) == 0
    # After the allergist's review the report prints the decision, still without "stop".
    runs.medication_decide(
        challenge=challenge,
        by=allergist,
        medication=bisoprolol,
        action="proceed",
        reason="Cardiology agree: continue it; IV access ready",
    )
    body = _report(client, allergist, challenge)
    assert "Proceed with precautions by Amira Okafor" in body
    assert _stops(body) == _stops(without["report"])

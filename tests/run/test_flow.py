"""Whole challenges driven through real URLs: passed, failed at dose 5, early dose, double submit, overrides."""

from __future__ import annotations

import uuid
from decimal import Decimal
from http import HTTPStatus

from django.urls import reverse

from challenges.models import Dose, Status, StopAlert
from tests.run.helpers import give_dose, observe, pass_checks, vitals


def _run_doses(client, challenge, clock, count: int) -> None:
    """Give the next `count` planned doses in full, 30 min apart."""
    for _index in range(count):
        response = give_dose(client, challenge, clock.now)
        assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
        clock.move(minutes=30)


def test_complete_passed_practall_challenge(client, challenge, nurse, allergist, clock):
    client.force_login(nurse)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "Pre-challenge checks" in page
    assert "Planned" in page
    pass_checks(client, challenge, clock.now)
    challenge.refresh_from_db()
    assert challenge.status == Status.CHECKED_IN
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "Mix 1 g of Peanut flour, defatted" in page  # 3 mg is below what a scale weighs: a powder's dilution
    _run_doses(client, challenge, clock, 7)
    challenge.refresh_from_db()
    assert challenge.status == Status.OBSERVING
    doses = list(challenge.doses.order_by("sequence"))
    assert [d.step_number for d in doses] == [1, 2, 3, 4, 5, 6, 7]
    # Steps 1-4 are diluted: what the volume of mix given delivered counts, not the target (3 + 10 + 30 + 100 mg).
    # Defatted peanut flour, 522 mg protein per g: 1.1 mL of 1 g in 200 mL (2.61 mg/mL) = 2.871 mg, 1.9 mL of 1 g in
    # 100 mL (5.22 mg/mL) = 9.918 mg, 1.4 mL and 4.8 mL of 1 g in 25 mL (20.88 mg/mL) = 29.232 and 100.224 mg;
    # 142.245 mg in all, then 300 + 1,000 + 3,000 mg weighed.
    assert sum(d.protein_mg for d in doses) == Decimal("4442.245")
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "Observation after the last dose" in page
    # The observation period (2 h) is enforced for the nurse.
    response = client.post(reverse("challenges:finish-observation", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "to run" in response.content.decode()
    clock.move(hours=2)
    assert client.post(reverse("challenges:finish-observation", args=[challenge.pk])).status_code == HTTPStatus.FOUND
    client.force_login(allergist)
    outcome = {
        "outcome": "passed",
        "reason": "All doses tolerated",
        "grade_scale": "wao_2010",
        "grade": "none",
        "advice": "eat_regularly",
        "new_adrenaline_prescription": "no",
        "discharge_notes": "Peanut weekly.",
    }
    assert client.post(reverse("challenges:outcome", args=[challenge.pk]), outcome).status_code == HTTPStatus.FOUND
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "Passed (tolerated)" in page
    assert "4,442.2 mg" in page  # highest tolerated cumulative
    assert client.post(reverse("challenges:sign", args=[challenge.pk])).status_code == HTTPStatus.FOUND
    challenge.refresh_from_db()
    assert challenge.is_signed
    assert challenge.signed_by == allergist


def test_failed_challenge_objective_sign_at_dose_5(client, challenge, nurse, allergist, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    _run_doses(client, challenge, clock, 5)
    clock.move(minutes=-20)  # 10 min after dose 5
    response = observe(client, challenge, "skin_urticaria", 2, clock.now, "hives on the trunk")
    assert response.status_code == HTTPStatus.FOUND
    alert = StopAlert.objects.get(challenge=challenge)
    assert alert.is_open
    assert alert.hits[0]["code"] == "objective_sign"
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "Stop rule met" in page
    assert "Urticaria/angioedema" in page
    assert "after dose 5" in page
    clock.move(minutes=30)
    blocked = give_dose(client, challenge, clock.now)
    assert blocked.status_code == HTTPStatus.BAD_REQUEST
    assert "until the allergist decides" in blocked.content.decode()
    assert challenge.doses.count() == 5
    # A nurse cannot decide; the allergist stops it.
    decide = reverse("challenges:decide", args=[challenge.pk, alert.pk])
    assert client.post(decide, {"decision": "stop", "reason": "Hives"}).status_code == HTTPStatus.BAD_REQUEST
    client.force_login(allergist)
    assert client.post(decide, {"decision": "stop", "reason": "Objective urticaria"}).status_code == HTTPStatus.FOUND
    challenge.refresh_from_db()
    assert challenge.status == Status.STOPPED
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    result = page[page.index('data-testid="result"') :]
    assert "300 mg" in result  # eliciting dose (discrete)
    assert "442.2 mg" in result  # cumulative at reaction (steps 1-4 delivered 142.245 mg, not the 143 mg planned)
    assert "100.2 mg / 142.2 mg" in result  # highest tolerated, discrete (4.8 mL of mix: 100.224 mg) / cumulative
    assert "Failed (not tolerated)" in result  # suggested outcome


def test_early_dose_is_refused_with_time_left(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    assert give_dose(client, challenge, clock.now).status_code == HTTPStatus.FOUND
    clock.move(minutes=12)
    response = give_dose(client, challenge, clock.now)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Too early: the next dose is due at 09:30, in 18 min" in response.content.decode()
    assert challenge.doses.count() == 1
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert 'data-due="2026-11-26T09:30:00+00:00"' in page  # the live countdown's target


def test_allergist_override_of_the_wait_is_kept(client, challenge, nurse, allergist, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now)
    clock.move(minutes=10)
    client.force_login(allergist)
    assert give_dose(client, challenge, clock.now).status_code == HTTPStatus.BAD_REQUEST
    response = give_dose(client, challenge, clock.now, override_reason="Needs to leave early; low risk")
    assert response.status_code == HTTPStatus.FOUND
    dose = challenge.doses.get(sequence=2)
    assert dose.early_override_reason == "Needs to leave early; low risk"
    assert challenge.events.filter(kind="early_dose_override", by=allergist).exists()


def test_double_submit_gives_one_dose(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    key = uuid.uuid4()
    first = give_dose(client, challenge, clock.now, key=key)
    assert "Dose recorded." in client.get(first["Location"]).content.decode()
    second = give_dose(client, challenge, clock.now, key=key)
    assert first.status_code == second.status_code == HTTPStatus.FOUND
    assert Dose.objects.filter(challenge=challenge).count() == 1
    page = client.get(second["Location"]).content.decode()
    assert "This dose was already recorded at 09:00; nothing was added." in page
    assert "Dose recorded." not in page


def test_dose_recorded_from_what_was_eaten(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    _run_doses(client, challenge, clock, 4)
    response = give_dose(client, challenge, clock.now, "0.3")  # planned 0.575 g of peanut flour; ate 0.3 g
    assert response.status_code == HTTPStatus.FOUND
    dose = challenge.doses.get(step_number=5)
    assert dose.planned_protein_mg == Decimal("300")
    # Defatted peanut flour, 52.2 g/100 g (CNF 2015; USDA SR 16099) = 522 mg per g.
    assert dose.protein_mg == Decimal("0.3") * Decimal("522")
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "298.8 mg" in page  # cumulative 142.245 delivered by the four mixes + 156.6 from what was eaten


def test_more_than_planned_is_refused(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    response = give_dose(client, challenge, clock.now, given_as="mix", mix_volume_ml="2")  # 1.1 mL planned
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "More than the planned volume (1.1 mL)" in response.content.decode()
    assert not challenge.doses.exists()


def test_failed_checks_block_until_allergist_override(client, challenge, nurse, allergist, clock):
    from tests.run.helpers import PASSING_CHECKS, local

    client.force_login(nurse)
    data = {**PASSING_CHECKS, "taken_at": local(clock.now)}
    del data["no_illness"]
    client.post(reverse("challenges:checks", args=[challenge.pk]), data)
    response = give_dose(client, challenge, clock.now)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Complete the pre-challenge checks first" in response.content.decode()
    override = reverse("challenges:checks-override", args=[challenge.pk])
    assert client.post(override, {"reason": "x"}).status_code == HTTPStatus.BAD_REQUEST  # nurses cannot override
    client.force_login(allergist)
    assert client.post(override, {"reason": ""}).status_code == HTTPStatus.BAD_REQUEST  # a reason is required
    assert client.post(override, {"reason": "Mild cold, afebrile; parent consents"}).status_code == HTTPStatus.FOUND
    challenge.refresh_from_db()
    assert challenge.checks_override_reason == "Mild cold, afebrile; parent consents"
    assert give_dose(client, challenge, clock.now).status_code == HTTPStatus.FOUND


def test_stop_rules_from_vitals(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)  # baseline SBP 120, PEF 400, SpO2 98
    _run_doses(client, challenge, clock, 2)
    assert vitals(client, challenge, clock.now, systolic="105", diastolic="70").status_code == HTTPStatus.FOUND
    assert not StopAlert.objects.exists()  # a 15 mmHg drop is within the rule
    clock.move(minutes=2)
    vitals(client, challenge, clock.now, systolic="95", diastolic="60")
    alert = StopAlert.objects.get()
    assert {hit["code"] for hit in alert.hits} == {"sbp_drop"}
    assert "25 mmHg below baseline 120 mmHg" in alert.hits[0]["message"]


def test_pef_and_spo2_rules(client, challenge, nurse, allergist, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    _run_doses(client, challenge, clock, 1)
    vitals(client, challenge, clock.now, pef="310")  # 22.5 % below 400
    assert [hit["code"] for hit in StopAlert.objects.get().hits] == ["pef_drop"]
    client.force_login(allergist)
    alert = StopAlert.objects.get()
    client.post(
        reverse("challenges:decide", args=[challenge.pk, alert.pk]),
        {"decision": "continue", "reason": "Poor technique; repeat PEF 390"},
    )
    clock.move(minutes=1)
    vitals(client, challenge, clock.now, spo2="90")
    latest = StopAlert.objects.order_by("-pk").first()
    assert latest.is_open
    assert "spo2_low" in {hit["code"] for hit in latest.hits}


def test_continue_decision_keeps_its_reason_and_unblocks(client, challenge, nurse, allergist, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    _run_doses(client, challenge, clock, 2)
    observe(client, challenge, "skin_erythema", 1, clock.now, "faint erythema where the mixture touched the chin")
    alert = StopAlert.objects.get()
    client.force_login(allergist)
    decide = reverse("challenges:decide", args=[challenge.pk, alert.pk])
    assert client.post(decide, {"decision": "continue", "reason": ""}).status_code == HTTPStatus.BAD_REQUEST
    assert (
        client.post(decide, {"decision": "continue", "reason": "Contact erythema only"}).status_code == HTTPStatus.FOUND
    )
    alert.refresh_from_db()
    assert alert.decision == "continue"
    assert alert.reason == "Contact erythema only"
    assert alert.decided_by == allergist
    client.force_login(nurse)
    assert give_dose(client, challenge, clock.now).status_code == HTTPStatus.FOUND


def test_repeat_decision_gives_the_same_step_again(client, challenge, nurse, allergist, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    _run_doses(client, challenge, clock, 3)
    observe(client, challenge, "oral_symptoms", 1, clock.now)
    clock.move(minutes=1)
    observe(client, challenge, "skin_erythema", 1, clock.now)
    alert = StopAlert.objects.get()
    client.force_login(allergist)
    client.post(
        reverse("challenges:decide", args=[challenge.pk, alert.pk]), {"decision": "repeat", "reason": "Doubtful"}
    )
    client.force_login(nurse)
    assert give_dose(client, challenge, clock.now).status_code == HTTPStatus.FOUND
    assert list(challenge.doses.order_by("sequence").values_list("step_number", flat=True)) == [1, 2, 3, 3]


def test_signing_locks_the_record(client, challenge, nurse, allergist, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    _run_doses(client, challenge, clock, 1)
    client.post(reverse("challenges:stop", args=[challenge.pk]), {"reason": "Child refused further doses"})
    client.force_login(allergist)
    outcome = {
        "outcome": "dose_not_reached",
        "reason": "Refusal",
        "grade_scale": "wao_2010",
        "grade": "",
        "advice": "rechallenge",
        "new_adrenaline_prescription": "no",
    }
    client.post(reverse("challenges:outcome", args=[challenge.pk]), outcome)
    clock.move(hours=2)  # the protocol's 2 h after the last dose (the stop came 30 min after it)
    assert client.post(reverse("challenges:sign", args=[challenge.pk])).status_code == HTTPStatus.FOUND
    response = observe(client, challenge, "skin_urticaria", 1, clock.now)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "signed and locked" in response.content.decode()
    assert not challenge.observations.exists()
    assert (
        client.post(reverse("challenges:addendum", args=[challenge.pk]), {"reason": "Phoned: well"}).status_code == 302
    )
    assert challenge.events.filter(kind="addendum", reason="Phoned: well").exists()


def test_nurse_cannot_sign_or_confirm_outcome(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    _run_doses(client, challenge, clock, 1)
    client.post(reverse("challenges:stop", args=[challenge.pk]), {"reason": "Refused"})
    outcome = {
        "outcome": "passed",
        "reason": "x",
        "grade_scale": "wao_2010",
        "advice": "eat_regularly",
        "new_adrenaline_prescription": "no",
    }
    assert (
        client.post(reverse("challenges:outcome", args=[challenge.pk]), outcome).status_code == HTTPStatus.BAD_REQUEST
    )
    assert client.post(reverse("challenges:sign", args=[challenge.pk])).status_code == HTTPStatus.BAD_REQUEST
    challenge.refresh_from_db()
    assert challenge.outcome == ""
    assert not challenge.is_signed


def test_dose_entered_in_error_is_kept_and_excluded(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    _run_doses(client, challenge, clock, 2)
    dose = challenge.doses.get(sequence=2)
    url = reverse("challenges:dose-error", args=[challenge.pk, dose.pk])
    assert client.post(url, {"reason": "Recorded for the wrong patient"}).status_code == HTTPStatus.FOUND
    dose.refresh_from_db()
    assert dose.entered_in_error
    assert Dose.objects.filter(pk=dose.pk).exists()
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert 'class="entered-in-error"' in page
    # Step 2 is due again: the plan continues from what was validly given.
    assert "Step 2 of 7" in page

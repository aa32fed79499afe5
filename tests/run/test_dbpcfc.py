"""Double-blind challenges through the services and the pages: placebo doses added to the full active series, the
key seen by a preparer only, the blinded verdict before unblinding, a reaction after placebo (review X1-X3, O6)."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.run import selectors
from challenges.run import services as runs
from challenges.run.models import Challenge, Status
from tests.helpers import second_checker
from tests.reports.helpers import text
from tests.run.conftest import START
from tests.run.rule_code_helpers import ANSWERS, BASELINE, assert_refused

PRACTALL_MG = [Decimal(n) for n in (3, 10, 30, 100, 300, 1000, 3000)]
# What the doses delivered: steps 1-4 are peanut-flour mixes (52.2 g/100 g), 1.1 mL of 2.61 mg/mL, 1.9 mL of 5.22,
# 1.4 mL and 4.8 mL of 20.88 mg/mL (docs/clinical-sources.md §12); steps 5-7 are weighed and count their target.
DELIVERED_MG = [Decimal(n) for n in ("2.871", "9.918", "29.232", "100.224", "300", "1000", "3000")]
# Placebo at dose 2 (twin of step 2, before it) and dose 6 (twin of step 4, after it): 9 doses.
ORDER = [1, -2, 2, 3, 4, -4, 5, 6, 7]
PLACEBO_DOSES = (2, 6)


def _book(patient, protocol, allergist, nurse, placebo_doses: int = 2) -> Challenge:
    return runs.challenge_schedule(
        patient=patient,
        protocol=protocol,
        scheduled_at=START,
        allergist=allergist,
        nurse=nurse,
        by=nurse,
        placebo_doses=placebo_doses,
    )


def _blinded(patient, dbpcfc, allergist, nurse) -> Challenge:
    """Booked with two placebo doses, then set to a known order so the test can name the placebo doses."""
    challenge = _book(patient, dbpcfc, allergist, nurse)
    challenge.blind_order = ORDER
    challenge.save()
    return challenge


def _check_in(challenge, nurse, clock) -> None:
    runs.checks_record(challenge=challenge, by=nurse, answers=ANSWERS, baseline={**BASELINE, "taken_at": clock.now})


def _give(challenge, nurse, clock, count: int) -> None:
    for _ in range(count):
        runs.dose_record(
            challenge=challenge,
            by=nurse,
            given_at=clock.now,
            idempotency_key=uuid.uuid4(),
            food_amount=None,
            checked_by=second_checker(challenge, nurse),  # the flour mixes (and their placebo twins) are checked
        )
        clock.move(minutes=30)


def _all_doses(challenge, nurse, clock) -> None:
    _check_in(challenge, nurse, clock)
    _give(challenge, nurse, clock, len(ORDER))


# --- booking --------------------------------------------------------------------------------------------------


def test_booking_adds_placebo_doses_and_keeps_every_active_step(patient, dbpcfc, allergist, nurse, clock):
    challenge = _book(patient, dbpcfc, allergist, nurse, placebo_doses=3)
    challenge.refresh_from_db()
    assert challenge.blinded
    assert [n for n in challenge.blind_order if n > 0] == [1, 2, 3, 4, 5, 6, 7]
    assert len([n for n in challenge.blind_order if n < 0]) == 3
    assert challenge.placebo_steps == []  # the substitution model is never written again


def test_the_randomisation_is_stored_and_stable(patient, dbpcfc, allergist, nurse, clock):
    challenge = _book(patient, dbpcfc, allergist, nurse, placebo_doses=3)
    drawn = list(challenge.blind_order)
    for _ in range(3):
        challenge.refresh_from_db()
        assert challenge.blind_order == drawn
        assert selectors.run_state(Challenge.objects.get(pk=challenge.pk)).placebo_doses == 3


def test_placebo_is_refused_on_an_open_challenge(patient, practall, allergist, nurse, clock):
    assert_refused("placebo_not_blinded_kind", lambda: _book(patient, practall, allergist, nurse, placebo_doses=1))


def test_placebo_is_refused_on_a_home_plan(patient, home_protocol, allergist, nurse, clock):
    assert_refused("placebo_not_blinded_kind", lambda: _book(patient, home_protocol, allergist, nurse, placebo_doses=1))


def test_more_placebo_doses_than_active_steps_are_refused(patient, dbpcfc, allergist, nurse, clock):
    assert_refused("bad_placebo", lambda: _book(patient, dbpcfc, allergist, nurse, placebo_doses=8))


def test_booking_form_takes_a_number_of_placebo_doses(client, patient, dbpcfc, allergist, nurse, clock):
    client.force_login(nurse)
    url = reverse("challenges:schedule", args=[patient.pk])
    data = {
        "protocol": dbpcfc.pk,
        "scheduled_at": START.strftime("%Y-%m-%d %H:%M"),
        "purpose": "diagnosis",
        "allergist": allergist.pk,
        "nurse": nurse.pk,
        "placebo_doses": "2",
        "first_step_in_clinic": "unknown",
    }
    response = client.post(url, {**data, "submission_key": str(uuid.uuid4())})
    if response.status_code == HTTPStatus.OK:  # the medication check was shown first: book after seeing it
        reviewed = response.context["form"]["reviewed"].value()
        response = client.post(url, {**data, "reviewed": reviewed, "submission_key": str(uuid.uuid4())})
    assert response.status_code == HTTPStatus.FOUND
    challenge = Challenge.objects.get(patient=patient)
    assert sorted(n for n in challenge.blind_order if n > 0) == [1, 2, 3, 4, 5, 6, 7]
    assert sum(1 for n in challenge.blind_order if n < 0) == 2


# --- dosing ---------------------------------------------------------------------------------------------------


def test_doses_follow_the_blinded_order_and_the_active_doses_are_the_protocol(patient, dbpcfc, allergist, nurse, clock):
    challenge = _blinded(patient, dbpcfc, allergist, nurse)
    _all_doses(challenge, nurse, clock)
    doses = list(challenge.doses.order_by("sequence"))
    assert [d.step_number for d in doses] == list(range(1, 10))  # numbered by place in the blinded order
    assert [d.sequence for d in doses if d.is_placebo] == list(PLACEBO_DOSES)
    assert [d.planned_protein_mg for d in doses if not d.is_placebo] == PRACTALL_MG  # no 10x jump: every step
    assert [d.protein_mg for d in doses if not d.is_placebo] == DELIVERED_MG
    placebo = [d for d in doses if d.is_placebo]
    assert [d.protein_mg for d in placebo] == [0, 0]  # review O6: a placebo holds no protein
    assert [d.food_amount for d in placebo] == [doses[2].food_amount, doses[4].food_amount]  # same as the twin
    challenge.refresh_from_db()
    assert challenge.status == Status.OBSERVING


def test_a_full_blinded_series_suggests_passed_on_active_doses_only(patient, dbpcfc, allergist, nurse, clock):
    challenge = _blinded(patient, dbpcfc, allergist, nurse)
    _all_doses(challenge, nurse, clock)
    state = selectors.run_state(Challenge.objects.get(pk=challenge.pk))
    assert state.result.total_protein_mg == sum(DELIVERED_MG)  # 4,442.245 mg: the placebo doses add nothing
    assert state.suggested_outcome == "passed"


# --- verdict, then unblinding ---------------------------------------------------------------------------------


def test_unblinding_needs_the_blinded_verdict_first(patient, dbpcfc, allergist, nurse, clock):
    challenge = _blinded(patient, dbpcfc, allergist, nurse)
    _all_doses(challenge, nurse, clock)
    assert_refused("verdict_first", lambda: runs.challenge_unblind(challenge=challenge, by=allergist))
    runs.blinded_verdict_record(challenge=challenge, by=allergist, reaction=False, after_dose=None)
    runs.challenge_unblind(challenge=challenge, by=allergist)
    challenge.refresh_from_db()
    assert challenge.verdict_at is not None
    assert challenge.verdict_at <= challenge.unblinded_at


def test_the_verdict_waits_for_the_end_of_dosing(patient, dbpcfc, allergist, nurse, clock):
    challenge = _blinded(patient, dbpcfc, allergist, nurse)
    _check_in(challenge, nurse, clock)
    _give(challenge, nurse, clock, 2)
    assert_refused(
        "verdict_before_dosing_ended",
        lambda: runs.blinded_verdict_record(challenge=challenge, by=allergist, reaction=True, after_dose=2),
    )


@pytest.mark.parametrize(("reaction", "after_dose"), [(True, None), (False, 3), (True, 12)])
def test_a_verdict_names_a_given_dose_or_none(patient, dbpcfc, allergist, nurse, clock, reaction, after_dose):
    challenge = _blinded(patient, dbpcfc, allergist, nurse)
    _all_doses(challenge, nurse, clock)
    assert_refused(
        "bad_verdict",
        lambda: runs.blinded_verdict_record(
            challenge=challenge, by=allergist, reaction=reaction, after_dose=after_dose
        ),
    )


def test_an_open_challenge_has_no_blinded_verdict(challenge, allergist, nurse, clock):
    assert_refused(
        "not_blinded",
        lambda: runs.blinded_verdict_record(challenge=challenge, by=allergist, reaction=False, after_dose=None),
    )


def _hives_after_dose_2(challenge, nurse, allergist, clock) -> None:
    """Dose 2 is placebo (ORDER); hives 10 min after it, and the allergist stops."""
    _check_in(challenge, nurse, clock)
    _give(challenge, nurse, clock, 2)
    clock.move(minutes=-20)
    runs.observation_record(
        challenge=challenge, by=nurse, item_code="skin_urticaria", severity=2, observed_at=clock.now
    )
    runs.alert_decide(alert=challenge.alerts.get(), by=allergist, decision="stop", reason="Hives")


def test_a_reaction_after_placebo_is_indeterminate_once_unblinded(patient, dbpcfc, allergist, nurse, clock):
    challenge = _blinded(patient, dbpcfc, allergist, nurse)
    _hives_after_dose_2(challenge, nurse, allergist, clock)
    challenge.refresh_from_db()
    runs.blinded_verdict_record(challenge=challenge, by=allergist, reaction=True, after_dose=2)
    blind = selectors.run_state(Challenge.objects.get(pk=challenge.pk))
    assert blind.suggested_outcome == "failed"  # while blind, the observer's view: a stop is a stop
    runs.challenge_unblind(challenge=challenge, by=allergist)
    state = selectors.run_state(Challenge.objects.get(pk=challenge.pk))
    assert state.suggested_outcome == "equivocal"
    assert state.result.eliciting_dose_mg is None  # the eliciting dose is never a placebo dose


# --- who sees the key -----------------------------------------------------------------------------------------

PLACEBO_MARKS = ("none (placebo)", 'text-bg-warning">placebo', "PLACEBO", "Placebo at dose", "[placebo]")


def _bodies(client, user, challenge) -> dict[str, str]:
    client.force_login(user)
    pages = {
        "page": client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode(),
        "board": client.get(reverse("challenges:board")).content.decode(),
        "fhir": client.get(reverse("challenges:challenge-fhir", args=[challenge.pk])).content.decode(),
        "csv": b"".join(client.get(reverse("challenges:export-doses")).streaming_content).decode("utf-8-sig"),
        "report": text(client.get(reverse("challenges:report", args=[challenge.pk])).content),
        "sheet": text(client.get(reverse("challenges:preparation-sheet", args=[challenge.pk])).content),
    }
    return pages


def assert_no_key(bodies: dict[str, str]) -> None:
    for name, body in bodies.items():
        for mark in PLACEBO_MARKS:
            assert mark not in body, f"{mark!r} in the {name}"


def test_the_key_never_leaks_to_a_nurse_or_allergist_before_unblinding(
    client, patient, dbpcfc, allergist, nurse, clock
):
    challenge = _blinded(patient, dbpcfc, allergist, nurse)
    _check_in(challenge, nurse, clock)
    _give(challenge, nurse, clock, 3)
    for user in (nurse, allergist):
        bodies = _bodies(client, user, challenge)
        assert_no_key(bodies)
        assert "Blinded dose 4" in bodies["page"]
        rows = list(csv.DictReader(io.StringIO(bodies["csv"])))
        assert [(r["placebo"], r["planned_protein_mg"], r["protein_mg"]) for r in rows] == [("blinded",) * 3] * 3
        assert "eliciting-dose" not in bodies["fhir"]
        response = client.get(reverse("challenges:blinded-key", args=[challenge.pk]))
        assert response.status_code == HTTPStatus.FORBIDDEN


def test_a_preparer_sees_the_key_and_prints_the_placebo_sheet(
    client, patient, dbpcfc, allergist, nurse, preparer, clock
):
    challenge = _blinded(patient, dbpcfc, allergist, nurse)
    _check_in(challenge, nurse, clock)
    _give(challenge, nurse, clock, 2)
    client.force_login(preparer)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "none (placebo)" in page  # dose 2
    assert reverse("challenges:blinded-key", args=[challenge.pk]) in page
    response = client.get(reverse("challenges:blinded-key", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    sheet = text(response.content)
    assert "Blinded dose key and placebo preparation (preparer only)" in sheet
    assert sheet.count("PLACEBO") == 2
    assert "2 PLACEBO" in sheet
    assert "6 PLACEBO" in sheet
    assert "Placebo, no peanut flour: Mix 1 g of the placebo stand-in into 100 mL of water" in sheet
    assert "1 (step 1)" in sheet
    assert "9 (step 7)" in sheet


def test_after_unblinding_the_report_prints_the_verdict_and_the_truth(client, patient, dbpcfc, allergist, nurse, clock):
    challenge = _blinded(patient, dbpcfc, allergist, nurse)
    _hives_after_dose_2(challenge, nurse, allergist, clock)
    client.force_login(allergist)
    response = client.post(reverse("challenges:unblind", args=[challenge.pk]))
    assert response.status_code == 400  # no verdict yet
    response = client.post(reverse("challenges:blinded-verdict", args=[challenge.pk]), {"after_dose": "2"})
    assert response.status_code == HTTPStatus.FOUND
    assert client.post(reverse("challenges:unblind", args=[challenge.pk])).status_code == HTTPStatus.FOUND
    report = text(client.get(reverse("challenges:report", args=[challenge.pk])).content)
    assert "Blinded verdict: reaction after dose 2" in report
    assert "Unblinded: dose 2 was a placebo dose: the test is indeterminate." in report
    assert "placebo at dose 2, 6" in report
    assert "none (placebo)" in report
    streamed = b"".join(client.get(reverse("challenges:export-doses")).streaming_content)
    rows = list(csv.DictReader(io.StringIO(streamed.decode("utf-8-sig"))))
    assert [(r["placebo"], r["protein_mg"]) for r in rows] == [("no", "2.871"), ("yes", "0")]  # review O6

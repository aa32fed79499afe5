"""A written reason posted through the real URLs goes through its form: too long or blank, it is refused.

Every page that takes a reason (cancel, stop, addendum, checks override, end of observation, entered in error,
release of a home step) answers 400 with the page again and the form's error on it, and stores nothing.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.home import services as home
from challenges.run import services as runs
from challenges.run.models import Challenge, PreChallengeCheck, Status
from tests.helpers import second_checker
from tests.run.helpers import db_state

LONG = "x" * 100_000
BLANK = " \n\t  "
TOO_LONG = "at most 2000 characters (it has 100000)"
ANSWERS = dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True)
BASELINE = {"heart_rate": 80, "systolic": 120, "diastolic": 70}


def assert_post_refused(client, url: str, reason: str, error: str):
    before = db_state()
    response = client.post(url, {"reason": reason})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert error in page  # said on the page, in words
    assert db_state() == before  # nothing stored
    return response


def _field_error(response) -> str:
    return " ".join(response.context["reason_form"].errors["reason"])


def _check_in(challenge: Challenge, nurse, clock, **answers: bool) -> None:
    runs.checks_record(
        challenge=challenge, by=nurse, answers={**ANSWERS, **answers}, baseline={**BASELINE, "taken_at": clock.now}
    )


def _dosing(challenge: Challenge, nurse, clock, doses: int = 1) -> None:
    _check_in(challenge, nurse, clock)
    for _ in range(doses):
        runs.dose_record(
            challenge=challenge,
            by=nurse,
            food_amount=None,
            given_at=clock.now,
            idempotency_key=uuid.uuid4(),
            checked_by=second_checker(challenge, nurse),
        )
        clock.move(minutes=30)


@pytest.mark.parametrize(("reason", "error"), [(LONG, TOO_LONG), (BLANK, "Give a written reason.")])
def test_cancel_refuses_a_reason_too_long_or_blank(client, challenge, nurse, clock, reason, error):
    client.force_login(nurse)
    response = assert_post_refused(client, reverse("challenges:cancel", args=[challenge.pk]), reason, error)
    assert error in _field_error(response)
    challenge.refresh_from_db()
    assert challenge.status == Status.PLANNED


def test_cancel_keeps_a_reason_of_the_longest_allowed_length(client, challenge, nurse, clock):
    """Positive control for the limit: 2000 characters (surrounding spaces stripped) are stored as written."""
    client.force_login(nurse)
    reason = "Unwell today. " * 142 + "Rebook."  # 1995 characters
    response = client.post(reverse("challenges:cancel", args=[challenge.pk]), {"reason": f"  {reason}  "})
    assert response.status_code == HTTPStatus.FOUND
    challenge.refresh_from_db()
    assert challenge.status == Status.CANCELLED
    assert challenge.events.get(to_status=Status.CANCELLED).reason == reason


@pytest.mark.parametrize(("reason", "error"), [(LONG, TOO_LONG), (BLANK, "Give a written reason.")])
def test_stop_refuses_a_reason_too_long_or_blank(client, challenge, nurse, clock, reason, error):
    _dosing(challenge, nurse, clock)
    client.force_login(nurse)
    response = assert_post_refused(client, reverse("challenges:stop", args=[challenge.pk]), reason, error)
    assert error in _field_error(response)
    challenge.refresh_from_db()
    assert challenge.status == Status.DOSING


@pytest.mark.parametrize(("reason", "error"), [(LONG, TOO_LONG), (BLANK, "Write the addendum.")])
def test_addendum_refuses_text_too_long_or_blank(client, challenge, nurse, allergist, clock, reason, error):
    _dosing(challenge, nurse, clock)
    runs.challenge_stop(challenge=challenge, by=nurse, reason="Child refused further doses")
    runs.outcome_confirm(
        challenge=challenge,
        by=allergist,
        data=runs.OutcomeInput("dose_not_reached", "Refusal", "wao_2010", "", "rechallenge", False),
    )
    clock.move(hours=2)  # the observation after the last dose has run
    runs.challenge_sign(challenge=challenge, by=allergist)
    client.force_login(allergist)
    response = assert_post_refused(client, reverse("challenges:addendum", args=[challenge.pk]), reason, error)
    assert error in _field_error(response)
    assert not challenge.events.filter(kind="addendum").exists()


@pytest.mark.parametrize(("reason", "error"), [(LONG, TOO_LONG), (BLANK, "Give a written reason.")])
def test_checks_override_refuses_a_reason_too_long_or_blank(client, challenge, nurse, allergist, clock, reason, error):
    _check_in(challenge, nurse, clock, no_illness=False)
    client.force_login(allergist)
    response = assert_post_refused(client, reverse("challenges:checks-override", args=[challenge.pk]), reason, error)
    assert error in _field_error(response)
    challenge.refresh_from_db()
    assert challenge.checks_override_reason == ""
    assert challenge.checks_override_by is None


def test_finish_observation_refuses_an_early_end_reason_too_long(client, challenge, nurse, allergist, clock):
    _dosing(challenge, nurse, clock, doses=7)
    client.force_login(allergist)
    response = assert_post_refused(
        client, reverse("challenges:finish-observation", args=[challenge.pk]), LONG, TOO_LONG
    )
    assert TOO_LONG in _field_error(response)
    challenge.refresh_from_db()
    assert challenge.status == Status.OBSERVING


def test_finish_observation_early_with_a_blank_reason_is_refused(client, challenge, nurse, allergist, clock):
    """The reason is optional once the period has run; to end it early, a blank one counts as none."""
    _dosing(challenge, nurse, clock, doses=7)
    client.force_login(allergist)
    response = assert_post_refused(
        client, reverse("challenges:finish-observation", args=[challenge.pk]), BLANK, "to run"
    )
    assert not response.context["reason_form"].errors
    challenge.refresh_from_db()
    assert challenge.status == Status.OBSERVING
    assert not challenge.events.filter(kind="observation_override").exists()


@pytest.mark.parametrize(("reason", "error"), [(LONG, TOO_LONG), (BLANK, "This field is required.")])
def test_entered_in_error_refuses_a_reason_too_long_or_blank(client, challenge, nurse, clock, reason, error):
    _dosing(challenge, nurse, clock, doses=2)
    dose = challenge.doses.get(sequence=2)
    client.force_login(nurse)
    response = assert_post_refused(
        client, reverse("challenges:dose-error", args=[challenge.pk, dose.pk]), reason, error
    )
    assert error in _field_error(response)
    assert "Why was this entered in error?" in response.content.decode()  # the field named by its label
    dose.refresh_from_db()
    assert not dose.entered_in_error
    assert dose.entered_in_error_reason == ""


def test_release_refuses_a_note_too_long(client, plan, patient_user, allergist, clock):  # noqa: F811
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    client.force_login(allergist)
    error = "at most 1000 characters (it has 100000)"
    response = assert_post_refused(client, reverse("challenges:home-release", args=[plan.pk]), LONG, error)
    assert error in _field_error(response)
    assert not plan.releases.exists()


def test_release_with_a_blank_note_releases_without_a_note(client, plan, patient_user, allergist, clock):  # noqa: F811
    """The release note is optional (the button reads "Note (optional)"): blank is no note, never stored as spaces."""
    home.patient_dose(challenge=plan, by=patient_user, given_at=clock.now, food_amount=None, key=uuid.uuid4())
    client.force_login(allergist)
    response = client.post(reverse("challenges:home-release", args=[plan.pk]), {"reason": BLANK})
    assert response.status_code == HTTPStatus.FOUND
    assert plan.releases.get().reason == ""
    assert plan.events.get(kind="step_released").reason == "Step 2."


def test_a_refused_rule_is_a_400_with_its_message_never_a_500(client, challenge, nurse, clock):
    """A DomainError from the service (here: a nurse may not override the checks) comes back as the page, 400."""
    _check_in(challenge, nurse, clock, no_illness=False)
    client.force_login(nurse)
    assert_post_refused(
        client,
        reverse("challenges:checks-override", args=[challenge.pk]),
        "Mild cold",
        "Only an allergist can do this.",
    )


def test_a_follow_up_form_error_names_the_field_by_its_label(client, challenge, nurse, clock):
    _dosing(challenge, nurse, clock)
    runs.challenge_stop(challenge=challenge, by=nurse, reason="Child refused further doses")
    follow_up = challenge.follow_ups.order_by("hours_after").first()
    client.force_login(nurse)
    before = db_state()
    response = client.post(
        reverse("challenges:follow-up", args=[challenge.pk, follow_up.pk]),
        {"method": "phone", "symptoms": "yes", "findings": " "},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert "What was found: Describe the symptoms." in page
    assert "findings:" not in page  # never the field's key
    assert db_state() == before

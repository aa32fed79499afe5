"""Issue 16, at the bedside and the desk, through the real URLs: the board's fragment (what it counts, and only the
clinic's own challenges), the keepalive of a running challenge's page, times stamped at submission, the countdown
as the card and the board show it, names in the staff pickers, and the one-tap actions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.models import Dose, Status, Treatment
from challenges.run import selectors
from challenges.run.services import challenge_schedule
from clinics.auth import EXTENDED_AT_SESSION_KEY
from tests.helpers import START
from tests.run.helpers import PASSING_CHECKS, give_dose, local, observe, pass_checks

FRAGMENT = reverse("challenges:board_fragment")


def _fragment(client) -> str:
    response = client.get(FRAGMENT)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def _count(page: str, name: str) -> int:
    """The number in the board's count badge named `name` (overrides, decisions, overdue, observations)."""
    marker = f'data-testid="count-{name}">'
    start = page.index(marker) + len(marker)
    return int(page[start : page.index("<", start)])


@pytest.fixture
def other_challenge(other_clinic_patient, other_clinic_allergist, other_clinic_nurse, practall, clock):
    return challenge_schedule(
        patient=other_clinic_patient,
        protocol=practall,
        scheduled_at=START,
        allergist=other_clinic_allergist,
        nurse=other_clinic_nurse,
        by=other_clinic_nurse,
    )


# --- the board's fragment ------------------------------------------------------------------------------------


def test_the_fragment_shows_only_the_clinics_own_challenges(client, nurse, challenge, other_challenge):
    client.force_login(nurse)
    page = _fragment(client)
    assert challenge.patient.full_name in page
    assert reverse("challenges:detail", args=[challenge.pk]) in page
    assert other_challenge.patient.full_name not in page
    assert reverse("challenges:detail", args=[other_challenge.pk]) not in page
    assert "<html" not in page  # the counts and rows alone, for board.js to put in place


def test_the_other_clinic_sees_its_own_board_only(client, other_clinic_nurse, challenge, other_challenge):
    client.force_login(other_clinic_nurse)
    page = _fragment(client)
    assert other_challenge.patient.full_name in page
    assert challenge.patient.full_name not in page


def test_a_patient_cannot_fetch_the_fragment(client, patient_user, challenge):
    client.force_login(patient_user)
    assert client.get(FRAGMENT).status_code == HTTPStatus.NOT_FOUND


def test_signed_out_the_fragment_sends_to_the_sign_in_page(client, challenge):
    response = client.get(FRAGMENT)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))


def test_the_board_page_polls_the_fragment(client, nurse, challenge, settings):
    settings.STEPWISE_BOARD_POLL_SECONDS = 7
    client.force_login(nurse)
    page = client.get(reverse("challenges:board")).content.decode()
    assert f'data-board-poll="{FRAGMENT}"' in page
    assert 'data-poll-seconds="7"' in page
    assert "stepwise/board.js" in page


def test_the_fragment_does_not_keep_the_session_alive(client, nurse, challenge):
    """A screen left on the board is not activity: its refresh leaves the idle deadline where it was."""
    client.force_login(nurse)
    _fragment(client)
    assert EXTENDED_AT_SESSION_KEY not in client.session
    client.get(reverse("challenges:board"))  # the user opening the board is
    assert EXTENDED_AT_SESSION_KEY in client.session


def test_a_failed_check_waits_for_the_override_on_the_card_the_board_and_home(client, nurse, allergist, challenge):
    client.force_login(nurse)
    failing = {**PASSING_CHECKS, "taken_at": local(START)}
    del failing["washout_confirmed"]
    assert client.post(reverse("challenges:checks", args=[challenge.pk]), failing).status_code == HTTPStatus.FOUND
    card = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "Waiting for the allergist's override" in card
    assert "Due now" not in card
    board = _fragment(client)
    assert 'data-testid="board-waiting-override"' in board
    assert "Override needed: pre-challenge checks not passed" in board
    assert _count(board, "overrides") == 1
    home = client.get(reverse("home")).content.decode()
    assert _count(home, "overrides") == 1
    # The allergist overrides with a reason: nothing waits any more, and the first dose is due.
    client.force_login(allergist)
    override = {"reason": "Cetirizine taken 3 days ago; low risk, discussed with the family."}
    assert client.post(reverse("challenges:checks-override", args=[challenge.pk]), override).status_code == 302
    board = _fragment(client)
    assert _count(board, "overrides") == 0
    assert "Due now" in board


def test_the_board_counts_a_stop_rule_waiting_for_a_decision(client, nurse, challenge, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now)
    assert _count(_fragment(client), "decisions") == 0
    clock.move(minutes=5)
    observe(client, challenge, "skin_urticaria", 2, clock.now, "hives on the trunk")
    page = _fragment(client)
    assert _count(page, "decisions") == 1
    assert "Stop rule met: allergist to decide" in page
    assert _count(client.get(reverse("home")).content.decode(), "decisions") == 1


def test_an_overdue_dose_is_amber_then_red_on_the_card_and_the_board(client, nurse, challenge, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now)
    due = selectors.run_state(selectors.with_run_data(type(challenge).objects.filter(pk=challenge.pk)).get()).due_at
    clock.move(seconds=(due - clock.now).total_seconds() - 19 * 60 - 25)
    card = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "19 min 25 s left" in card
    assert f"Due at {due.astimezone(START.tzinfo):%H:%M}" in card
    clock.move(minutes=19, seconds=25 + 4 * 60)  # 4 min past the due time: amber
    card = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "overdue 4 min" in card
    assert "is-overdue" in card
    board = _fragment(client)
    assert "overdue 4 min" in board
    assert _count(board, "overdue") == 1
    clock.move(minutes=8)  # 12 min past: red
    card = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "overdue 12 min" in card
    assert "is-late" in card
    assert "is-late" in _fragment(client)


def test_the_board_counts_an_observation_until_discharge(client, nurse, allergist, challenge, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now)
    clock.move(minutes=5)
    observe(client, challenge, "skin_urticaria", 2, clock.now)
    client.force_login(allergist)
    stop = {"reason": "Objective urticaria after dose 1.", "kind": "reaction"}
    assert client.post(reverse("challenges:stop", args=[challenge.pk]), stop).status_code == HTTPStatus.FOUND
    assert _count(_fragment(client), "observations") == 1


# --- keepalive -------------------------------------------------------------------------------------------------


def _keepalive(client, challenge):
    return client.post(reverse("challenges:keepalive", args=[challenge.pk]))


def test_a_running_challenges_page_keeps_the_session_alive(client, nurse, challenge, clock, settings):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert f'data-keepalive="{reverse("challenges:keepalive", args=[challenge.pk])}"' in page
    assert f'data-keepalive-seconds="{settings.STEPWISE_KEEPALIVE_SECONDS}"' in page
    session = client.session
    del session[EXTENDED_AT_SESSION_KEY]
    session.save()
    response = _keepalive(client, challenge)
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert EXTENDED_AT_SESSION_KEY in client.session  # the idle deadline was pushed on


def test_a_planned_challenge_does_not_keep_the_session_alive(client, nurse, challenge):
    client.force_login(nurse)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "data-keepalive=" not in page
    session = client.session
    del session[EXTENDED_AT_SESSION_KEY]
    session.save()
    response = _keepalive(client, challenge)
    assert response.status_code == HTTPStatus.CONFLICT
    assert EXTENDED_AT_SESSION_KEY not in client.session


def test_keepalive_is_scoped_post_only_and_stays_within_the_absolute_limit(
    client, nurse, other_clinic_nurse, challenge, clock, settings
):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    assert client.get(reverse("challenges:keepalive", args=[challenge.pk])).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    client.force_login(other_clinic_nurse)
    assert _keepalive(client, challenge).status_code == HTTPStatus.NOT_FOUND
    client.force_login(nurse)
    clock.move(seconds=settings.STEPWISE_SESSION_MAX_AGE + 60)
    # The clock fixture signs in again as it moves: put this session's sign-in back to 12 h 1 min ago, kept alive
    # by the page all along.
    session = client.session
    session["stepwise_login_at"] = int(START.timestamp())
    session.save()
    response = _keepalive(client, challenge)
    assert response.status_code == HTTPStatus.FOUND  # past 12 h since the password: signed out, whatever the page
    assert response["Location"].startswith(reverse("login"))


# --- times stamped at submission ---------------------------------------------------------------------------------


def _dose_data(challenge, client, when: str, marker: str | None) -> dict[str, str]:
    from clinics.models import User
    from tests.helpers import second_checker

    user = User.objects.get(pk=client.session["_auth_user_id"])
    data = {
        "given_at": when,
        "ate_all": "on",
        "idempotency_key": str(uuid.uuid4()),
        "checked_by": str(second_checker(challenge, user).pk),
    }
    if marker is not None:
        data["given_at_entry"] = marker
    return data


def test_a_page_left_open_records_the_moment_of_submission(client, nurse, challenge, clock):
    """The form drawn at dose 1 carries 09:00; pressed 30 min later, with the field untouched ("live"), the dose is
    given now: not refused as too early, and not recorded at the time the page was drawn."""
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now)
    drawn_at = local(clock.now)
    clock.move(minutes=30, seconds=26)
    response = client.post(
        reverse("challenges:dose", args=[challenge.pk]), _dose_data(challenge, client, drawn_at, "live")
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    dose = Dose.objects.filter(challenge=challenge).order_by("sequence").last()
    assert dose.sequence == 2
    assert dose.given_at == clock.now


def test_an_empty_time_means_now_without_javascript(client, nurse, challenge, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    clock.move(minutes=3)
    response = client.post(reverse("challenges:dose", args=[challenge.pk]), _dose_data(challenge, client, "", None))
    assert response.status_code == HTTPStatus.FOUND
    assert Dose.objects.get(challenge=challenge).given_at == clock.now


def test_a_time_the_user_typed_is_kept(client, nurse, challenge, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    clock.move(minutes=20)
    late_entry = clock.now - timedelta(minutes=15)
    data = _dose_data(challenge, client, local(late_entry), "typed")
    assert client.post(reverse("challenges:dose", args=[challenge.pk]), data).status_code == HTTPStatus.FOUND
    assert Dose.objects.get(challenge=challenge).given_at == late_entry


def test_a_typed_stale_time_is_still_checked_against_the_wait(client, nurse, challenge, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now)
    drawn_at = local(clock.now)
    clock.move(minutes=31)
    data = _dose_data(challenge, client, drawn_at, "typed")
    response = client.post(reverse("challenges:dose", args=[challenge.pk]), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Too early" in response.content.decode()


def test_time_fields_are_drawn_empty_with_their_marker(client, nurse, challenge, clock):
    """Drawn empty (static/stepwise/times.js shows the running clock): the page never carries a stale time."""
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    for name in ("given_at", "observed_at", "taken_at"):
        assert f'name="{name}_entry" value="" data-stamp-marker' in page
    assert f'value="{local(clock.now)}"' not in page
    assert "Leave it as it is to record the moment you press the button." in page


def test_a_finding_entered_later_is_timed_when_it_is_submitted(client, nurse, challenge, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now)
    drawn_at = local(clock.now)
    clock.move(minutes=4)
    data = {"item_code": "skin_erythema", "severity": "1", "observed_at": drawn_at, "observed_at_entry": "live"}
    assert client.post(reverse("challenges:observation", args=[challenge.pk]), data).status_code == HTTPStatus.FOUND
    assert challenge.observations.get().observed_at == clock.now  # not "0 min after the dose"


# --- staff pickers and one-tap actions ---------------------------------------------------------------------------


def test_the_booking_form_names_staff_and_preselects_the_allergist(client, allergist, nurse, patient, practall):
    client.force_login(allergist)
    page = client.get(reverse("challenges:schedule", args=[patient.pk])).content.decode()
    assert f'<option value="{allergist.pk}" selected>{allergist.display_name}</option>' in page
    assert f">{nurse.display_name}</option>" in page
    assert f">{nurse.username}</option>" not in page


def test_the_booking_form_preselects_the_nurse(client, nurse, patient, practall):
    client.force_login(nurse)
    page = client.get(reverse("challenges:schedule", args=[patient.pk])).content.decode()
    assert f'<option value="{nurse.pk}" selected>{nurse.display_name}</option>' in page


def test_one_tap_adrenaline_from_the_emergency_card(client, nurse, challenge, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "Adrenaline 0.5 mg IM given now (dose 1)" in page  # 60 kg: 0.01 mg/kg, at most 0.5 mg
    assert 'data-testid="adrenaline-now"' in page
    clock.move(minutes=2)
    key = str(uuid.uuid4())
    response = client.post(reverse("challenges:adrenaline", args=[challenge.pk]), {"idempotency_key": key})
    assert response.status_code == HTTPStatus.FOUND
    given = Treatment.objects.get(challenge=challenge)
    assert (given.kind, given.route, given.given_at) == ("adrenaline", "im", clock.now)
    assert given.dose.startswith("0.5 mg")
    client.post(reverse("challenges:adrenaline", args=[challenge.pk]), {"idempotency_key": key})
    assert Treatment.objects.filter(challenge=challenge).count() == 1  # a double tap is one dose


def test_symptoms_resolved_now_in_one_tap(client, nurse, allergist, challenge, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now)
    clock.move(minutes=5)
    observe(client, challenge, "skin_urticaria", 2, clock.now)
    client.force_login(allergist)
    stop = {"reason": "Objective urticaria after dose 1.", "kind": "reaction"}
    client.post(reverse("challenges:stop", args=[challenge.pk]), stop)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "Symptoms resolved now" in page
    clock.move(minutes=40)
    data = {"resolved_at": "", "resolved_at_entry": "live", "good_response": ""}
    response = client.post(reverse("challenges:symptoms-resolved", args=[challenge.pk]), data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    challenge.refresh_from_db()
    assert challenge.symptoms_resolved_at == clock.now
    assert challenge.status == Status.STOPPED

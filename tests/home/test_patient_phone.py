"""The patient's phone (issue 17, ux-walk 4): plain words, one entry per form, a withdrawn duplicate, a confirmation
that says what happens next, the clinic's decisions as messages, one plan per food, and emails. Real URLs."""

from __future__ import annotations

import logging
import re
import uuid
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.models import ChallengeEvent, Dose, Observation, Status, StopAlert, Treatment
from challenges.run import facts
from challenges.run import services as runs
from challenges.run.services import ChallengeRuleError
from clinical.units import unambiguous_decimal_comma
from tests.home.change_rows import plan_change_data
from tests.home.test_patient_flow import take_step
from tests.mailbox import mailbox_fixture  # noqa: F401 - the `mailbox` fixture (an SMTP server)
from tests.run.helpers import local


def _page(client, plan) -> str:
    return client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()


def _symptom(client, plan, now, item="mcas_headache", severity=1, key=None, follow=False):
    data = {"item_code": item, "severity": str(severity), "observed_at": local(now), "note": ""}
    data["submission_key"] = str(key or uuid.uuid4())
    return client.post(reverse("challenges:home-symptom", args=[plan.pk]), data, follow=follow)


def _hives(client, plan, clock):
    """A step, then hives the next morning: an objective sign, so the plan pauses for the clinic."""
    take_step(client, plan, clock.now)
    clock.move(hours=20)
    return _symptom(client, plan, clock.now, "skin_urticaria", 1, follow=True)


# --- plain words --------------------------------------------------------------------------------------------


def test_the_symptom_picker_speaks_plainly_and_preselects_nothing(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    page = _page(client, plan)
    picker = page[page.index('id="id_item_code"') : page.index("</select>", page.index('id="id_item_code"'))]
    assert "Hives (raised, itchy bumps" in picker
    assert "Flushing: the face, neck or chest turning red and hot" in picker
    assert "Urticaria" not in picker
    assert "Pruritus" not in picker
    assert '<option value="" selected>Choose what you noticed</option>' in picker
    assert 'name="severity" value="1" class="form-check-input" id="id_severity_0" required checked' not in page
    refused = client.post(
        reverse("challenges:home-symptom", args=[plan.pk]), {"observed_at": local(clock.now), "note": ""}
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose what you noticed." in refused.content.decode()
    assert "Choose how bad it is." in refused.content.decode()
    assert not Observation.objects.exists()


def test_a_single_decimal_comma_is_read_where_it_cannot_be_a_thousands_separator():
    assert unambiguous_decimal_comma("0,05") == "0.05"
    assert unambiguous_decimal_comma("12,5") == "12.5"
    assert unambiguous_decimal_comma("0,500") == "0.500"  # a whole 0 is never grouped
    assert unambiguous_decimal_comma("1,000") == "1,000"  # a thousand, or one? left for the check to refuse
    assert unambiguous_decimal_comma("1,000.5") == "1,000.5"
    assert unambiguous_decimal_comma("1,2,3") == "1,2,3"
    assert unambiguous_decimal_comma("0.05") == "0.05"


def test_the_patient_types_a_decimal_comma_and_gets_a_plain_error_when_ambiguous(client, plan, patient_user, clock):
    client.force_login(patient_user)
    refused = take_step(client, plan, clock.now, amount="1,000")
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Use a point for decimals, like 0.5" in refused.content.decode()
    assert "thousands grouping" not in refused.content.decode()
    assert not Dose.objects.exists()
    assert take_step(client, plan, clock.now, amount="0,05").status_code == HTTPStatus.FOUND
    assert Dose.objects.get().food_amount == Decimal("0.05")


# --- nothing recorded twice -------------------------------------------------------------------------------------


def test_a_symptom_sent_twice_with_its_key_is_recorded_once_and_says_so(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=5)
    key = uuid.uuid4()
    first = _symptom(client, plan, clock.now, key=key, follow=True).content.decode()
    assert "Saved: A headache, mild." in first
    again = _symptom(client, plan, clock.now, key=key, follow=True).content.decode()  # Back and send again
    assert "Already recorded" in again
    assert Observation.objects.filter(challenge=plan).count() == 1
    _symptom(client, plan, clock.now)  # a new form: a new entry
    assert Observation.objects.filter(challenge=plan).count() == 2


def _form(page: str, action: str, plan) -> str:
    form = page[page.index(reverse(f"challenges:{action}", args=[plan.pk])) :]
    return form[: form.index("</form>")]


def test_every_patient_form_carries_a_one_time_key(client, plan, patient_user, clock):
    client.force_login(patient_user)
    before = _page(client, plan)
    assert 'name="submission_key"' in _form(before, "home-premedication", plan)
    assert 'name="idempotency_key"' in _form(before, "home-step", plan)  # the step's own key (run.dose_record)
    take_step(client, plan, clock.now)
    after = _page(client, plan)
    for action in ("home-symptom", "home-usual"):
        assert 'name="submission_key"' in _form(after, action, plan), action


def test_premedication_usual_symptoms_and_correction_are_each_recorded_once(client, plan, patient_user, clock):
    client.force_login(patient_user)
    item = next(p.item for p in facts.planned_premedication(plan) if p.timed)
    premed = {"item": str(item.pk), "given_at": local(clock.now), "submission_key": str(uuid.uuid4())}
    url = reverse("challenges:home-premedication", args=[plan.pk])
    assert client.post(url, premed).status_code == HTTPStatus.FOUND
    assert "Already recorded" in client.post(url, premed, follow=True).content.decode()
    assert Treatment.objects.filter(challenge=plan).count() == 1
    take_step(client, plan, clock.now)
    usual = {"mcas_itch": "1", "submission_key": str(uuid.uuid4())}
    url = reverse("challenges:home-usual", args=[plan.pk])
    assert client.post(url, usual).status_code == HTTPStatus.FOUND
    assert "Already recorded" in client.post(url, usual, follow=True).content.decode()
    clock.move(hours=3)
    _symptom(client, plan, clock.now)
    original = Observation.objects.get()
    correction = {
        "item_code": "mcas_brain_fog",
        "severity": "1",
        "observed_at": local(clock.now),
        "note": "",
        "reason": "Wrong symptom chosen",
        "submission_key": str(uuid.uuid4()),
    }
    url = reverse("challenges:home-correct", args=[plan.pk, original.pk])
    assert client.post(url, correction).status_code == HTTPStatus.FOUND
    assert "Already recorded" in client.post(url, correction, follow=True).content.decode()
    assert Observation.objects.filter(challenge=plan).count() == 2


def test_a_follow_up_check_in_is_recorded_once(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    runs.challenge_stop(challenge=plan, by=allergist, reason="Stopping here")  # stopping schedules the check-ins
    follow_up = plan.follow_ups.order_by("due_at").first()
    data = {"method": "patient", "symptoms": "no", "findings": "", "submission_key": str(uuid.uuid4())}
    url = reverse("challenges:follow-up", args=[plan.pk, follow_up.pk])
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    again = client.post(url, data, follow=True).content.decode()
    assert "Already recorded" in again
    follow_up.refresh_from_db()
    assert follow_up.is_done


# --- a duplicate withdrawn, kept in the history ---------------------------------------------------------------


def test_the_patient_withdraws_a_duplicate_which_stays_crossed_out(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=5)
    _symptom(client, plan, clock.now)
    _symptom(client, plan, clock.now)  # the same symptom, sent again from a new form
    duplicate = Observation.objects.order_by("pk").last()
    url = reverse("challenges:home-withdraw", args=[plan.pk, "symptom", duplicate.pk])
    data = {"reason": "Recorded twice", "submission_key": str(uuid.uuid4())}
    page = client.post(url, data, follow=True).content.decode()
    assert "Withdrawn. It stays in your records, crossed out" in page
    duplicate.refresh_from_db()
    assert duplicate.entered_in_error
    assert duplicate.entered_in_error_reason == "Withdrawn by the patient: Recorded twice"
    assert Observation.objects.filter(challenge=plan).count() == 2  # nothing deleted
    assert "(Withdrawn by the patient: Recorded twice)" in page
    assert duplicate.history.count() == 2  # who and when: the history keeps the row before the withdrawal


def test_withdrawing_needs_a_reason_and_ones_own_entry(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clinicians = runs.observation_record(
        challenge=plan, by=allergist, item_code="mcas_itch", severity=1, observed_at=clock.now
    )
    url = reverse("challenges:home-withdraw", args=[plan.pk, "symptom", clinicians.pk])
    refused = client.post(url, {"reason": "Not mine", "submission_key": str(uuid.uuid4())})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "only what you recorded yourself" in refused.content.decode()
    blank = client.post(url, {"reason": "", "submission_key": str(uuid.uuid4())})
    assert blank.status_code == HTTPStatus.BAD_REQUEST
    clinicians.refresh_from_db()
    assert not clinicians.entered_in_error
    unknown = reverse("challenges:home-withdraw", args=[plan.pk, "dose", clinicians.pk])
    assert client.post(unknown, {"reason": "x"}).status_code == HTTPStatus.NOT_FOUND


def test_withdraw_service_codes(plan, patient_user, allergist, clock):
    from challenges.home.services import patient_withdraw_entry

    runs.dose_record(
        challenge=plan, by=patient_user, food_amount=None, given_at=clock.now, idempotency_key=uuid.uuid4()
    )
    clinicians = runs.observation_record(
        challenge=plan, by=allergist, item_code="mcas_itch", severity=1, observed_at=clock.now
    )
    with pytest.raises(ChallengeRuleError) as refused:
        patient_withdraw_entry(record=clinicians, by=patient_user, reason="Not mine")
    assert refused.value.code == "not_own_entry"
    with pytest.raises(ChallengeRuleError) as blank:
        patient_withdraw_entry(record=clinicians, by=allergist, reason="  ")
    assert blank.value.code == "reason_required"


# --- the confirmation, and the pause in plain words -------------------------------------------------------------


def test_hives_pause_the_plan_and_the_confirmation_says_what_happens_next(client, plan, patient_user, clock):
    client.force_login(patient_user)
    page = _hives(client, plan, clock).content.decode()
    flash = page[page.index('data-testid="flash">Saved: Hives') :]
    flash = flash[: flash.index("</div>")]
    assert "Saved: Hives (raised, itchy bumps or welts) or swelling of the lips, eyes or face, mild." in flash
    assert "Your clinic will see this. Do not take the next step: your plan is paused" in flash
    assert page.index(flash) < page.index('data-testid="paused"') < page.index("Record a symptom")
    paused = page[page.index('data-testid="paused"') :]
    reasons = paused[paused.index('data-testid="pause-reasons"') : paused.index("</ul>")]
    assert "Hives (raised, itchy bumps or welts) or swelling of the lips, eyes or face, mild" in reasons
    assert "Objective sign" not in page
    assert "Urticaria" not in page
    plan.refresh_from_db()
    assert plan.status == Status.PAUSED


def test_a_symptom_that_does_not_pause_says_to_keep_watching_or_waiting(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=40)
    page = _symptom(client, plan, clock.now, "mcas_itch", 1, follow=True).content.decode()
    assert "Saved: Itching anywhere on the body, mild. Your clinic will see this. Do not take the next step before" in (
        page
    )


# --- the clinic's decisions reach the patient --------------------------------------------------------------------


def test_a_repeat_decision_appears_as_a_message_and_in_my_steps(
    client,
    plan,
    patient_user,
    allergist,
    clock,
    mailbox,
    django_capture_on_commit_callbacks,
):
    patient_user.email = "zoe@example.org"
    patient_user.save()
    client.force_login(patient_user)
    _hives(client, plan, clock)
    alert = StopAlert.objects.get(challenge=plan)
    client.force_login(allergist)
    data = {"decision": "repeat", "reason": "A few hives only: repeat the same amount with cromolyn"}
    with django_capture_on_commit_callbacks(execute=True):
        decided = client.post(reverse("challenges:decide", args=[plan.pk, alert.pk]), data)
    assert decided.status_code == HTTPStatus.FOUND
    client.force_login(patient_user)
    page = _page(client, plan)
    message = page[page.index('data-testid="clinic-message"') :]
    message = message[: message.index("</section>")]
    assert "decided: take the same step again" in message
    assert "Why: A few hives only: repeat the same amount with cromolyn" in message
    assert "take step 1 again, the same amount, from" in message
    assert "Amira Okafor" in message
    steps = page[page.index('data-testid="calendar"') :]
    assert "Step 1</strong>" in steps[: steps.index('data-testid="my-next-step"')]  # taken
    nxt = steps[steps.index('data-testid="my-next-step"') :]
    assert nxt.index("Step 1 (again)") < nxt.index("Step 2</strong>")
    assert "Objective sign" not in page
    # The hives the clinic has decided on are not listed again as a reason to pause (ux-walk 4.7).
    assert 'data-testid="pause-reasons"' not in page
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "zoe@example.org"
    assert "a message from Northside Test Clinic" in mail["Subject"]
    body = mailbox.body(mail)
    assert f"/challenges/{plan.pk}/plan/" in body
    assert "hives" not in body.lower()  # no clinical detail in an email


def test_a_release_and_a_plan_change_are_messages_too(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    client.force_login(allergist)
    client.post(reverse("challenges:home-release", args=[plan.pk]), {"reason": "Go ahead when unlocked"})
    clock.move(minutes=5)
    client.force_login(allergist)
    change = plan_change_data([("12.5", "g", "4"), ("25", "g", "4")], reason="Smaller steps after the flushing")
    assert client.post(reverse("challenges:home-change", args=[plan.pk]), change).status_code == HTTPStatus.FOUND
    client.force_login(patient_user)
    page = _page(client, plan)
    latest = page[page.index('data-testid="clinic-message"') :]
    assert "Your clinic has changed your plan from here on." in latest[: latest.index("</section>")]
    assert "Why: Smaller steps after the flushing" in latest[: latest.index("</section>")]
    earlier = page[page.index('data-testid="clinic-messages"') :]
    assert "Your clinic has released your next step. Why: Go ahead when unlocked" in earlier
    assert "Step 3</strong>: 25 g" in page  # My steps follows the changed plan


def test_a_stop_is_a_message_with_what_to_do_next(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    runs.challenge_stop(challenge=plan, by=allergist, reason="Flushing every time")
    page = _page(client, plan)
    message = page[page.index('data-testid="clinic-message"') :]
    assert "Your clinic has stopped this plan." in message
    assert "Why: Flushing every time" in message
    assert "do not eat any more cheesecake unless your clinic tells you" in message
    assert "Not taken: the plan has ended" in page


def test_locked_until_never_blames_the_watch_window_when_the_plan_waits_longer(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    page = _page(client, plan)
    locked = page[page.index('data-testid="locked"') :]
    locked = locked[: locked.index("</p>")]
    watch = page[page.index('data-testid="watch"') :]
    if plan.protocol.steps.get(number=1).interval_minutes > plan.protocol.watch_hours * 60:
        assert "your plan waits this long between steps" in locked
        assert "watch window" not in locked
    else:
        assert "watch window" in locked
    assert "Watch for symptoms" in watch


# --- notifications by email --------------------------------------------------------------------------------------


def test_the_clinic_is_emailed_when_a_plan_pauses(
    client,
    plan,
    patient_user,
    clock,
    mailbox,
    django_capture_on_commit_callbacks,
):
    plan.clinic.email = "allergy-team@example.org"
    plan.clinic.save()
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=20)
    with django_capture_on_commit_callbacks(execute=True):
        _symptom(client, plan, clock.now, "skin_urticaria", 1)
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "allergy-team@example.org"
    assert "a home plan has paused (patient A-0001)" in mail["Subject"]
    assert f"/challenges/{plan.pk}/" in mailbox.body(mail)
    assert "Zoë" not in mailbox.body(mail)  # the record number, never the name


def test_no_email_when_the_clinic_has_no_address_or_nothing_paused(
    client,
    plan,
    patient_user,
    clock,
    mailbox,
    django_capture_on_commit_callbacks,
):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=20)
    with django_capture_on_commit_callbacks(execute=True):
        _symptom(client, plan, clock.now, "skin_urticaria", 1)  # paused, but the clinic has no address
    plan.clinic.email = "allergy-team@example.org"
    plan.clinic.save()
    clock.move(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        _symptom(client, plan, clock.now, "mcas_headache", 1)  # already paused: no second email
    assert mailbox.wait_for(1, timeout=1) == []


def test_a_failing_mail_server_never_loses_the_record(
    client, plan, patient_user, clock, settings, caplog, django_capture_on_commit_callbacks
):
    plan.clinic.email = "allergy-team@example.org"
    plan.clinic.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, False, 2
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=20)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = _symptom(client, plan, clock.now, "skin_urticaria", 1)
    assert response.status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert plan.status == Status.PAUSED
    assert Observation.objects.filter(challenge=plan, item_code="skin_urticaria").exists()
    assert "was not sent" in caplog.text


# --- one plan at a time per food -------------------------------------------------------------------------------


def _book_again(by, plan, reason=""):
    return runs.challenge_schedule(
        patient=plan.patient,
        protocol=plan.protocol,
        scheduled_at=plan.scheduled_at,
        allergist=plan.allergist,
        nurse=None,
        by=by,
        first_step_in_clinic=False,
        replace_reason=reason,
    )


def test_a_second_plan_for_the_same_food_is_refused_while_one_is_open(
    client, plan, patient_user, allergist, nurse, clock
):
    client.force_login(patient_user)
    _hives(client, plan, clock)  # paused
    with pytest.raises(ChallengeRuleError) as refused:
        _book_again(allergist, plan)
    assert refused.value.code == "home_plan_open"
    assert "already has a home plan for Cheesecake (paused" in refused.value.message
    with pytest.raises(ChallengeRuleError) as nurse_refused:
        _book_again(nurse, plan, reason="Start again")
    assert nurse_refused.value.code == "replace_needs_allergist"
    assert plan.patient.challenges.count() == 1
    plan.refresh_from_db()
    assert plan.status == Status.PAUSED


def test_an_allergist_replaces_an_open_plan_with_a_reason_and_the_old_one_stays_readable(
    client, plan, patient_user, allergist, clock
):
    client.force_login(patient_user)
    _hives(client, plan, clock)
    new = _book_again(allergist, plan, reason="Start again with cromolyn twice a day")
    plan.refresh_from_db()
    assert plan.status == Status.STOPPED
    assert StopAlert.objects.get(challenge=plan).decision == "stop"  # the open alert is decided, not left hanging
    event = ChallengeEvent.objects.filter(challenge=plan, to_status=Status.STOPPED).get()
    assert event.reason == "Replaced by a new home plan: Start again with cromolyn twice a day"
    page = _page(client, new)
    others = page[page.index('data-testid="other-plans"') :]
    assert reverse("challenges:home-plan", args=[plan.pk]) in others
    old = _page(client, plan)
    assert "Hives (raised, itchy bumps or welts)" in old  # her records are still there
    assert "Why: Replaced by a new home plan: Start again with cromolyn twice a day" in old


def _book_after_the_check(client, url, data):
    """Post the booking; when the medication check is shown first, post it again as seen (the user read it)."""
    response = client.post(url, data)
    match = re.search(r'name="reviewed" value="([0-9a-f]+)"', response.content.decode())
    if response.status_code == HTTPStatus.OK and match:
        response = client.post(url, {**data, "reviewed": match.group(1)})
    return response


def test_the_booking_page_refuses_then_replaces(client, plan, allergist, clock):
    client.force_login(allergist)
    url = reverse("challenges:schedule", args=[plan.patient.pk])
    data = {
        "protocol": str(plan.protocol.pk),
        "scheduled_at": local(clock.now),
        "allergist": str(allergist.pk),
        "purpose": "diagnosis",
        "first_step_in_clinic": "false",
        "submission_key": str(uuid.uuid4()),
    }
    refused = _book_after_the_check(client, url, data)
    assert "already has a home plan for Cheesecake" in refused.content.decode()
    assert plan.patient.challenges.count() == 1
    data.update(replace_reason="Booked the wrong week", submission_key=str(uuid.uuid4()))
    assert _book_after_the_check(client, url, data).status_code == HTTPStatus.FOUND
    assert plan.patient.challenges.count() == 2
    plan.refresh_from_db()
    assert plan.status == Status.CANCELLED  # not started: cancelled, with the reason


def test_a_new_plan_is_booked_once_the_earlier_one_has_ended(plan, allergist, clock):
    runs.challenge_cancel(challenge=plan, by=allergist, reason="Not now")
    assert _book_again(allergist, plan).status == Status.PLANNED


# --- phone details -----------------------------------------------------------------------------------------------


def test_phone_numbers_are_tap_to_call_links(client, plan, patient_user, clock):
    plan.clinic.phone = "+44 20 7946 0000"
    plan.clinic.save()
    plan.patient.emergency_contact_name = "Sam"
    plan.patient.emergency_contact_phone = "07700 900123"
    plan.patient.save()
    client.force_login(patient_user)
    page = _page(client, plan)
    assert '<a href="tel:+442079460000" data-testid="clinic-phone">+44 20 7946 0000</a>' in page
    assert 'href="tel:07700900123"' in page

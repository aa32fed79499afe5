"""The patient's home reintroduction through real URLs: today's step, locks, delayed symptoms, release, corrections."""

from __future__ import annotations

import uuid
from http import HTTPStatus

from django.urls import reverse

from challenges.models import Observation, Status, StopAlert
from tests.factories import PatientFactory, UserFactory
from tests.home.change_rows import plan_change_data
from tests.run.helpers import local


def take_step(client, plan, now, amount=""):
    data = {"given_at": local(now), "idempotency_key": str(uuid.uuid4())}
    data.update({"food_amount": amount} if amount else {"ate_all": "on"})
    return client.post(reverse("challenges:home-step", args=[plan.pk]), data)


def symptom(client, plan, now, item="mcas_flushing", severity=1, note=""):
    data = {"item_code": item, "severity": str(severity), "observed_at": local(now), "note": note}
    return client.post(reverse("challenges:home-symptom", args=[plan.pk]), data)


def test_patient_lands_on_plan_with_todays_step_and_premedication(client, plan, patient_user):
    client.force_login(patient_user)
    home = client.get(reverse("home"))
    assert home["Location"] == reverse("challenges:home-plan", args=[plan.pk])
    page = client.get(home["Location"]).content.decode()
    today = page[page.index('data-testid="today"') :]
    assert "Today's step" in today
    assert "step 1 of 10" in today  # the gentle ladder (docs/clinical-sources.md §11.1)
    assert "crumb" in today
    assert "0.1 g" in today
    assert "Take 200 mg of Cromolyn sodium, by mouth (mast-cell medicine) 30 minutes before you eat each step." in today
    usual = "Keep taking your usual antihistamine (allergy medicine such as cetirizine or fexofenadine) every day"
    assert usual in today  # plain words, not "H1 antihistamine (usual)" (ux-walk 4.4)
    watch = page[page.index('data-testid="watch-list"') :]
    assert "Hives (raised, itchy bumps or welts)" in watch  # what to watch for, in plain words
    assert "Urticaria" not in watch
    assert "adrenaline auto-injector" in page.lower()


def test_premedication_and_step_recorded_by_the_patient(client, plan, patient_user, clock):
    client.force_login(patient_user)
    item = plan.protocol.premedications.get(before_each_step=True)
    premed = {"item": str(item.pk), "given_at": local(clock.now)}
    assert client.post(reverse("challenges:home-premedication", args=[plan.pk]), premed).status_code == HTTPStatus.FOUND
    clock.move(minutes=30)
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    dose = plan.doses.get()
    assert dose.source == "patient"
    assert dose.given_by == patient_user
    assert dose.step_number == 1
    assert plan.treatments.get().source == "patient"
    assert plan.status == Status.DOSING


def test_next_step_locked_until_the_watch_window_passes(client, plan, patient_user, clock):
    client.force_login(patient_user)
    first = take_step(client, plan, clock.now)
    assert first.status_code == HTTPStatus.FOUND, first.content.decode()[-3000:]
    clock.move(hours=47)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert 'data-testid="locked"' in page
    assert "Locked until Sunday 29 November, 09:00" in page
    assert 'data-testid="take-step"' not in page
    refused = take_step(client, plan, clock.now)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Too early" in refused.content.decode()
    assert plan.doses.count() == 1
    clock.move(hours=25)  # 72 h: the 3-day step interval (it covers the 48 h watch window)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert "Today's step" in page
    assert "1/16 serving" in page
    assert "6.25 g" in page
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND
    assert plan.doses.count() == 2


def test_delayed_symptom_pauses_the_plan_with_advice(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=30)  # flushing 30 h later
    assert symptom(client, plan, clock.now, "mcas_flushing", 2, "face and chest").status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert plan.status == Status.PAUSED
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    paused = page[page.index('data-testid="paused"') :]
    assert "Your plan is paused" in paused
    assert "Do not take the next step" in paused
    assert "Flushing" in paused
    assert "0.3 mg" in paused
    assert "call emergency services" in paused
    clock.move(hours=60)
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.BAD_REQUEST
    # The clinic sees it on its attention page.
    client.force_login(allergist)
    attention = client.get(reverse("challenges:home-attention")).content.decode()
    assert patient_user.patient_record.full_name in attention
    assert "Paused" in attention


def test_allergist_decision_and_release_unlock_the_next_step(client, plan, patient_user, allergist, clock):
    plan.clinic.home_steps_need_release = True
    plan.clinic.save()
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=73)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert "Waiting for your allergist to release this step" in page
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.BAD_REQUEST
    # A patient cannot release their own step.
    assert client.post(reverse("challenges:home-release", args=[plan.pk])).status_code == HTTPStatus.NOT_FOUND
    client.force_login(allergist)
    assert client.post(reverse("challenges:home-release", args=[plan.pk]), {"reason": "Step 1 fine"}).status_code == 302
    client.force_login(patient_user)
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND
    assert plan.releases.get().step_number == 2


def test_allergist_continue_after_pause(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=30)
    symptom(client, plan, clock.now, "mcas_flushing", 1)
    alert = StopAlert.objects.get(challenge=plan)
    client.force_login(allergist)
    response = client.post(
        reverse("challenges:decide", args=[plan.pk, alert.pk]),
        {"decision": "continue", "reason": "Flushing after a hot shower, not the food"},
    )
    assert response.status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert plan.status == Status.DOSING
    clock.move(hours=43)
    client.force_login(patient_user)
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND


def test_patient_cannot_see_or_change_another_patients_plan(client, plan, clinic, clock):
    other = PatientFactory(clinic=clinic, family_name="Neighbour")
    other_user = UserFactory(username="other-patient", role="patient", clinic=clinic)
    other.user = other_user
    other.save()
    client.force_login(other_user)
    assert client.get(reverse("challenges:home-plan", args=[plan.pk])).status_code == HTTPStatus.NOT_FOUND
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.NOT_FOUND
    assert symptom(client, plan, clock.now).status_code == HTTPStatus.NOT_FOUND
    assert not plan.doses.exists()
    assert not plan.observations.exists()
    # Nor the clinic's pages.
    assert client.get(reverse("challenges:detail", args=[plan.pk])).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("challenges:home-attention")).status_code == HTTPStatus.NOT_FOUND


def test_corrections_add_and_never_overwrite(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=5)
    symptom(client, plan, clock.now, "mcas_headache", 1, "mild")
    original = Observation.objects.get()
    url = reverse("challenges:home-correct", args=[plan.pk, original.pk])
    data = {
        "item_code": "mcas_brain_fog",
        "severity": "1",
        "observed_at": local(clock.now),
        "note": "",
        "reason": "Wrong symptom chosen",
    }
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    original.refresh_from_db()
    assert original.entered_in_error
    assert original.entered_in_error_reason == "Corrected: Wrong symptom chosen"
    assert original.item_code == "mcas_headache"  # unchanged
    assert Observation.objects.count() == 2
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert "entered-in-error" in page
    assert "Brain fog" in page


def test_patient_cannot_correct_a_clinicians_entry(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    client.force_login(allergist)
    from challenges.run.services import observation_record

    entry = observation_record(challenge=plan, by=allergist, item_code="mcas_itch", severity=1, observed_at=clock.now)
    client.force_login(patient_user)
    url = reverse("challenges:home-correct", args=[plan.pk, entry.pk])
    data = {"item_code": "mcas_itch", "severity": "2", "observed_at": local(clock.now), "reason": "worse"}
    response = client.post(url, data)
    assert "only what you recorded yourself" in response.content.decode()
    entry.refresh_from_db()
    assert not entry.entered_in_error


def test_step_taken_late_is_shown_as_late(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(days=4)  # planned for day 3
    take_step(client, plan, clock.now)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    calendar = page[page.index('data-testid="calendar"') :]
    assert "on the planned day" in calendar
    assert "1 day late" in calendar


def test_change_plan_creates_a_new_version_for_the_patient(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    old_protocol = plan.protocol
    client.force_login(allergist)
    data = plan_change_data([("3", "g", "4"), ("6", "g", "4"), ("12.5", "g", "4")], reason="Slower after flushing")
    assert client.post(reverse("challenges:home-change", args=[plan.pk]), data).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert plan.protocol != old_protocol
    assert [s.food_amount for s in plan.protocol.steps.order_by("number")] == [
        old_protocol.steps.get(number=1).food_amount,
        3,
        6,
        12.5,
    ]
    assert old_protocol.steps.count() == 10  # the old version is untouched
    assert plan.events.filter(kind="plan_changed").exists()
    bad = client.post(
        reverse("challenges:home-change", args=[plan.pk]), plan_change_data([("١٢", "g", "3")], reason="x")
    )
    assert bad.status_code == HTTPStatus.OK
    assert "0-9" in bad.content.decode()

"""At home every symptom pauses the next step until the watch window passes without recurrence, or the clinic
releases it; "my usual symptoms" (MCAS) are recorded but judged against their usual grade (clinical review S1, D4).
Through the real URLs."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse

from challenges.models import Status
from tests.home.test_patient_flow import symptom, take_step


def _page(client, plan) -> str:
    return client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()


def test_a_mild_itch_pauses_the_next_step_for_the_watch_window(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=40)
    assert symptom(client, plan, clock.now, "mcas_itch", 1).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert not plan.alerts.exists()  # no stop rule: the pause is the watch window
    clock.move(hours=32)  # 72 h: the step interval has passed, the watch window from the itch (48 h) has not
    page = _page(client, plan)
    assert 'data-testid="symptom-pause"' in page
    assert "Paused: you recorded a symptom" in page
    refused = take_step(client, plan, clock.now)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "pauses the next step until" in refused.content.decode()
    clock.move(hours=16, minutes=-1)
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.BAD_REQUEST
    clock.move(minutes=1)  # 48 h after the itch, with no recurrence
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND


def test_a_recurrence_starts_the_wait_again(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=40)
    symptom(client, plan, clock.now, "mcas_headache", 1)
    clock.move(hours=40)
    # Another symptom (the same one again, with no "absent" between, would read as persisting: a hold)
    symptom(client, plan, clock.now, "mcas_itch", 1)
    clock.move(hours=47)
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.BAD_REQUEST
    clock.move(hours=1)
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND


def test_the_clinic_can_release_a_paused_step(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=40)
    symptom(client, plan, clock.now, "mcas_itch", 1)
    clock.move(hours=32)
    client.force_login(allergist)
    released = client.post(reverse("challenges:home-release", args=[plan.pk]), {"reason": "Itch is her usual"})
    assert released.status_code == HTTPStatus.FOUND
    client.force_login(patient_user)
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND


def test_usual_symptoms_at_their_usual_grade_pause_nothing(client, plan, patient_user, clock):
    client.force_login(patient_user)
    saved = client.post(
        reverse("challenges:home-usual", args=[plan.pk]), {"mcas_itch": "1", "mcas_headache": "2", "mcas_flushing": "0"}
    )
    assert saved.status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert plan.usual_symptoms == {"mcas_itch": 1, "mcas_headache": 2}
    take_step(client, plan, clock.now)
    clock.move(hours=40)
    symptom(client, plan, clock.now, "mcas_itch", 1)
    symptom(client, plan, clock.now, "mcas_headache", 2)
    plan.refresh_from_db()
    assert not plan.alerts.exists()
    assert plan.observations.count() == 2  # recorded all the same
    clock.move(hours=32)
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND


def test_a_usual_symptom_worse_than_usual_pauses_and_holds(client, plan, patient_user, clock):
    client.force_login(patient_user)
    client.post(reverse("challenges:home-usual", args=[plan.pk]), {"mcas_itch": "1"})
    take_step(client, plan, clock.now)
    clock.move(hours=40)
    symptom(client, plan, clock.now, "mcas_itch", 2)
    plan.refresh_from_db()
    assert plan.alerts.get().is_hold
    assert plan.status == Status.PAUSED

"""Premedication before a home step, through the real pages: the dose by age, the lead time, refuse or flag."""

from __future__ import annotations

import uuid
from datetime import date
from http import HTTPStatus

from django.urls import reverse

from challenges.library.models import PremedicationItem
from challenges.run.models import ChallengeEvent, EventKind, Treatment
from tests.reports.helpers import text
from tests.run.helpers import local


def _item(plan) -> PremedicationItem:
    return plan.protocol.premedications.get(before_each_step=True)


def _refusing(plan) -> None:
    item = _item(plan)
    item.if_not_taken = "refuse"
    item.save()


def take_premedication(client, plan, now):
    data = {"item": str(_item(plan).pk), "given_at": local(now)}
    return client.post(reverse("challenges:home-premedication", args=[plan.pk]), data)


def take_step(client, plan, now):
    data = {"given_at": local(now), "idempotency_key": str(uuid.uuid4()), "ate_all": "on"}
    return client.post(reverse("challenges:home-step", args=[plan.pk]), data, follow=True)


def _plan_page(client, plan) -> str:
    return client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()


def test_the_page_says_when_the_step_can_be_eaten(client, plan, patient_user, clock):
    client.force_login(patient_user)
    assert take_premedication(client, plan, clock.now).status_code == HTTPStatus.FOUND
    page = _plan_page(client, plan)
    assert "You took it at 09:00: eat this step from 09:30." in page
    assert Treatment.objects.get(challenge=plan).premedication_item == _item(plan)


def test_a_step_sooner_than_the_lead_time_is_recorded_and_flagged(client, plan, patient_user, allergist, clock):
    """The standard MCAS plan flags (a step already eaten must still be recorded); the clinic sees why."""
    client.force_login(patient_user)
    take_premedication(client, plan, clock.now)
    clock.move(minutes=29)
    page = take_step(client, plan, clock.now).content.decode()
    assert "Saved: you ate step" in page
    assert "Your clinic will see this: Cromolyn sodium (oral) was taken 29 min before this step" in page
    assert plan.doses.count() == 1
    flag = ChallengeEvent.objects.get(challenge=plan, kind=EventKind.PREMEDICATION_FLAG)
    assert flag.reason.startswith("Step 1: Cromolyn sodium (oral) was taken 29 min before this step")
    client.force_login(allergist)
    detail = client.get(reverse("challenges:detail", args=[plan.pk])).content.decode()
    assert "premedication not taken as planned" in detail


def test_a_step_at_the_lead_time_is_not_flagged(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_premedication(client, plan, clock.now)
    clock.move(minutes=30)
    page = take_step(client, plan, clock.now).content.decode()
    assert "Saved: you ate step" in page
    assert "Your clinic will see this" not in page
    assert not ChallengeEvent.objects.filter(challenge=plan, kind=EventKind.PREMEDICATION_FLAG).exists()


def test_a_refusing_item_refuses_the_step_until_the_lead_time(client, plan, patient_user, clock):
    _refusing(plan)
    client.force_login(patient_user)
    refused = take_step(client, plan, clock.now)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "is not recorded as taken for this step" in refused.content.decode()
    take_premedication(client, plan, clock.now)
    clock.move(minutes=29)
    refused = take_step(client, plan, clock.now)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "The step can be taken from 09:30." in refused.content.decode()
    assert plan.doses.count() == 0
    clock.move(minutes=1)
    assert "Saved: you ate step" in take_step(client, plan, clock.now).content.decode()
    assert plan.doses.count() == 1


def test_the_next_step_needs_a_new_premedication(client, plan, patient_user, clock):
    _refusing(plan)
    client.force_login(patient_user)
    take_premedication(client, plan, clock.now)
    clock.move(minutes=30)
    take_step(client, plan, clock.now)
    clock.move(days=3)
    refused = take_step(client, plan, clock.now)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "is not recorded as taken for this step" in refused.content.decode()


def test_a_childs_dose_follows_the_label_by_age(client, plan, patient_user, clock):
    plan.patient.date_of_birth = date(2014, 1, 1)  # 12 on the plan's first day: 100 mg
    plan.patient.save()
    client.force_login(patient_user)
    page = _plan_page(client, plan)
    assert "Take 100 mg of Cromolyn sodium, by mouth (mast-cell medicine) 30 minutes before you eat each step." in page
    assert "Do not mix it with fruit juice, milk or food." in page
    assert "This plan is for someone who has taken it regularly for at least 4 weeks." in page
    take_premedication(client, plan, clock.now)
    assert Treatment.objects.get(challenge=plan).dose == "100 mg"


def test_the_plan_warns_when_the_medication_list_lacks_the_regimen(client, plan, allergist):
    client.force_login(allergist)
    detail = client.get(reverse("challenges:detail", args=[plan.pk])).content.decode()
    assert "The plan expects Cromolyn sodium (oral) as an established regimen, for at least 4 weeks" in detail


def test_the_report_lists_a_flagged_step_as_a_deviation(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)  # no premedication recorded: flagged (the standard plan flags)
    client.force_login(allergist)
    body = text(client.get(reverse("challenges:report", args=[plan.pk])).content)
    assert "Premedication not taken as planned: Step 1: Cromolyn sodium (oral) is not recorded as taken" in body

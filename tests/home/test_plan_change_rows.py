"""'Change the plan going forward' (issue 16): the plan's remaining steps as rows prefilled from the plan, rows
changed, added and removed, posted as a browser posts the page; the same plan_change service underneath."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse

from challenges.library.models import Protocol
from challenges.run.services import challenge_schedule
from clinical.kinds import DAY
from tests.helpers import START
from tests.home.test_patient_flow import take_step


def _page(client, plan):
    return client.get(reverse("challenges:home-change", args=[plan.pk]))


def _as_posted(response, **changes: str) -> dict[str, Any]:
    """What the browser posts for the page as drawn (prefilled rows and the blank one), with `changes` typed."""
    rows = response.context["rows"]
    management = rows.management_form
    counts = management.cleaned_data if management.is_bound else management.initial
    data: dict[str, Any] = {management.add_prefix(name): value for name, value in counts.items()}
    for form in rows.forms:
        for name in form.fields:
            value = form[name].value()
            if name != "DELETE" and value is not None:
                data[form.add_prefix(name)] = str(value)
    data["reason"] = "Slower after flushing"
    data.update(changes)
    return data


def _change(client, plan, data):
    return client.post(reverse("challenges:home-change", args=[plan.pk]), data)


def _steps(protocol: Protocol) -> list[tuple[Decimal | None, Decimal | None, str, int, int | None]]:
    return [
        (s.protein_mg, s.food_amount, s.household_measure, s.interval_minutes, s.food_id)
        for s in protocol.steps.order_by("number")
    ]


@pytest.fixture
def plan_after_step_1(client, plan, patient_user, allergist, clock):
    client.force_login(patient_user)
    assert take_step(client, plan, clock.now).status_code == HTTPStatus.FOUND
    client.force_login(allergist)
    return plan


def test_the_rows_are_the_remaining_steps_of_the_plan(client, plan_after_step_1):
    plan = plan_after_step_1
    response = _page(client, plan)
    assert response.status_code == HTTPStatus.OK
    remaining = list(plan.protocol.steps.order_by("number"))[1:]
    rows = response.context["rows"]
    assert len(rows.forms) == len(remaining) + 1  # and one blank row to add a step
    for form, step in zip(rows.forms, remaining, strict=False):
        assert form["amount"].value() == format(step.food_amount.normalize(), "f")
        assert form["unit"].value() == "g"
        assert form["household_measure"].value() == step.household_measure
        assert (form["wait"].value(), form["wait_unit"].value()) == (step.interval_minutes // DAY, "d")
    html = response.content.decode()
    assert 'data-first-number="2"' in html  # step 1, taken, stays as it is
    assert f'value="{format(remaining[0].food_amount.normalize(), "f")}"' in html
    assert "textarea" not in html.split('data-testid="plan-rows"')[1].split("</table>")[0]


def test_saving_the_rows_as_drawn_keeps_the_same_steps_in_a_new_version(client, plan_after_step_1):
    plan = plan_after_step_1
    old = plan.protocol
    assert _change(client, plan, _as_posted(_page(client, plan))).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert plan.protocol != old
    assert _steps(plan.protocol) == _steps(old)
    assert plan.events.filter(kind="plan_changed", reason__contains="Slower after flushing").exists()


def test_a_row_changed_and_one_removed_change_the_plan(client, plan_after_step_1):
    plan = plan_after_step_1
    old = _steps(plan.protocol)
    data = _as_posted(_page(client, plan), **{"steps-0-amount": "0.2", "steps-0-wait": "96", "steps-0-wait_unit": "h"})
    data["steps-1-DELETE"] = "on"
    assert _change(client, plan, data).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    new = _steps(plan.protocol)
    assert new[0] == old[0]  # taken
    assert new[1][1:4] == (Decimal("0.2"), old[1][2], 4 * DAY)
    assert new[2:] == old[3:]
    assert len(new) == len(old) - 1


def test_a_row_added_without_javascript_comes_back_blank_then_adds_a_step(client, plan_after_step_1):
    plan = plan_after_step_1
    old = plan.protocol
    data = _as_posted(_page(client, plan), add_row="1")
    response = _change(client, plan, data)
    assert response.status_code == HTTPStatus.OK  # the page again, one row longer; nothing saved
    rows = response.context["rows"]
    total = len(rows.forms)
    assert total == int(data["steps-TOTAL_FORMS"]) + 1
    plan.refresh_from_db()
    assert plan.protocol == old
    data = _as_posted(response)
    data.update({f"steps-{total - 2}-amount": "90", f"steps-{total - 1}-amount": "100", f"steps-{total - 1}-wait": "2"})
    assert _change(client, plan, data).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert [step[1] for step in _steps(plan.protocol)][-2:] == [Decimal(90), Decimal(100)]
    assert _steps(plan.protocol)[-1][3] == 2 * DAY


def test_a_blank_extra_row_is_ignored(client, plan_after_step_1):
    plan = plan_after_step_1
    old = _steps(plan.protocol)
    data = _as_posted(_page(client, plan))
    assert _change(client, plan, data).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert len(_steps(plan.protocol)) == len(old)


def test_a_unit_the_food_is_not_measured_in_is_refused(client, plan_after_step_1):
    plan = plan_after_step_1
    old = plan.protocol
    response = _change(client, plan, _as_posted(_page(client, plan), **{"steps-0-unit": "mL"}))
    assert response.status_code == HTTPStatus.OK
    assert f"{old.food.name} is measured in g." in response.content.decode()
    plan.refresh_from_db()
    assert plan.protocol == old


def test_a_malformed_amount_is_shown_on_its_row(client, plan_after_step_1):
    plan = plan_after_step_1
    response = _change(client, plan, _as_posted(_page(client, plan), **{"steps-2-amount": "1,5"}))
    assert response.status_code == HTTPStatus.OK
    assert response.context["rows"].forms[2].errors["amount"]
    assert "Use a point as the decimal separator" in response.content.decode()


def test_removing_every_row_is_refused(client, plan_after_step_1):
    plan = plan_after_step_1
    old = plan.protocol
    data = _as_posted(_page(client, plan))
    for index in range(int(data["steps-TOTAL_FORMS"])):
        data[f"steps-{index}-DELETE"] = "on"
    response = _change(client, plan, data)
    assert response.status_code == HTTPStatus.OK
    assert "Give at least one step." in response.content.decode()
    plan.refresh_from_db()
    assert plan.protocol == old


def test_a_rule_the_service_refuses_is_shown_and_nothing_changes(client, plan_after_step_1):
    """The service's own rules stay: a wait shorter than a home plan allows is refused with its message."""
    plan = plan_after_step_1
    old = plan.protocol
    data = _as_posted(_page(client, plan), **{"steps-0-wait": "1", "steps-0-wait_unit": "min"})
    response = _change(client, plan, data)
    assert response.status_code == HTTPStatus.OK
    assert 'data-testid="change-refused"' in response.content.decode()
    plan.refresh_from_db()
    assert plan.protocol == old


def test_a_ladders_rungs_keep_their_own_food(client, library, patient, allergist, clock):
    ladder = Protocol.objects.get(clinic=None, name="Milk ladder at home (iMAP/MAP rungs)")
    plan = challenge_schedule(
        patient=patient,
        protocol=ladder,
        scheduled_at=START,
        allergist=allergist,
        nurse=None,
        by=allergist,
        first_step_in_clinic=False,
    )
    client.force_login(allergist)
    response = _page(client, plan)
    assert 'data-testid="plan-rows"' in response.content.decode()
    assert "Food of this step" in response.content.decode()  # a ladder of several foods shows the food column
    assert _change(client, plan, _as_posted(response)).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert _steps(plan.protocol) == _steps(ladder)

"""Changing a home plan is bounded (security review M9): a step limit, and a patient-specific name that fits and
never copies the patient's name into the clinic's protocol library."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse

from challenges.library.forms.fields import MAX_STEPS
from challenges.models import Protocol
from tests.home.change_rows import plan_change_data


def change(client, plan, rows: list[tuple[str, str, str]]):
    return client.post(reverse("challenges:home-change", args=[plan.pk]), plan_change_data(rows, reason="Slower"))


def test_a_change_with_more_steps_than_a_plan_may_have_is_a_form_error(client, plan, allergist):
    client.force_login(allergist)
    before = Protocol.objects.count()
    response = change(client, plan, [("1", "g", "3")] * (MAX_STEPS + 1))
    assert response.status_code == HTTPStatus.OK
    assert f"at most {MAX_STEPS} steps" in " ".join(response.context["rows"].non_form_errors())
    assert Protocol.objects.count() == before


def test_a_change_at_the_step_limit_is_accepted(client, plan, allergist):
    client.force_login(allergist)
    assert change(client, plan, [("1", "g", "3")] * MAX_STEPS).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert plan.protocol.steps.count() == MAX_STEPS


def test_the_patients_own_plan_is_named_by_record_number_and_fits_for_a_very_long_name(client, plan, allergist):
    patient = plan.patient
    patient.given_name, patient.family_name = "A" * 120, "B" * 120
    patient.save()
    client.force_login(allergist)
    assert change(client, plan, [("3", "g", "4")]).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert plan.protocol.name.endswith(f", for patient {patient.mrn}")
    assert len(plan.protocol.name) <= Protocol._meta.get_field("name").max_length
    assert "AAAA" not in plan.protocol.name

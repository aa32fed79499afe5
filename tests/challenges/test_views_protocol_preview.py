"""The protocol builder's dose-table preview (issue 16): the new and edit pages' read-only preview endpoints, the
"Preview" button that works without JavaScript, and the edit page's grams and preparation.

Expected figures come from the clinical functions themselves (clinical.plan, clinical.dosing), formatted by the
template filters every page uses; nothing here is a hand-computed guess."""

from __future__ import annotations

import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.html import escape

from challenges.library.facts import food_spec, protocol_steps
from challenges.models import Food, Protocol
from challenges.templatetags.stepwise import amount, mg
from clinical import ladders, plan
from tests.challenges.factories_library import VALID_NEW, edit_data, new_protocol_data

ROW = re.compile(r'<tr>\s*<td class="text-end num">(\d+)</td>\s*<td class="text-end num">([^<]+)</td>')


def _new_preview(client, food: Food, **changes: str):
    return client.post(reverse("challenges:protocol-create-preview"), new_protocol_data(food, **changes))


def _edit_preview(client, protocol: Protocol, **changes: str):
    return client.post(reverse("challenges:protocol-edit-preview", args=[protocol.pk]), edit_data(protocol, **changes))


def _protein_column(html: str) -> list[str]:
    return [protein.strip() for _number, protein in ROW.findall(html)]


def _assert_shows_lines(html: str, lines: list[plan.StepLine]) -> None:
    """Every step's protein, food amount, preparation and cumulative protein, as the detail page prints them."""
    assert _protein_column(html) == [mg(line.protein_mg) for line in lines]
    for line in lines:
        assert amount(line.food_amount, line.food_unit) in html
        assert escape(line.instructions) in html
        assert mg(line.cumulative_protein_mg) in html


def test_new_preview_shows_the_generated_doses_and_saves_nothing(client, allergist, peanut_flour):
    client.force_login(allergist)
    response = _new_preview(client, peanut_flour, name="")  # no name yet: the dose table does not need one
    assert response.status_code == HTTPStatus.OK
    spec = food_spec(peanut_flour)
    lines = plan.step_lines(spec, plan.generate_steps(plan.GeneratorInput("practall7"), food=spec))
    html = response.content.decode()
    _assert_shows_lines(html, lines)
    assert f'data-summary="7 steps, cumulative {mg(lines[-1].cumulative_protein_mg)}' in html
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()


@pytest.mark.parametrize("exact", [False, True])
def test_new_preview_rounds_the_geometric_ladder_unless_asked_not_to(client, allergist, peanut_flour, exact):
    client.force_login(allergist)
    params = {"gen-generator": "geometric", "gen-start_mg": "10", "gen-top_mg": "3000", "gen-steps": "6"}
    if exact:
        params["gen-exact"] = "on"
    html = _new_preview(client, peanut_flour, **params).content.decode()
    computed = ladders.geometric_ladder(Decimal(10), Decimal(3000), steps=6)
    expected = computed if exact else ladders.round_ladder_semilog(computed)
    assert _protein_column(html) == [mg(dose) for dose in expected]
    assert (expected == computed) is exact  # the rounding changes this ladder (31 → 30 mg, 98 → 100 mg, ...)


def test_new_preview_ignores_the_fields_of_another_generator(client, allergist, peanut_flour):
    """A start dose left in the hidden geometric fields does not change a PRACTALL ladder."""
    client.force_login(allergist)
    plain = _new_preview(client, peanut_flour).content.decode()
    with_leftovers = _new_preview(client, peanut_flour, **{"gen-start_mg": "7", "gen-top_mg": "70"}).content.decode()
    assert _protein_column(with_leftovers) == _protein_column(plain) == [mg(d) for d in ladders.practall_7()]


def test_new_preview_names_the_field_to_correct_instead_of_failing(client, allergist, peanut_flour):
    client.force_login(allergist)
    response = _new_preview(
        client, peanut_flour, **{"gen-generator": "geometric", "gen-start_mg": "1,5", "gen-top_mg": "1000"}
    )
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "To see the doses, correct:" in html
    assert "Start dose (mg protein): Use a point as the decimal separator" in html
    assert 'data-testid="steps"' not in html


def test_new_preview_shows_a_generator_refusal_on_its_field(client, allergist, peanut_flour):
    client.force_login(allergist)
    params = {"gen-generator": "geometric", "gen-start_mg": "100", "gen-top_mg": "10", "gen-steps": "5"}
    html = _new_preview(client, peanut_flour, **params).content.decode()
    assert "Top dose (mg protein): The top dose must be above the start dose." in html


def test_new_preview_shows_the_rules_errors_and_warnings(client, allergist, peanut_flour):
    client.force_login(allergist)
    html = _new_preview(client, peanut_flour, **{"gen-interval_minutes": "5"}).content.decode()
    errors = html[html.index('data-testid="issues-error"') :]
    assert "Step 2 comes 5 min after step 1; allow at least 15 min between doses." in errors
    assert 'data-testid="steps"' in html  # the table is still shown, with the errors above it


def test_new_preview_without_a_food_asks_for_one(client, allergist, library):
    client.force_login(allergist)
    response = client.post(reverse("challenges:protocol-create-preview"), {**VALID_NEW, "food": ""})
    assert response.status_code == HTTPStatus.OK
    assert "Food: This field is required." in response.content.decode()


def test_the_preview_button_redraws_the_new_page_without_saving(client, allergist, peanut_flour):
    """Without JavaScript: the page comes back with the dose table and what was typed."""
    client.force_login(allergist)
    data = new_protocol_data(peanut_flour, name="", preview="1")
    response = client.post(reverse("challenges:protocol-create"), data)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    spec = food_spec(peanut_flour)
    _assert_shows_lines(html, plan.step_lines(spec, plan.generate_steps(plan.GeneratorInput("practall7"), food=spec)))
    assert "This field is required" not in html
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()


def test_the_new_page_marks_each_generator_field_with_its_generators(client, allergist, library):
    client.force_login(allergist)
    html = client.get(reverse("challenges:protocol-create")).content.decode()
    assert re.search(r'name="gen-start_mg"[^>]*data-generators="geometric"', html)
    assert re.search(r'name="gen-serving"[^>]*data-generators="fpies home"', html)
    assert re.search(r'name="gen-generator"[^>]*data-generator-choice', html)
    assert "stepwise/protocol_builder.js" in html


# --- the edit page ----------------------------------------------------------------------------------------


def test_edit_page_shows_grams_and_preparation(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = client.get(reverse("challenges:protocol-edit", args=[clinic_protocol.pk]))
    assert response.status_code == HTTPStatus.OK
    lines = plan.step_lines(food_spec(clinic_protocol.food), protocol_steps(clinic_protocol))
    _assert_shows_lines(response.content.decode(), lines)


def test_edit_preview_follows_the_rows_as_typed_and_saves_nothing(client, allergist, clinic_protocol):
    client.force_login(allergist)
    page = client.get(reverse("challenges:protocol-edit", args=[clinic_protocol.pk]))
    before = _protein_column(page.content.decode())
    response = _edit_preview(client, clinic_protocol, **{"steps-1-protein_mg": "20"})
    assert response.status_code == HTTPStatus.OK
    steps = protocol_steps(clinic_protocol)
    steps[1] = plan.PlannedStep(2, Decimal(20), None, "", steps[1].interval_minutes)
    _assert_shows_lines(response.content.decode(), plan.step_lines(food_spec(clinic_protocol.food), steps))
    assert [step.protein_mg for step in protocol_steps(clinic_protocol)][1] != Decimal(20)  # unchanged
    assert _protein_column(response.content.decode()) != before


def test_edit_preview_names_the_step_to_correct(client, allergist, clinic_protocol):
    client.force_login(allergist)
    html = _edit_preview(client, clinic_protocol, **{"steps-2-protein_mg": "3O"}).content.decode()
    assert "Step 3, Protein (mg):" in html
    assert 'data-testid="steps"' not in html


def test_edit_preview_still_shows_the_doses_when_another_part_needs_correcting(client, allergist, clinic_protocol):
    client.force_login(allergist)
    html = _edit_preview(client, clinic_protocol, **{"washout-h1_antihistamine": "abc"}).content.decode()
    assert "Also correct before saving:" in html
    assert len(_protein_column(html)) == clinic_protocol.steps.count()


def test_edit_preview_of_a_dose_too_small_to_prepare_shows_why(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = _edit_preview(client, clinic_protocol, **{"steps-0-protein_mg": "0.001"})
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert 'data-testid="issues-error"' in html
    assert plan.CANNOT_PREPARE in html


def test_edit_preview_of_a_zero_dose_is_an_error_not_a_500(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = _edit_preview(client, clinic_protocol, **{"steps-0-protein_mg": "0"})
    assert response.status_code == HTTPStatus.OK
    assert 'data-testid="issues-error"' in response.content.decode()


def test_the_preview_button_redraws_the_edit_page_without_saving(client, allergist, clinic_protocol):
    client.force_login(allergist)
    data = edit_data(clinic_protocol, **{"steps-1-protein_mg": "20", "preview": "1"})
    del data["save"]
    response = client.post(reverse("challenges:protocol-edit", args=[clinic_protocol.pk]), data)
    assert response.status_code == HTTPStatus.OK
    assert _protein_column(response.content.decode())[1] == mg(Decimal(20))
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.steps.get(number=2).protein_mg != Decimal(20)


# --- who may ask ------------------------------------------------------------------------------------------


def test_previews_are_for_allergists_only(client, nurse, patient_user, clinic_protocol, peanut_flour):
    new_url = reverse("challenges:protocol-create-preview")
    edit_url = reverse("challenges:protocol-edit-preview", args=[clinic_protocol.pk])
    assert client.post(new_url, {}).status_code == HTTPStatus.FOUND  # anonymous: to the sign-in page
    for user in (nurse, patient_user):
        client.force_login(user)
        assert _new_preview(client, peanut_flour).status_code == HTTPStatus.NOT_FOUND
        assert _edit_preview(client, clinic_protocol).status_code == HTTPStatus.NOT_FOUND
        assert client.get(new_url).status_code == HTTPStatus.NOT_FOUND
        assert client.get(edit_url).status_code == HTTPStatus.NOT_FOUND


def test_another_clinics_allergist_cannot_preview_a_protocol(client, other_clinic_allergist, clinic_protocol):
    client.force_login(other_clinic_allergist)
    assert _edit_preview(client, clinic_protocol).status_code == HTTPStatus.NOT_FOUND


def test_previews_answer_post_only(client, allergist, clinic_protocol):
    client.force_login(allergist)
    assert client.get(reverse("challenges:protocol-create-preview")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    edit_url = reverse("challenges:protocol-edit-preview", args=[clinic_protocol.pk])
    assert client.get(edit_url).status_code == HTTPStatus.METHOD_NOT_ALLOWED

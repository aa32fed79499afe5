"""The nurse's dose-preparation sheet and the patient's home plan, read back with pypdf."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.urls import reverse

from challenges.reports.build_sheets import home_plan, preparation_sheet
from challenges.reports.render_sheets import render_home_plan, render_preparation_sheet
from clinical import adrenaline
from clinical.units import format_quantity
from tests.reports import scenarios
from tests.reports.helpers import pages, text


@pytest.fixture
def planned(patient, practall, nurse, allergist):
    from challenges.run import services as runs

    with scenarios.clock_at(scenarios.START):
        return runs.challenge_schedule(
            patient=patient, protocol=practall, scheduled_at=scenarios.START, allergist=allergist, nurse=nurse, by=nurse
        )


def test_preparation_sheet_gives_each_step_its_time_amount_and_recipe(planned):
    pdf = render_preparation_sheet(preparation_sheet(planned))
    body = text(pdf)
    assert "Zoë Ångström-Nguyễn" in body
    assert "Page 1 of" in body
    # 3-100 mg are under 0.2 g of peanut flour: a dilution of the powder (dose_preparation.prepare_dose); then weighed.
    # Defatted peanut flour, 52.2 g/100 g (CNF 2015; USDA SR 16099).
    assert "1 09:00 3 mg 1.1 mL of mix (1 g in 200 mL of water) Mix 1 g of Peanut flour, defatted into 200 mL" in body
    assert (
        "5 11:00 300 mg 0.57 g Weigh 0.57 g of Peanut flour, defatted (about 298 mg of protein). 443 mg 30 min" in body
    )
    assert (
        "7 12:00 3,000 mg 5.75 g Weigh 5.75 g of Peanut flour, defatted (about 3,000 mg of protein). 4,443 mg" in body
    )
    assert "4,443 mg observe 2 h" in body
    assert "Urticaria/angioedema objective <3 hives, or mild lip oedema" in body
    assert "Premedication None planned." in body
    assert "Adrenaline 0.5 mg = 0.5 mL of 1 mg/mL (1:1000) IM into the anterolateral thigh." in body  # capped


def test_preparation_sheet_has_boxes_for_the_check_and_what_was_given_and_no_unweighable_amount(planned):
    """R8: a second person's initials, the amount and time actually given; a diluted dose's Food column is the
    volume of mix and its recipe, never the 0.006 g of flour no scale can weigh."""
    body = text(render_preparation_sheet(preparation_sheet(planned)))
    steps = body[body.index("Doses: prepare") : body.index("Premedication")]
    assert "Made by (initials) Checked by (initials) Amount given Time given" in steps
    assert "0.006 g" not in steps
    assert "of mix (1 g in 200 mL of water)" in steps
    for tiny in ("0.00", "0.01 g", "0.1 g", "0.19 g"):  # nothing under the 0.2 g a scale can weigh
        assert f" {tiny}" not in steps.replace("0.1 mL", "")


def test_preparation_sheet_of_a_blinded_challenge_does_not_print_the_placebo_key(patient, dbpcfc, nurse, allergist):
    from challenges.run import services as runs

    with scenarios.clock_at(scenarios.START):
        challenge = runs.challenge_schedule(
            patient=patient,
            protocol=dbpcfc,
            scheduled_at=scenarios.START,
            allergist=allergist,
            nurse=nurse,
            by=nurse,
            placebo_doses=2,
        )
    body = text(render_preparation_sheet(preparation_sheet(challenge)))
    assert "which doses are placebo is not printed here" in body
    steps = body[body.index("Doses: prepare") : body.index("Notes")]
    assert "placebo" not in steps.lower()


def test_preparation_sheet_lists_premedication_with_its_timing(home_challenge):
    body = text(render_preparation_sheet(preparation_sheet(home_challenge)))
    assert "Cromolyn sodium (oral) 200 mg, dissolved in water only oral 30 min before each dose" in body
    assert "H1 antihistamine (usual) usual dose oral keep taking the usual dose" in body
    # Days apart: each time is printed with its full date (clinical.dates.format_when).
    assert "1 Thu 26 Nov 2026 09:00" in body
    assert "2 Sun 29 Nov 2026 09:00" in body
    assert "watch 2 days" in body  # 48 h, in the one duration wording (clinical.durations)


def test_home_plan_calendar_amounts_and_safety_advice(home_challenge):
    pdf = render_home_plan(home_plan(home_challenge))
    body = text(pdf)
    for row in (
        # The gentle ladder, at most about 3× a step (docs/clinical-sources.md §11.1).
        "1 Thu 26 Nov 2026 crumb (0.1 g)",
        "2 Sun 29 Nov 2026 0.25 g",
        "6 Fri 11 Dec 2026 1/16 serving (6.25 g)",
        "10 Wed 23 Dec 2026 full serving (100 g)",
    ):
        assert row in body
    assert "taken Thu 26 Nov 2026" in body  # step 1 was recorded
    assert (
        "Take Cromolyn sodium (oral) 200 mg by mouth, 30 minutes before each step. Squeeze the ampule into half a "
        "glass of water, stir and drink it all. Do not mix it with fruit juice, milk or food." in body
    )
    assert "This plan is for someone who has taken it for at least 4 weeks." in body
    assert "Keep taking your H1 antihistamine (usual) as usual." in body
    assert "watch for symptoms for 2 days" in body  # 48 h, in words (clinical.durations.plain_duration)
    assert "Hives (raised, itchy bumps or welts)" in body
    assert "Brain fog" in body
    assert "Stop the plan if you get any of the symptoms above" in body
    assert "Use your adrenaline auto-injector (0.3 mg) straight away" in body
    assert "Emergency contact Linh Nguyễn · +44 7700 900123" in body
    assert "call the clinic on +44 113 496 0000" in body
    texts = pages(pdf)
    assert any("Symptom log" in page for page in texts)
    assert all(f"Page {n} of {len(texts)}" in page for n, page in enumerate(texts, start=1))


def test_home_plan_without_an_auto_injector_says_call_an_ambulance(home_challenge):
    home_challenge.patient.autoinjector_dose = ""
    home_challenge.patient.save()
    body = text(render_home_plan(home_plan(home_challenge)))
    assert "auto-injector" not in body
    assert "Call an ambulance on your local emergency number straight away." in body


def test_only_a_home_challenge_has_a_home_plan(planned):
    with pytest.raises(ValueError, match="home"):
        home_plan(planned)


# --- one sentence per step, one adrenaline rule ---------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["planned", "home_challenge"])
def test_the_protocol_page_and_the_preparation_sheet_print_the_same_sentence_for_each_step(
    scenario, request, client, nurse
):
    challenge = request.getfixturevalue(scenario)
    sheet = preparation_sheet(challenge)
    pdf_body = text(render_preparation_sheet(sheet))
    client.force_login(nurse)
    url = reverse("challenges:protocol-detail", args=[challenge.protocol.pk])
    page = " ".join(html.unescape(client.get(url).content.decode()).split())
    sentences = [row.instructions for row in sheet.steps]
    assert len(sentences) == challenge.protocol.steps.count()
    for sentence in sentences:
        assert sentence in pdf_body
        assert sentence in page


def test_the_sentences_cover_a_dilution_a_weighed_dose_and_a_household_measure(planned, home_challenge):
    prepared = [row.instructions for row in preparation_sheet(planned).steps]
    assert prepared[0].startswith("Mix 1 g of Peanut flour, defatted into 200 mL of water; stir well; give 1.1 mL")
    assert prepared[-1] == "Weigh 5.75 g of Peanut flour, defatted (about 3,000 mg of protein)."
    home = [row.instructions for row in preparation_sheet(home_challenge).steps]
    # A step planned as an amount of food: that amount, its household measure, no "about" (nothing was rounded).
    assert home[0] == "Weigh 0.1 g (crumb) of Cheesecake, baked, commercial."


def test_the_printed_adrenaline_rule_is_the_constants(planned):
    body = text(render_preparation_sheet(preparation_sheet(planned)))
    rule = (
        f"{format_quantity(adrenaline.ADRENALINE_MG_PER_KG, 'mg/kg')}, "
        f"at most {format_quantity(adrenaline.ADRENALINE_MAX_MG, 'mg')}"
    )
    instruction = (
        "0.5 mg = 0.5 mL of 1 mg/mL (1:1000) IM into the anterolateral thigh. Repeat after 5 minutes if no improvement."
    )
    assert f"{instruction} For 60 kg ({rule});" in body
    assert "(0.01 mg/kg, at most 0.5 mg)" in body  # as a nurse reads it: leading zero, no trailing zero


def test_the_printed_adrenaline_rule_follows_a_changed_constant(planned, monkeypatch):
    monkeypatch.setattr(adrenaline, "ADRENALINE_MAX_MG", Decimal("0.30"))
    body = text(render_preparation_sheet(preparation_sheet(planned)))
    assert "Adrenaline 0.3 mg = 0.3 mL of 1 mg/mL (1:1000)" in body
    assert "For 60 kg (0.01 mg/kg, at most 0.3 mg);" in body


def test_preparation_sheet_prints_the_recipe_of_a_baked_food(patient, library, nurse, allergist):
    """R1: whoever bakes the muffin for the challenge has the food's recipe on the sheet."""
    from challenges.models import Protocol
    from challenges.run import services as runs

    protocol = Protocol.objects.get(clinic=None, name="Baked-milk muffin open OFC")
    with scenarios.clock_at(scenarios.START):
        challenge = runs.challenge_schedule(
            patient=patient, protocol=protocol, scheduled_at=scenarios.START, allergist=allergist, nurse=nurse, by=nurse
        )
    body = text(render_preparation_sheet(preparation_sheet(challenge)))
    recipe = body[body.index("Recipe") : body.index("Pack used")]
    assert "1 cup (about 244 g) of cow's milk for 6 muffins" in recipe
    assert "bake at 180 °C (350 °F) for 30 min" in recipe
